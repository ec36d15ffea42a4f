"""Changing an email address in the provider portal, over real HTTP (uvicorn on loopback)
and real mail (Dovecot mailboxes behind SMTP), on SQLite and PostgreSQL: the link goes to
the new address's mailbox, nothing changes until it is opened in the asking account's
session, then the old address is told. The link works once, for a day, for nobody else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from flows import jobs
from models import clock
from models.people import Person
from models.providers import Provider
from models.settings import reset_settings
from models.uow import UnitOfWork
from tests.portal_support import (
    PASSWORD,
    add_account,
    assert_hidden,
    portal_client,
    session_csrf,
    sign_in,
    snapshot,
)
from tests.web_support import ROOT, pdu, running_web

LINK = re.compile(r"http://\S+/provider/confirm-email\?code=([a-z2-7]{26})")


@pytest.fixture
def http(office) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    """A browser's client of the portal, on the sample directory (Billings' address in the
    test's mail domain)."""
    pdu("directory", "import", str(ROOT / "scripts" / "sample-directory.csv"))
    pdu("directory", "edit", "MTP-00001", "--email", f"pd@billings.{office.domain}")
    with running_web() as server:
        office.monkeypatch.setenv("PDU_PUBLIC_URL", server.url)
        reset_settings()
        with portal_client(server.url) as client:
            yield client


def post(http: httpx.Client, path: str, **fields: str) -> httpx.Response:
    return http.post(path, data={"csrf_token": session_csrf(http), **fields})


def emailed_code(office, address: str) -> str:  # type: ignore[no-untyped-def]
    """The code of the newest confirmation link in `address`'s real mailbox."""
    jobs.send()
    message = office.last(address, "Confirm your new email address")
    found = LINK.search(message.get_body(("plain",)).get_content())
    assert found, "no confirmation link in the email"
    return found[1]


def person_email(username_email: str) -> str | None:
    with UnitOfWork() as work:
        return work.session.scalar(select(Person.email).where(Person.email == username_email))


def contact_email() -> str:
    with UnitOfWork() as work:
        provider = work.session.scalar(select(Provider).where(Provider.number == "MTP-00001"))
        assert provider is not None
        return provider.contact_email


def test_an_account_email_changes_only_once_the_link_from_the_new_mailbox_is_opened(office, http):
    old, new = f"jane@billings.{office.domain}", f"jane.doe@newmail.{office.domain}"
    username = add_account(email=old)
    sign_in(http, username)
    wrong = post(http, "/provider/account/email", email=new, password="not my password!")
    assert wrong.status_code == 422 and "Your password is not right" in wrong.text
    asked = post(http, "/provider/account/email", email=new, password=PASSWORD)
    assert asked.status_code == 200 and f"sent a link to {new}" in asked.text

    code = emailed_code(office, new)
    assert person_email(old) == old  # nothing changed yet: the link is not opened
    page = http.get(f"/provider/confirm-email?code={code}")
    assert page.status_code == 200 and old in page.text and new in page.text
    assert person_email(old) == old  # opening the link only asks (mail scanners open links)

    done = post(http, "/provider/confirm-email", code=code)
    assert done.headers["location"] == "/provider/account?notice=email-changed"
    assert person_email(old) is None and person_email(new) == new
    jobs.send()
    told = office.last(old, "has changed").get_body(("plain",)).get_content()
    assert f"from: {old}" in told and f"to:   {new}" in told
    again = post(http, "/provider/confirm-email", code=code)
    assert again.status_code == 410 and "already been used" in again.text

    http.cookies.clear()
    assert sign_in(http, new).status_code == 303  # the new address signs in
    assert sign_in(http, old).status_code == 401


