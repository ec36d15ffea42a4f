"""The mail gateway against real Dovecot and SMTP: nothing lost, nothing applied twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from devmail import client as mail_client
from flows import jobs
from models.enums import OutboxStatus
from models.messages import InboundMessage, OutboxMessage
from models.services.email import poll as mail_poll
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval


def outcomes() -> list[tuple[str | None, str | None, str | None]]:
    with UnitOfWork() as work:
        return [
            (row.outcome, row.reason, row.filed_to)
            for row in work.session.scalars(select(InboundMessage).order_by(InboundMessage.id))
        ]


def submit_and_get_task(office):
    result = jobs.intake("preapproval", preapproval(office.applicant))
    office.cycle()
    return result.reference, office.last(office.staff("rita"), "Review")


def test_a_message_in_the_inbox_is_processed_once_across_two_polls(office):
    _, task = submit_and_get_task(office)
    office.reply(task, office.staff("rita"), "DENY the provider is a vendor selling a product")
    jobs.poll()
    jobs.poll()
    assert outcomes() == [("applied", "deny", "Processed")]
    assert len(office.server.messages(office.system, "Processed")) == 1
    assert office.server.messages(office.system, "INBOX") == []


def test_a_crash_between_commit_and_move_leaves_exactly_one_effect(office, monkeypatch):
    _, task = submit_and_get_task(office)
    office.reply(task, office.staff("rita"), "APPROVE 12")

    class Crash(Exception):
        pass

    def crash_on_move(*args, **kwargs):
        raise Crash("killed after the commit, before the MOVE")

    monkeypatch.setattr("mailbox.imap.ImapMailbox.move", crash_on_move)
    with pytest.raises(Crash):
        jobs.poll()
    assert outcomes() == [("applied", "approve", "Processed")]  # committed, still in the inbox
    assert len(office.server.messages(office.system, "INBOX")) == 1
    monkeypatch.undo()
    jobs.poll()  # the message is recognised and only filed
    assert outcomes() == [("applied", "approve", "Processed")]
    jobs.send()
    approvals = [m for m in office.inbox(office.applicant) if "Pre-approved" in m["Subject"]]
    assert len(approvals) == 1


def test_a_new_uidvalidity_rescans_and_relies_on_deduplication(office):
    _, task = submit_and_get_task(office)
    raw = mail_client.compose_reply(task, office.staff("rita"), "DENY out of scope").as_bytes()
    office.server.append(office.system, raw)
    jobs.poll()
    with UnitOfWork() as work:  # as if the server had renumbered its mailbox
        from models.messages import MailboxState

        state = work.session.scalar(select(MailboxState))
        state.uidvalidity, state.last_uid = 1, 999
        work.commit()
    office.server.append(office.system, raw)  # the same message shows up again
    jobs.poll()
    assert [o[:2] for o in outcomes()] == [("applied", "deny")]
    assert len(office.server.messages(office.system, "Processed")) == 2


def test_an_smtp_server_refusing_for_a_while_then_accepting_sends_each_email_once(office):
    office.server.refuse()
    try:
        jobs.intake("preapproval", preapproval(office.applicant))
        first = jobs.send()
        assert (first.sent, first.retrying) == (0, 2)  # acknowledgment + task, both deferred
        office.at("2026-11-20T16:10:00Z")
        assert jobs.send().retrying == 2
    finally:
        office.server.accept()
    office.at("2026-11-20T17:00:00Z")
    assert jobs.send().sent == 2
    office.at("2026-11-20T18:00:00Z")
    assert jobs.send().sent == 0
    with UnitOfWork() as work:
        statuses = work.session.scalars(select(OutboxMessage.status)).all()
        assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]
    ids = [m["Message-ID"] for m in office.inbox(office.applicant)]
    assert len(ids) == len(set(ids)) == 1


def test_two_pollers_never_work_the_same_folder_at_once(office):
    _, task = submit_and_get_task(office)
    office.reply(task, office.staff("rita"), "APPROVE")
    with UnitOfWork() as work:
        mail_poll._acquire(UnitOfWork, "INBOX", "other-poller", office.now(), 1)
        work.commit()
    report = jobs.poll()
    assert report.skipped_locked and outcomes() == []
    mail_poll._release(UnitOfWork, "INBOX", "other-poller")
    assert jobs.poll().seen == 1
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_emails_refused_for_the_mailboxs_daily_quota_wait_and_go_once_it_lifts(office):
    """Microsoft 365's 10,000 recipients a day: over it, every email is refused with a
    554; none of them is failed for good, and each goes once when the quota lifts."""
    office.server.answer_data(
        "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    )
    try:
        jobs.intake("preapproval", preapproval(office.applicant))
        first = jobs.send()
        assert (first.sent, first.retrying, first.failed) == (0, 2, 0)
    finally:
        office.server.accept()
    office.at("2026-11-20T17:00:00Z")
    assert jobs.send().sent == 2
    with UnitOfWork() as work:
        statuses = work.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert len(office.inbox(office.applicant)) == 1
