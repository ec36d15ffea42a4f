"""Shared by the provider portal's tests: two providers, each with a manager account (a
session opened straight from the session use case: signing in is portal-auth's to test),
and an event of each that has ended, so its certificates may be issued."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select

from models.accounts import ProviderAccount
from models.batches import BatchStatus, IssuanceBatch
from models.enums import StaffRole
from models.people import Person
from models.services import provider_events as event_service
from models.services.context import ServiceContext
from models.services.directory import add_provider
from models.services.staff import add_staff
from models.services.web_sessions import begin_provider_session
from models.settings import reset_settings
from models.uow import UnitOfWork

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Monday 9:00 in Montana
HEADER = "first_name,last_name,email,license_number,hours\n"


@dataclass(frozen=True)
class Side:
    provider_id: int
    number: str
    account_id: int
    event_id: int


def seed(
    monkeypatch: pytest.MonkeyPatch,
    emails: tuple[str, str] = ("tom@bigsky.example", "eve@other.example"),
) -> tuple[Side, Side]:
    monkeypatch.setenv("PDU_NOW", NOW.isoformat())
    reset_settings()
    sides = []
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, NOW)
        add_staff(work.session, "ada@opi.example", "Ada Admin", StaffRole.ADMIN, NOW)
        for index, (name, email) in enumerate(
            (("Big Sky Learning", emails[0]), ("Other Collaborative", emails[1]))
        ):
            provider = add_provider(work.session, name, f"info{index}@provider.example", NOW)
            first = email.partition("@")[0]
            person = Person(
                email=email, first_name=first.capitalize(), last_name="Baker",
                created_at=NOW,
            )  # fmt: skip
            work.session.add(person)
            work.session.flush()
            account = ProviderAccount(
                username=f"{first[0].upper()}Baker{index or ''}", provider_id=provider.id,
                person_id=person.id, is_manager=True, created_at=NOW,
                password_hash="signed in by the session use case",
            )  # fmt: skip
            work.session.add(account)
            work.session.flush()
            event = event_service.add_event(
                ctx, provider.number, title=f"{name} Summit", start=date(2026, 11, 19),
                end=date(2026, 11, 20), hours="12", locations=["Helena, MT"],
            )  # fmt: skip
            sides.append(Side(provider.id, provider.number, account.id, event.id))
        work.commit()
    return sides[0], sides[1]


def session_for(side: Side) -> str:
    """A signed-in session of the side's manager: the cookie's value."""
    with UnitOfWork() as work:
        account = work.session.get(ProviderAccount, side.account_id)
        assert account is not None
        token = begin_provider_session(ServiceContext.of(work, NOW), account)
        work.commit()
    return token


def sign_in(http: httpx.Client, side: Side) -> None:
    http.cookies.set("pdu_session", session_for(side))


def csrf(http: httpx.Client, path: str = "/provider/events") -> str:
    page = http.get(path)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found, "the page has no form token"
    return found[1]


def wait_for_batches(timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with UnitOfWork() as work:
            statuses = set(work.session.scalars(select(IssuanceBatch.status)))
        if statuses and statuses <= {BatchStatus.DONE}:
            return
        time.sleep(0.2)
    raise AssertionError("the batches were not done in time")