def test_the_organisations_email_is_changed_by_its_manager_from_the_new_address(office, http):
    old, new = contact_email(), f"learning@billings.{office.domain}"
    manager = add_account(email=f"jane@billings.{office.domain}")
    user = add_account(first="Sam", last="Lee", email=f"sam@billings.{office.domain}",
                       manager=False)  # fmt: skip
    sign_in(http, user)
    assert http.get("/provider/contact/email").status_code == 404  # a manager's page
    http.cookies.clear()
    sign_in(http, manager)
    assert old in http.get("/provider/users").text
    post(http, "/provider/contact/email", email=new)
    code = emailed_code(office, new)
    assert contact_email() == old
    done = post(http, "/provider/confirm-email", code=code)
    assert done.headers["location"] == "/provider/users?done=email"
    assert contact_email() == new
    jobs.send()
    told = office.last(old, "has changed").get_body(("plain",)).get_content()
    assert "Billings Public Schools's contact" in told and f"to:   {new}" in told
    assert "email_changed" in pdu("provider", "history", "MTP-00001")


def test_an_email_change_link_expires_after_a_day_and_changes_nothing(office, http):
    old, new = f"jane@billings.{office.domain}", f"jane@late.{office.domain}"
    sign_in(http, add_account(email=old))
    post(http, "/provider/account/email", email=new, password=PASSWORD)
    code = emailed_code(office, new)
    office.at((clock.now() + timedelta(hours=24, seconds=1)).isoformat())
    http.cookies.clear()
    sign_in(http, old)
    before = snapshot()
    answer = post(http, "/provider/confirm-email", code=code)
    assert answer.status_code == 410 and "expired" in answer.text
    assert http.get(f"/provider/confirm-email?code={code}").status_code == 410
    assert snapshot() == before and person_email(old) == old


def test_a_newer_change_voids_the_older_link(office, http):
    old = f"jane@billings.{office.domain}"
    sign_in(http, add_account(email=old))
    post(http, "/provider/account/email", email=f"first@new.{office.domain}", password=PASSWORD)
    first = emailed_code(office, f"first@new.{office.domain}")
    post(http, "/provider/account/email", email=f"second@new.{office.domain}", password=PASSWORD)
    assert post(http, "/provider/confirm-email", code=first).status_code == 410
    assert person_email(old) == old


def test_an_email_change_link_is_not_usable_in_another_providers_session(office, http):
    old, new = f"jane@billings.{office.domain}", f"jane@new.{office.domain}"
    sign_in(http, add_account(email=old))
    post(http, "/provider/account/email", email=new, password=PASSWORD)
    code = emailed_code(office, new)
    other = add_account("MTP-00002", "Eve", "Stone", f"eve@msu.{office.domain}")
    with portal_client(str(http.base_url)) as theirs:
        sign_in(theirs, other)
        assert_hidden(theirs, "GET", f"/provider/confirm-email?code={code}")
        assert_hidden(theirs, "POST", "/provider/confirm-email", {"code": code})
    with portal_client(str(http.base_url)) as signed_out:
        answer = signed_out.get(f"/provider/confirm-email?code={code}")
        assert answer.headers["location"].startswith("/provider/sign-in?next=")
    assert person_email(old) == old
    assert post(http, "/provider/confirm-email", code=code).status_code == 303  # still theirs
    assert person_email(new) == new


def test_an_account_may_ask_for_five_changes_a_day_and_no_more(office, http):
    sign_in(http, add_account(email=f"jane@billings.{office.domain}"))
    for n in range(5):
        address = f"n{n}@new.{office.domain}"
        assert post(http, "/provider/account/email", email=address, password=PASSWORD).is_success
    refused = post(http, "/provider/account/email", email=f"n6@new.{office.domain}",
                   password=PASSWORD)  # fmt: skip
    assert refused.status_code == 422 and "try again tomorrow" in refused.text
    office.at((clock.now() + timedelta(days=1)).isoformat())
    http.cookies.clear()
    sign_in(http, f"jane@billings.{office.domain}")
    assert post(http, "/provider/account/email", email=f"n7@new.{office.domain}",
                password=PASSWORD).is_success  # fmt: skip
