"""Provider accounts over real HTTP (uvicorn on loopback), on SQLite and PostgreSQL:
choosing a password with the emailed code, signing in and out, sessions, forgotten
passwords and usernames, brute force, the second factor, staff commands."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import select

from models import clock
from models.accounts import ProviderAccount
from models.messages import OutboxMessage
from models.settings import get_settings, new_secret, reset_settings
from models.sign_ins import SignInFailure
from models.uow import UnitOfWork
from tests.portal_support import (
    PASSWORD,
    add_account,
    count,
    form_csrf,
    plant,
    portal_client,
    probed_web,
    session_csrf,
    sign_in,
    snapshot,
)
from tests.web_support import pdu, running_web, seed_office
from web.csrf import SESSION_COOKIE
from web.server import WebServer


@pytest.fixture
def site(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:
    seed_office(monkeypatch)
    with probed_web() as server:
        monkeypatch.setenv("PDU_PUBLIC_URL", server.url)
        reset_settings()
        yield server


@pytest.fixture
def http(site: WebServer) -> Iterator[httpx.Client]:
    with portal_client(site.url) as client:
        yield client


def move_clock(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    monkeypatch.setenv("PDU_NOW", (clock.now() + timedelta(**delta)).isoformat())


@dataclass(frozen=True)
class Mail:
    to_addresses: list[str]
    subject: str
    body_text: str


def outbox(template: str = "account_access") -> list[Mail]:
    with UnitOfWork() as work:
        rows = work.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
        return [Mail(list(m.to_addresses), m.subject, m.body_text) for m in rows]


def forgot(http: httpx.Client, path: str, field: str, value: str) -> httpx.Response:
    """Post a "forgot" form and wait for its background work (an email or nothing)."""
    answer = http.post(path, data={"csrf_token": form_csrf(http), field: value})
    time.sleep(0.3)  # the lookup runs after the answer is sent
    return answer


def mails(at_least: int) -> list[Mail]:
    """The account emails, once there are `at_least` (the forgot pages queue them after
    answering)."""
    deadline = time.monotonic() + 10
    while len(found := outbox()) < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(found) >= at_least, found
    return found


def link_in(message: Mail) -> str:
    found = re.search(r"/account/setup\?code=([a-z2-7]{26})", message.body_text)
    assert found, message.body_text
    return f"/account/setup?code={found[1]}"


def choose_password(http: httpx.Client, link: str, password: str = PASSWORD) -> httpx.Response:
    page = http.get(link)
    assert page.status_code == 200, page.text
    code = link.rpartition("=")[2]
    return http.post(
        "/account/setup",
        data={"csrf_token": form_csrf(http, link), "code": code, "password": password,
              "confirm": password},
    )  # fmt: skip


def signed_in_page(http: httpx.Client) -> httpx.Response:
    return http.get("/provider/account")


def test_the_welcome_code_sets_a_password_once_then_says_it_was_used_and_offers_a_new_one(
    http, monkeypatch
):
    username = add_account(password=None)
    pdu("provider", "account", "reset", username)
    link = link_in(outbox()[-1])
    assert (
        choose_password(http, link).headers["location"] == "/provider/sign-in?notice=password-set"
    )
    assert sign_in(http, username).status_code == 303
    again = http.get(link)
    assert again.status_code == 410 and "already been used" in again.text
    # a new link, by email to the account's own address, not to whoever holds the old one
    http.post("/account/setup/new-code", data={"csrf_token": form_csrf(http, link),
                                               "code": link.rpartition("=")[2]})  # fmt: skip
    fresh = link_in(outbox()[-1])
    assert fresh != link and outbox()[-1].to_addresses == ["jane@billings.example"]
    move_clock(monkeypatch, minutes=31)  # a signed-in person's new link lasts 30 minutes
    expired = http.get(fresh)
    assert expired.status_code == 410 and "expired" in expired.text


def test_a_welcome_link_sent_before_the_secret_key_was_rotated_still_sets_the_password(
    http, monkeypatch
):
    username = add_account(password=None)
    pdu("provider", "account", "reset", username)
    link = link_in(outbox()[-1])
    monkeypatch.setenv("PDU_SECRET_KEYS", f"{new_secret()},{get_settings().current_key}")
    monkeypatch.delenv("PDU_SECRET_KEY")
    reset_settings()
    assert choose_password(http, link).headers["location"].endswith("notice=password-set")


def test_an_unknown_code_changes_nothing_and_says_so(http):
    add_account(password=None)
    before = snapshot()
    page = http.get("/account/setup?code=" + "a" * 26)
    assert page.status_code == 404 and "not one we sent" in page.text
    assert snapshot() == before


def test_a_weak_or_mismatched_password_is_refused_in_plain_words(http):
    username = add_account(password=None)
    pdu("provider", "account", "reset", username)
    link = link_in(outbox()[-1])
    for password, words in (
        ("short", "at least 12 characters"),
        ("password1234", "most common"),
        ("JDoe and some more", "your username"),
    ):
        answer = choose_password(http, link, password)
        assert answer.status_code == 422 and words in answer.text
    assert count("SELECT count(*) FROM provider_accounts WHERE password_hash IS NOT NULL") == 0


def test_sign_in_takes_the_username_in_any_case_or_the_email_address(http):
    username = add_account()
    for identifier in (username, username.lower(), username.upper(), "JANE@billings.example"):
        http.cookies.clear()
        assert sign_in(http, identifier).status_code == 303, identifier
        assert signed_in_page(http).status_code == 200


def test_the_session_id_changes_at_sign_in_and_a_planted_id_is_worthless(http):
    username = add_account()
    http.get("/provider/sign-in")
    plant(http, "planted-by-an-attacker")
    response = sign_in(http, username)
    after = response.cookies.get(SESSION_COOKIE)
    assert after and after != "planted-by-an-attacker"
    with portal_client(str(http.base_url), cookie="planted-by-an-attacker") as attacker:
        assert attacker.get("/provider/account").status_code == 303
    # signing in again from a signed-in browser rotates the id again and ends the old one
    again = sign_in(http, username).cookies.get(SESSION_COOKIE)
    assert again and again != after
    with portal_client(str(http.base_url), cookie=after) as stale:
        assert stale.get("/provider/account").status_code == 303


def test_the_cookie_is_httponly_samesite_lax_and_carries_no_expiry(http):
    username = add_account()
    header = sign_in(http, username).headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Max-Age" not in header


def test_a_stolen_cookie_is_useless_after_sign_out(http):
    username = add_account()
    sign_in(http, username)
    stolen = http.cookies.get(SESSION_COOKIE)
    out = http.post("/provider/sign-out", data={"csrf_token": session_csrf(http)})
    assert out.headers["location"] == "/provider/sign-in?notice=signed-out"
    with portal_client(str(http.base_url), cookie=stolen) as thief:
        assert thief.get("/provider/account").status_code == 303


def test_changing_the_password_ends_every_other_session_but_keeps_this_one(http, site):
    username = add_account()
    sign_in(http, username)
    with portal_client(site.url) as other:
        sign_in(other, username)
        stolen = other.cookies.get(SESSION_COOKIE)
    new = "a different long passphrase"
    changed = http.post("/provider/account/password", data={
        "csrf_token": session_csrf(http), "current": PASSWORD, "password": new, "confirm": new,
    })  # fmt: skip
    assert changed.headers["location"] == "/provider/account?notice=password-changed"
    assert signed_in_page(http).status_code == 200
    with portal_client(site.url, cookie=stolen) as thief:
        assert thief.get("/provider/account").status_code == 303
    assert outbox()[-1].body_text.count("was changed") == 1  # the owner is told
    http.cookies.clear()
    assert sign_in(http, username).status_code == 401
    assert sign_in(http, username, new).status_code == 303


def test_a_reset_by_email_is_single_use_expires_in_30_minutes_and_ends_other_sessions(
    http, site, monkeypatch
):
    username = add_account()
    with portal_client(site.url) as elsewhere:
        sign_in(elsewhere, username)
        stolen = elsewhere.cookies.get(SESSION_COOKIE)
    forgot(http, "/provider/forgot-password", "identifier", username.lower())
    link = link_in(mails(1)[-1])
    assert choose_password(http, link, "my brand new passphrase").status_code == 303
    assert http.get(link).status_code == 410  # used
    with portal_client(site.url, cookie=stolen) as thief:
        assert thief.get("/provider/account").status_code == 303
    forgot(http, "/provider/forgot-password", "identifier", username)
    late = link_in(mails(3)[-1])  # after the reset link and the "password changed" notice
    move_clock(monkeypatch, minutes=30, seconds=1)
    assert http.get(late).status_code == 410


def test_forgot_password_and_username_answer_alike_for_known_and_unknown(http):
    username = add_account()
    for path, field, known, unknown in (
        ("/provider/forgot-password", "identifier", username, "NoSuchUser"),
        ("/provider/forgot-password", "identifier", "jane@billings.example", "nobody@x.example"),
        ("/provider/forgot-username", "email", "jane@billings.example", "nobody@x.example"),
    ):
        assert forgot(http, path, field, known).text == forgot(http, path, field, unknown).text
    assert [m.to_addresses for m in mails(3)] == [["jane@billings.example"]] * 3


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer_in_about_the_same_time(http):
    username = add_account(username="RParkes")
    known_times, unknown_times = [], []
    for _ in range(3):  # below the back-off: each try is checked
        started = time.perf_counter()
        known = sign_in(http, username, "not the password at all")
        known_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        unknown = sign_in(http, "NoSuchUser", "not the password at all")
        unknown_times.append(time.perf_counter() - started)
        assert known.status_code == unknown.status_code == 401
        assert known.text.replace(username, "X") == unknown.text.replace("NoSuchUser", "X")
    # both do one argon2 verification (~50-300 ms here); a skipped one would halve the time
    assert min(unknown_times) > 0.5 * min(known_times)


def test_the_eleventh_try_is_refused_even_with_the_right_password_until_the_lock_ends(
    http, monkeypatch
):
    username = add_account()
    for attempt in range(10):
        answer = sign_in(http, username, f"wrong password number {attempt}")
        assert answer.status_code == 401, (attempt, answer.status_code)
        move_clock(monkeypatch, seconds=61)  # past each back-off, well inside the window
    refused = sign_in(http, username, PASSWORD)
    assert refused.status_code == 429 and "too many wrong tries" in refused.text
    assert SESSION_COOKIE not in refused.cookies
    locked = outbox()
    assert len(locked) == 1 and "paused" in locked[0].subject
    with UnitOfWork() as work:
        failures = [repr(r) for r in work.session.execute(SignInFailure.__table__.select())]
    assert len(failures) == 10 and "wrong password" not in " ".join(failures)
    move_clock(monkeypatch, minutes=13)  # the first failures leave the window: still locked
    assert sign_in(http, username, PASSWORD).status_code == 429
    move_clock(monkeypatch, minutes=2)
    assert sign_in(http, username, PASSWORD).status_code == 303


def test_the_back_off_is_shared_by_every_web_process_because_it_lives_in_the_database(
    site, monkeypatch
):
    username = add_account()
    with running_web() as second, portal_client(site.url) as one, portal_client(second.url) as two:
        for client in (one, two, one):
            assert sign_in(client, username, "not my password!").status_code == 401
        assert sign_in(two, username, PASSWORD).status_code == 429  # a wait, counted across
        move_clock(monkeypatch, seconds=2)
        assert sign_in(two, username, PASSWORD).status_code == 303


def test_a_second_factor_is_enrolled_with_a_code_and_then_asked_at_each_sign_in(http, monkeypatch):
    username = add_account()
    sign_in(http, username)
    page = http.get("/provider/account/two-factor")
    assert 'src="data:image/png;base64,' in page.text
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page.text)[1].replace(" ", "")
    totp = pyotp.TOTP(secret)
    wrong = http.post("/provider/account/two-factor",
                      data={"csrf_token": session_csrf(http), "code": "000000"})  # fmt: skip
    assert wrong.status_code == 422
    done = http.post("/provider/account/two-factor", data={
        "csrf_token": session_csrf(http), "code": totp.at(clock.now()),
    })  # fmt: skip
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)
    assert len(codes) == 10
    http.post("/provider/sign-out", data={"csrf_token": session_csrf(http)})

    half = sign_in(http, username)
    assert half.headers["location"].startswith("/provider/sign-in/code")
    assert signed_in_page(http).headers["location"] == "/provider/sign-in/code"
    move_clock(monkeypatch, seconds=30)
    code = totp.at(clock.now())
    full = http.post("/provider/sign-in/code", data={"csrf_token": session_csrf(http),
                                                     "code": code, "next": ""})  # fmt: skip
    assert full.status_code == 303 and full.cookies.get(SESSION_COOKIE) != half.cookies.get(
        SESSION_COOKIE
    )  # a new id once the second factor passes
    assert signed_in_page(http).status_code == 200

    http.post("/provider/sign-out", data={"csrf_token": session_csrf(http)})
    sign_in(http, username)
    replay = http.post("/provider/sign-in/code", data={"csrf_token": session_csrf(http),
                                                       "code": code})  # fmt: skip
    assert replay.status_code == 401  # a TOTP code works once
    for recovery, expected in ((codes[0], 303), (codes[0], 401)):
        http.cookies.clear()
        sign_in(http, username)
        answer = http.post("/provider/sign-in/code", data={"csrf_token": session_csrf(http),
                                                           "code": recovery})  # fmt: skip
        assert answer.status_code == expected
    with UnitOfWork() as work:
        account = work.session.scalar(select(ProviderAccount))
        assert account is not None and len(account.recovery_code_hashes) == 9
        assert codes[1] not in json.dumps(account.recovery_code_hashes)  # stored hashed


def enrol(http: httpx.Client, username: str) -> tuple[pyotp.TOTP, list[str]]:
    """Sign in and turn on TOTP: the app's generator and the ten recovery codes."""
    sign_in(http, username)
    page = http.get("/provider/account/two-factor")
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page.text)[1].replace(" ", "")
    totp = pyotp.TOTP(secret)
    done = http.post("/provider/account/two-factor", data={
        "csrf_token": session_csrf(http), "code": totp.at(clock.now()),
    })  # fmt: skip
    http.post("/provider/sign-out", data={"csrf_token": session_csrf(http)})
    return totp, re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)


