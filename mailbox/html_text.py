"""HTML mail to plain text that the quote trimmer can read (pure, `html.parser` based).

Keeps line structure (blocks and <br> end lines), drops script/style/title, turns
<blockquote> into `> ` lines, and marks where Gmail (`gmail_quote`), Outlook on the web
(`divRplyFwdMsg`) and friends start the quoted message with a `QUOTE_BOUNDARY` line.

`html.parser` in Python 3.11 is quadratic on unclosed constructs (`<a<a<a…`, `<!--` ×n:
tens of seconds for 200 KB) and raises AssertionError on some (`<![<![`). So a linear
pre-pass first rewrites the input into markup it handles in one pass: complete tags
with only the attributes we read, comments and declarations removed, stray `<` escaped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

QUOTE_BOUNDARY = "[--- quoted message ---]"
HORIZONTAL_RULE = "_" * 32
MAX_HTML_CHARS = 1_000_000  # more is not a reply anybody typed; bounds the time spent

# Where a quoted or forwarded message begins, by class or id.
_BOUNDARY_CLASSES = {
    "gmail_quote",
    "gmail_quote_container",
    "yahoo_quoted",
    "moz-cite-prefix",
    "protonmail_quote",
    "zmail_extra",
}
_BOUNDARY_IDS = {
    "divrplyfwdmsg",
    "x_divrplyfwdmsg",
    "appendonsend",
    "mail-editor-reference-message-container",
    "olk_src_body_section",
}
_DROPPED_ELEMENTS = ("script", "style", "title", "template", "noscript", "xml")
_BLOCKS = {
    "address", "article", "aside", "center", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "main", "nav", "ol", "p", "section", "summary", "table", "tbody", "thead",
    "tfoot", "tr", "ul", "body", "html",
}  # fmt: skip
_KEPT_ATTRIBUTES = {"class", "id", "type"}

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]{0,63})([^<>]*)>")
_ATTRIBUTE = re.compile(r"""([A-Za-z_:][-\w:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
_DROPPED_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _DROPPED_ELEMENTS}
_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


def html_to_text(html: str) -> str:
    converter = _Converter()
    converter.feed(sanitize(html[:MAX_HTML_CHARS]))
    converter.close()
    return converter.text()


def sanitize(html: str) -> str:
    """Rewrite `html` so that every `<` starts a complete, simple tag. Linear time."""
    out: list[str] = []
    position = 0
    last_comment_end = html.rfind("-->")
    next_gt = -1  # cached position of the next ">", so repeated searches stay linear
    length = len(html)
    while position < length:
        lt = html.find("<", position)
        if lt < 0:
            out.append(html[position:])
            break
        out.append(html[position:lt])
        if html.startswith("<!--", lt):
            # Unclosed comments swallow the rest of the document, as in browsers.
            if last_comment_end < lt + 2:
                break
            position = html.find("-->", lt + 2) + 3
            continue
        if html.startswith(("<!", "<?"), lt):
            if next_gt < lt:
                next_gt = html.find(">", lt)
                if next_gt < 0:
                    next_gt = length
            if next_gt >= length:
                out.append("&lt;")
                position = lt + 1
            else:
                position = next_gt + 1
            continue
        tag = _TAG.match(html, lt)
        if tag is None:
            out.append("&lt;")
            position = lt + 1
            continue
        closing, name = tag.group(1), tag.group(2).lower()
        position = tag.end()
        if name in _DROPPED_END:
            if not closing:
                end = _DROPPED_END[name].search(html, position)
                position = end.end() if end else length
            continue
        out.append(f"<{closing}{name}{'' if closing else _attributes(tag.group(3))}>")
    return "".join(out)


def _attributes(text: str) -> str:
    kept = []
    for name, value in _ATTRIBUTE.findall(text):
        if name.lower() in _KEPT_ATTRIBUTES:
            clean = value.strip("\"'").replace('"', "")
            kept.append(f' {name.lower()}="{clean}"')
    return "".join(kept)


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.has_content = False
        self.quote_depth = 0
        self.pre_depth = 0
        self.blank_pending = False
        self.paragraphs: list[bool] = []  # per open <p>: add a blank line after it?

    # Lines -----------------------------------------------------------------------

    def end_line(self, *, hard: bool = False) -> None:
        """Finish the current line; a soft end emits nothing when the line is empty."""
        if not self.has_content and not hard:
            self.current = []
            return
        text = "".join(self.current).replace("\xa0", " ")
        text = text.rstrip() if self.pre_depth else text.strip()
        if text and self.blank_pending and self.lines and self.lines[-1].strip(" >"):
            self.emit("")
        self.blank_pending = False
        self.emit(text)
        self.current = []
        self.has_content = False

    def emit(self, text: str) -> None:
        self.lines.append(("> " * self.quote_depth + text).rstrip())

    def text(self) -> str:
        self.end_line()
        out: list[str] = []
        for line in self.lines:
            if line.strip(" >") or (out and out[-1].strip(" >")):
                out.append(line)  # at most one blank line in a row
        while out and not out[-1].strip(" >"):
            out.pop()
        return "\n".join(out)

    # Parser events ---------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if self._is_boundary(attributes):
            self.end_line()
            self.lines.append(QUOTE_BOUNDARY)
        if tag == "br":
            self.end_line(hard=True)
        elif tag == "hr":
            self.end_line()
            self.emit(HORIZONTAL_RULE)
        elif tag == "blockquote":
            self.end_line()
            self.quote_depth += 1
        elif tag == "pre":
            self.end_line()
            self.pre_depth += 1
        elif tag == "li":
            self.end_line()
            self.current = ["- "]
        elif tag in ("td", "th"):
            if self.has_content:
                self.current.append(" ")
        elif tag in _BLOCKS:
            self.end_line()
            if tag == "p":
                # Outlook writes one MsoNormal paragraph per line, with no spacing.
                self.paragraphs.append("msonormal" not in attributes.get("class", "").lower())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self.end_line()
            self.quote_depth = max(self.quote_depth - 1, 0)
        elif tag == "pre":
            self.end_line()
            self.pre_depth = max(self.pre_depth - 1, 0)
        elif tag == "li" or tag in _BLOCKS:
            self.end_line()
            if tag == "p" and self.paragraphs and self.paragraphs.pop():
                self.blank_pending = True

    def handle_data(self, data: str) -> None:
        if self.pre_depth:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._append(first)
            for line in rest:
                self.end_line(hard=True)
                self._append(line)
            return
        text = _WHITESPACE.sub(" ", data)
        if not self.has_content:
            text = text.lstrip(" ")
        self._append(text)

    def _append(self, text: str) -> None:
        if text:
            self.current.append(text)
            self.has_content = True

    @staticmethod
    def _is_boundary(attributes: dict[str, str]) -> bool:
        classes = set(attributes.get("class", "").split())
        return bool(classes & _BOUNDARY_CLASSES) or (
            attributes.get("id", "").lower() in _BOUNDARY_IDS
        )
