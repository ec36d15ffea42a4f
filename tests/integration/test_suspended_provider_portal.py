"""A suspended provider, signed in to the provider portal (real HTTP, SQLite and
PostgreSQL), is refused in plain words when it reports an event, uploads a roster or adds
an attendee by hand, and nothing is written; its certificates already issued stay valid."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from models.certificates import Certificate
from models.events import Attendee, ProviderEvent
from models.uow import UnitOfWork
from tests.provider_portal_support import HEADER, Side, csrf, seed, sign_in
from tests.web_support import pdu, running_web

ATTENDEE = {"first_name": "Ann", "last_name": "Lee", "email": "ann@school.example",
            "license_number": "567890", "hours": "3"}  # fmt: skip


@pytest.fixture
def suspended(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[
    tuple[httpx.Client, Side]
]:
    ours, _ = seed(monkeypatch)
    with running_web() as server, httpx.Client(base_url=server.url, timeout=60) as http:
        sign_in(http, ours)
        pdu("directory", "set-status", ours.number, "suspended", "--reason", "audit")
        yield http, ours


def rows() -> tuple[int, int, int]:
    with UnitOfWork() as work:
        return tuple(  # type: ignore[return-value]
            work.session.scalar(select(func.count()).select_from(t)) or 0
            for t in (ProviderEvent, Attendee, Certificate)
        )


def test_a_suspended_provider_cannot_report_an_event_or_issue_in_the_portal(suspended):
    http, ours = suspended
    before = rows()
    report = http.post("/provider/events", data={
        "csrf_token": csrf(http, "/provider/events/new"), "title": "Coaching Institute",
        "start": "2026-12-08", "end": "2026-12-09", "hours": "12", "format": "in_person",
        "locations": "Billings, MT",
    })  # fmt: skip
    assert report.status_code == 422 and "is suspended" in report.text
    token = csrf(http, f"/provider/events/{ours.event_id}")
    files = {"roster": ("roster.csv", (HEADER + "Al,Ng,al@school.example,345678,2\n").encode(),
                        "text/csv")}  # fmt: skip
    roster = http.post(
        f"/provider/events/{ours.event_id}/roster", data={"csrf_token": token}, files=files
    )
    assert roster.status_code == 422 and "is suspended" in roster.text
    by_hand = http.post(
        f"/provider/events/{ours.event_id}/attendees", data={"csrf_token": token, **ATTENDEE}
    )
    assert by_hand.status_code == 422 and "is suspended" in by_hand.text
    assert rows() == before