def stored_totp_secret() -> str:
    with UnitOfWork() as work:
        value = work.session.scalar(select(ProviderAccount.totp_secret))
        assert value is not None
        return value


def second_step(http: httpx.Client, username: str, code: str) -> int:
    """Sign in with the password, then `code`: the second step's status (303: signed in)."""
    http.cookies.clear()
    sign_in(http, username)
    answer = http.post("/provider/sign-in/code", data={"csrf_token": session_csrf(http),
                                                       "code": code, "next": ""})  # fmt: skip
    return answer.status_code


def test_the_totp_secret_is_stored_sealed_and_still_works_after_the_secret_key_is_rotated(
    http, monkeypatch
):
    username = add_account()
    totp, codes = enrol(http, username)
    sealed = stored_totp_secret()
    assert sealed.startswith("v1:") and totp.secret not in sealed  # not readable at rest

    old = get_settings().current_key
    monkeypatch.setenv("PDU_SECRET_KEYS", f"{new_secret()},{old}")  # current first
    monkeypatch.delenv("PDU_SECRET_KEY")
    reset_settings()
    move_clock(monkeypatch, seconds=30)
    assert second_step(http, username, totp.at(clock.now())) == 303
    resealed = stored_totp_secret()
    assert resealed != sealed and totp.secret not in resealed  # now under the new key
    assert second_step(http, username, codes[0]) == 303  # recovery codes made before, too

    monkeypatch.setenv("PDU_SECRET_KEYS", get_settings().current_key)  # the old key dropped
    reset_settings()
    move_clock(monkeypatch, seconds=30)
    assert second_step(http, username, totp.at(clock.now())) == 303

    monkeypatch.setenv("PDU_SECRET_KEYS", new_secret())  # its key dropped too soon: refused
    reset_settings()
    move_clock(monkeypatch, seconds=30)
    assert second_step(http, username, totp.at(clock.now())) == 401  # plainly, no error


