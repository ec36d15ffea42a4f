"""An applicant's answer is an answer, even when its first word looks like a command."""

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


@pytest.fixture
def asked(uow, monkeypatch):
    """A request whose reviewer asked a question: returns the applicant's reply address."""
    monkeypatch.setenv("PDU_NOW", "2026-11-20T16:00:00Z")
    with uow() as work:
        add_staff(
            work.session, "rita@opi.example", "Rita", "reviewer", datetime(2026, 11, 1, tzinfo=UTC)
        )
        work.commit()
    jobs.intake("preapproval", preapproval("jane@school.example"))
    with UnitOfWork() as work:
        task_reply_to = work.session.scalar(
            select(OutboxMessage.reply_to).where(OutboxMessage.template == "review_task")
        )
    jobs.ingest(message("rita@opi.example", task_reply_to, "INFO Is there an agenda?", 1))
    with UnitOfWork() as work:
        return work.session.scalar(
            select(OutboxMessage.reply_to).where(OutboxMessage.template == "info_request")
        )


def message(sender: str, to: str, body: str, n: int) -> bytes:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, to, "Re: your request"
    email["Message-ID"] = f"<m{n}@example.test>"
    email.set_content(body)
    return email.as_bytes()


@pytest.mark.parametrize("answer", ["Info: the agenda is on the website.", "Deny", "Approve me!"])
def test_an_applicant_answer_starting_with_a_command_word_is_forwarded(asked, answer):
    result = jobs.ingest(message("jane@school.example", asked, answer, 2))
    assert (result.outcome.value, result.reason) == ("reply", "reply")
    with UnitOfWork() as work:
        assert work.session.scalar(select(Case.status)) is CaseStatus.IN_REVIEW
