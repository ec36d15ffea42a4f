"""What real mail brings in a first month (tests/fixtures/email/first-month/): a reused
Message-ID, a catch-all's delivery report, a plain-text bounce, robots and lists that must
never be answered, and a dead mailbox that bounces all day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import jobs
from models.messages import InboundMessage, OutboxMessage
from models.people import Person
from models.services.email.receive import InboundResult
from models.services.staff import add_staff
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

MAIL = Path(__file__).parents[1] / "fixtures" / "email" / "first-month"
GONE = "nobody@school.example"


@pytest.fixture
def office(uow, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PDU_NOW", "2026-11-23T16:00:00Z")
    with uow() as work:
        now = datetime(2026, 11, 1, tzinfo=UTC)
        add_staff(work.session, "rita@opi.example", "Rita", "reviewer", now)
        add_staff(work.session, "ada@opi.example", "Ada Admin", "admin", now)
        work.commit()
    jobs.intake("preapproval", preapproval(GONE))


def ingest(name: str) -> InboundResult:
    return jobs.ingest((MAIL / name).read_bytes())


def outbox(template: str | None = None) -> list[OutboxMessage]:
    with UnitOfWork() as work:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if template:
            query = query.where(OutboxMessage.template == template)
        return list(work.session.scalars(query))


def bounced(address: str) -> bool:
    with UnitOfWork() as work:
        person = work.session.scalar(select(Person).where(Person.email == address))
        return person is not None and person.email_bounced_at is not None


def test_a_different_message_reusing_a_message_id_is_processed_and_the_collision_recorded(
    office: None,
) -> None:
    first = ingest("reused_id_first.eml")
    second = ingest("reused_id_second.eml")
    assert not second.duplicate and second.inbound_id != first.inbound_id
    assert ingest("reused_id_first.eml").duplicate  # the same message again still is one
    with UnitOfWork() as work:
        row = work.session.get(InboundMessage, second.inbound_id)
        assert row is not None and row.collides_with_id == first.inbound_id
        assert work.session.get(InboundMessage, first.inbound_id).collides_with_id is None


def test_a_report_naming_our_address_as_original_recipient_marks_it_undeliverable(
    office: None,
) -> None:
    result = ingest("dsn_original_recipient.eml")
    assert (result.outcome.value, result.reason) == ("bounce", "bounced")
    assert bounced(GONE)


def test_a_mailer_daemon_bounce_without_a_report_is_a_bounce(office: None) -> None:
    result = ingest("mailer_daemon_plain.eml")
    assert (result.outcome.value, result.reason) == ("bounce", "bounced")
    assert bounced(GONE)


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [("noreply_sender.eml", "auto_generated"), ("list_rewritten_from.eml", "mailing_list")],
)
def test_no_reply_senders_and_list_rewritten_from_are_never_answered(
    office: None, fixture: str, reason: str
) -> None:
    before = len(outbox())
    result = ingest(fixture)
    assert (result.outcome.value, result.reason) == ("ignored", reason)
    assert len(outbox()) == before


def test_precedence_list_and_mailman_headers_are_a_mailing_list(office: None) -> None:
    result = ingest("mailman_precedence_list.eml")
    assert (result.outcome.value, result.reason) == ("ignored", "mailing_list")


def test_the_admins_hear_of_an_undeliverable_address_once_a_day(
    office: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ingest("dsn_original_recipient.eml")
    second = ingest("dsn_second_bounce.eml")
    assert first.detail.endswith("admins' notice queued")
    assert second.detail.endswith("admins' notice held back (1 already notified today)")
    assert len(outbox("bounce_notice")) == 1
    monkeypatch.setenv("PDU_NOW", "2026-11-24T16:00:00Z")
    third = ingest("mailer_daemon_plain.eml")
    assert third.detail.endswith("admins' notice queued")
    assert len(outbox("bounce_notice")) == 2
