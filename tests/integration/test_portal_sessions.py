"""Portal sessions in the database: idle and absolute timeouts on the injected clock,
configurable; the cookie's value is never stored; the educator's session works the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from models import clock
from models.settings import reset_settings
from tests.portal_support import (
    add_account,
    count,
    educator_cookie,
    portal_client,
    probed_web,
    provider_cookie,
    session_csrf,
    snapshot,
)
from tests.web_support import seed_office
from web.server import WebServer


@pytest.fixture
def site(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:
    seed_office(monkeypatch)
    with probed_web() as server:
        yield server


def later(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    monkeypatch.setenv("PDU_NOW", (clock.now() + timedelta(**delta)).isoformat())


def test_a_session_ends_after_thirty_idle_minutes_and_each_request_restarts_that_clock(
    site, monkeypatch
):
    add_account()
    with portal_client(site.url, cookie=provider_cookie("JDoe")) as http:
        for _ in range(3):
            later(monkeypatch, minutes=29)
            assert http.get("/provider/probe").json()["username"] == "JDoe"
        later(monkeypatch, minutes=30)
        answer = http.get("/provider/probe")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/provider/sign-in?next=%2Fprovider%2Fprobe"


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(site, monkeypatch):
    add_account()
    with portal_client(site.url, cookie=provider_cookie("JDoe")) as http:
        for _ in range(11 * 3 + 2):  # every 20 minutes for 11 h 40 min
            later(monkeypatch, minutes=20)
            assert http.get("/provider/probe").status_code == 200
        later(monkeypatch, minutes=20)
        assert http.get("/provider/probe").status_code == 303


def test_both_timeouts_are_settings(site, monkeypatch):
    add_account()
    monkeypatch.setenv("PDU_PORTAL_IDLE_MINUTES", "5")
    monkeypatch.setenv("PDU_PORTAL_ABSOLUTE_HOURS", "1")
    reset_settings()
    with portal_client(site.url, cookie=provider_cookie("JDoe")) as http:
        later(monkeypatch, minutes=6)
        assert http.get("/provider/probe").status_code == 303
    with portal_client(site.url, cookie=provider_cookie("JDoe")) as http:
        for _ in range(14):  # active every 4 minutes for 56 minutes
            later(monkeypatch, minutes=4)
            assert http.get("/provider/probe").status_code == 200
        later(monkeypatch, minutes=4)  # the hour is up, though not idle
        assert http.get("/provider/probe").status_code == 303


def test_only_a_hash_of_the_cookie_is_stored(site):
    add_account()
    cookie = provider_cookie("JDoe")
    assert count("SELECT count(*) FROM web_sessions") == 1
    assert count(f"SELECT count(*) FROM web_sessions WHERE token_hash = '{cookie}'") == 0
    assert cookie not in repr(snapshot())


def test_an_educator_session_names_their_address_and_signing_out_ends_it(site):
    cookie = educator_cookie("Maria@School.example")
    with portal_client(site.url, cookie=cookie) as http:
        assert http.get("/me/probe").json() == {"email": "maria@school.example"}
        out = http.post("/me/sign-out", data={"csrf_token": session_csrf(http)})
        assert out.status_code == 303 and out.headers["location"] == "/me?signed_out=1"
    with portal_client(site.url, cookie=cookie) as replay:
        assert replay.get("/me/probe").headers["location"] == "/me?next=%2Fme%2Fprobe"
