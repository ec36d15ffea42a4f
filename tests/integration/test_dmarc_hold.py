"""With a trusted Authentication-Results server, an unverified staff decision is held until
the reviewer confirms it from their own mailbox."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from flows import jobs
from models.cases import Case
from models.enums import CaseStatus
from models.messages import OutboxMessage
from models.services.staff import add_staff
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

TRUSTED = "mx.opi.example"


@pytest.fixture
def task_address(uow, monkeypatch):
    monkeypatch.setenv("PDU_NOW", "2026-11-20T16:00:00Z")
    monkeypatch.setenv("PDU_TRUSTED_AUTHSERV_ID", TRUSTED)
    with uow() as work:
        add_staff(
            work.session, "rita@opi.example", "Rita", "reviewer", datetime(2026, 11, 1, tzinfo=UTC)
        )
        work.commit()
    jobs.intake("preapproval", preapproval("jane@school.example"))
    return latest_reply_to("review_task")


def latest_reply_to(template: str) -> str:
    with UnitOfWork() as work:
        return work.session.scalars(
            select(OutboxMessage.reply_to)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id.desc())
        ).first()


def reply(
    to: str, body: str, n: int, sender: str = "rita@opi.example", auth: str | None = None
) -> bytes:
    message = EmailMessage()
    if auth:
        message["Authentication-Results"] = auth
    message["From"], message["To"], message["Subject"] = sender, to, "Re: review"
    message["Message-ID"] = f"<d{n}@opi.example>"
    message.set_content(body)
    return message.as_bytes()


def status() -> CaseStatus:
    with UnitOfWork() as work:
        return work.session.scalar(select(Case.status))


def test_a_decision_with_dmarc_pass_from_the_trusted_server_applies_at_once(task_address):
    auth = f"{TRUSTED}; dmarc=pass (p=reject) header.from=opi.example"
    result = jobs.ingest(reply(task_address, "DENY out of scope", 1, auth=auth))
    assert (result.outcome.value, result.reason) == ("applied", "deny")
    assert status() is CaseStatus.DENIED


def test_an_unverified_decision_is_held_then_applied_when_the_reviewer_confirms(task_address):
    result = jobs.ingest(reply(task_address, "DENY out of scope", 1))
    assert (result.outcome.value, result.reason) == ("held", "dmarc_unverified")
    assert status() is CaseStatus.IN_REVIEW
    confirm_address = latest_reply_to("confirm_command")
    assert confirm_address and confirm_address != task_address
    done = jobs.ingest(reply(confirm_address, "CONFIRM", 2))
    assert (done.outcome.value, done.reason) == ("applied", "deny (confirmed)")
    assert status() is CaseStatus.DENIED
    again = jobs.ingest(reply(confirm_address, "CONFIRM", 3))
    assert again.outcome.value == "refused"


def test_a_dmarc_pass_claimed_by_an_untrusted_server_does_not_count(task_address):
    forged = "evil.example; dmarc=pass header.from=opi.example"
    result = jobs.ingest(reply(task_address, "APPROVE", 1, auth=forged))
    assert result.outcome.value == "held"
    assert status() is CaseStatus.IN_REVIEW


def test_someone_else_cannot_confirm_a_held_decision(task_address):
    jobs.ingest(reply(task_address, "APPROVE", 1))
    confirm_address = latest_reply_to("confirm_command")
    forged = jobs.ingest(reply(confirm_address, "CONFIRM", 2, sender="mallory@evil.example"))
    assert (forged.outcome.value, forged.reason) == ("refused", "sender_mismatch")
    assert status() is CaseStatus.IN_REVIEW
