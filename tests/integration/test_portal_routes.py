"""Every route of the app under /provider and /me, whoever added it and whenever: read from
`app.routes`, so a page added later is covered without touching this file.

Signed out, each answers 303 to its portal's sign-in and changes nothing; signed in, each
unsafe method without the right CSRF token answers 403 and changes nothing; a session of
the other portal counts as signed out. The signed-out pages (PUBLIC_PATHS) refuse a post
without the token too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.portal_support import (
    add_account,
    assert_hidden,
    concrete,
    educator_cookie,
    form_csrf,
    portal_client,
    portal_routes,
    probed_app,
    probed_web,
    provider_cookie,
    snapshot,
)
from tests.web_support import seed_office
from web.portal import PUBLIC_PATHS
from web.server import WebServer

SAFE = {"GET", "HEAD", "OPTIONS"}
# The second sign-in step needs a half-open session: with none it sends the browser to
# sign in before looking at the token (tests/integration/test_portal_accounts.py).
NEEDS_HALF_SESSION = {"/provider/sign-in/code"}
ROUTES = portal_routes(probed_app())
PRIVATE = [(m, p) for m, p in ROUTES if p not in PUBLIC_PATHS]


def sign_in_of(path: str) -> str:
    return "/me" if path.startswith("/me") else "/provider/sign-in"


@pytest.fixture
def site(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:
    seed_office(monkeypatch)
    with probed_web() as server:
        yield server


def test_the_route_list_sees_every_portal_page_including_those_of_included_routers():
    paths = {p for _, p in ROUTES}
    assert {"/provider/account", "/provider/choose", "/provider/probe", "/me/probe"} <= paths
    assert ("POST", "/provider/sign-out") in ROUTES and ("POST", "/me/sign-out") in ROUTES


def test_every_private_portal_route_sends_a_signed_out_visitor_to_sign_in_and_changes_nothing(
    site,
):
    add_account()
    before = snapshot()
    with portal_client(site.url) as http:
        token = form_csrf(http)  # a good signed-out token: only the missing session refuses
        for method, path in PRIVATE:
            data = None if method in SAFE else {"csrf_token": token}
            answer = http.request(method, concrete(path), data=data)
            assert answer.status_code == 303, (method, path, answer.status_code)
            location = answer.headers["location"]
            assert location.split("?")[0] == sign_in_of(path), (method, path, location)
            assert (
                "set-cookie" not in answer.headers
                or "pdu_session=" not in answer.headers["set-cookie"]
            )  # no session is started on the way
    assert snapshot() == before


def test_a_session_of_the_other_portal_is_signed_out_here(site):
    add_account()
    before = snapshot()
    for cookie, prefix in ((educator_cookie("maria@school.example"), "/provider"),
                           (provider_cookie("JDoe"), "/me")):  # fmt: skip
        with portal_client(site.url, cookie=cookie) as http:
            for method, path in PRIVATE:
                if path.startswith(prefix) and path not in NEEDS_HALF_SESSION:
                    answer = http.request(method, concrete(path))
                    assert answer.status_code == 303, (method, path, answer.status_code)
                    assert answer.headers["location"].split("?")[0] == sign_in_of(path)
    assert snapshot() == before


@pytest.mark.parametrize("token", [None, "0" * 64], ids=["missing", "wrong"])
def test_every_unsafe_portal_route_refuses_a_post_without_the_right_csrf_token(site, token):
    add_account()
    before = snapshot()
    cookies = {"/provider": provider_cookie("JDoe"), "/me": educator_cookie("maria@school.example")}
    unsafe = [(m, p) for m, p in ROUTES if m not in SAFE and p not in NEEDS_HALF_SESSION]
    assert unsafe
    for method, path in unsafe:
        cookie = (
            None
            if path in PUBLIC_PATHS
            else cookies["/me" if path.startswith("/me") else "/provider"]
        )
        with portal_client(site.url, cookie=cookie) as http:
            data = {"csrf_token": token} if token else {}
            answer = http.request(method, concrete(path), data=data or None)
            assert answer.status_code == 403, (method, path, answer.status_code)
    assert snapshot() == before


def test_another_providers_record_is_answered_as_missing_and_nothing_changes(site):
    add_account("MTP-00001")
    add_account("MTP-00002", "Sam", "Lee", "sam@msu.example")
    with portal_client(site.url, cookie=provider_cookie("SLee")) as http:
        own = http.get("/provider/probe").json()["provider_id"]
        assert http.get(f"/provider/probe/{own}").status_code == 200
        for method in ("GET", "POST"):
            assert_hidden(http, method, f"/provider/probe/{own - 1}")