def test_a_totp_secret_stored_plain_before_sealing_still_works_and_is_sealed_at_its_next_use(
    http, monkeypatch
):
    username = add_account()
    totp, _codes = enrol(http, username)
    with UnitOfWork() as work:  # as a row from before migration 0010 holds it
        account = work.session.scalar(select(ProviderAccount))
        assert account is not None
        account.totp_secret = totp.secret
        work.commit()
    move_clock(monkeypatch, seconds=30)
    assert second_step(http, username, totp.at(clock.now())) == 303
    assert stored_totp_secret().startswith("v1:")


def test_managers_must_enrol_a_second_factor_when_the_office_requires_it(http, monkeypatch):
    manager = add_account()
    user = add_account(first="Sam", last="Lee", email="sam@billings.example", manager=False)
    monkeypatch.setenv("PDU_PORTAL_REQUIRE_2FA", "true")
    reset_settings()
    sign_in(http, manager)
    assert http.get("/provider/choose").status_code == 200  # a page before the requirement
    assert http.get("/provider/probe").headers["location"] == "/provider/account/two-factor"
    http.cookies.clear()
    sign_in(http, user)
    assert http.get("/provider/probe").status_code != 303  # a plain user is not held back


def test_a_person_with_two_providers_chooses_one_and_it_shows_on_every_page(http):
    first = add_account("MTP-00001")
    add_account("MTP-00002", username="JDoe2")
    sign_in(http, first)
    assert http.get("/provider/account/password").status_code == 200
    held = http.get("/provider/probe")
    assert held.headers["location"].startswith("/provider/choose?next=")
    choose = http.get("/provider/choose")
    ids = re.findall(r'name="provider" id="provider-(\d+)"', choose.text)
    assert len(ids) == 2
    chosen = http.post(
        "/provider/choose",
        data={"csrf_token": session_csrf(http), "provider": ids[1], "next": "/provider/account"},
    )
    assert chosen.headers["location"] == "/provider/account"
    page = http.get("/provider/account")
    assert "acting for" in page.text and "Change organisation" in page.text
    stranger = http.post("/provider/choose", data={"csrf_token": session_csrf(http),
                                                   "provider": "3"})  # fmt: skip
    assert stranger.status_code == 422


def test_staff_list_disable_enable_and_reset_accounts_and_each_is_on_the_history(http):
    username = add_account()
    sign_in(http, username)
    listed = json.loads(pdu("provider", "account", "list", "--provider", "MTP-00001", "--json"))
    assert [(a["username"], a["status"]) for a in listed] == [(username, "active")]
    pdu("provider", "account", "disable", username.lower())
    assert signed_in_page(http).status_code == 303  # its sessions ended
    http.cookies.clear()
    disabled = sign_in(http, username)
    assert disabled.status_code == 403 and "disabled" in disabled.text
    assert sign_in(http, username, "a wrong one for sure").status_code == 401  # no tell
    pdu("provider", "account", "enable", username)
    pdu("provider", "account", "reset", username)
    assert outbox()[-1].to_addresses == ["jane@billings.example"]
    history = json.loads(pdu("provider", "history", "MTP-00001", "--json"))
    assert [h["action"] for h in history] == [
        "account_disabled", "account_enabled", "account_setup_link",
    ]  # fmt: skip
    assert {h["actor"] for h in history} == {"OPI staff (pdu)"}
