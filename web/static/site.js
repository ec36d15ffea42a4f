// Progressive enhancements; without this file every page still works. Served from this site.
// - live search of the provider directory (without it, a search loads the /providers page);
// - a form that came back with problems puts the keyboard focus on their list, so screen
//   readers read it first and a click on a problem jumps to its field.
"use strict";
(function () {
  function live(form) {
    var target = document.getElementById(form.getAttribute("data-target"));
    var base = form.getAttribute("data-live");
    if (!target || !base || !window.fetch) return;
    var timer = null;
    var last = null;
    function query() {
      var params = new URLSearchParams(new FormData(form));
      return params.toString();
    }
    function run() {
      var q = query();
      if (q === last) return;
      last = q;
      fetch(base + (base.indexOf("?") < 0 ? "?" : "&") + q, { headers: { Accept: "text/html" } })
        .then(function (answer) { return answer.ok ? answer.text() : null; })
        .then(function (html) {
          if (html === null || q !== last) return;
          target.innerHTML = html;
          if (form.hasAttribute("data-history")) {
            history.replaceState(null, "", form.getAttribute("action") + (q ? "?" + q : ""));
          }
        })
        .catch(function () { /* the form still works by submitting it */ });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
    form.addEventListener("change", run);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      last = null;
      run();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-live]");
    for (var i = 0; i < forms.length; i++) live(forms[i]);
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();
