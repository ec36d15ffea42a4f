"""IMAP IDLE: a reply that lands while the watcher waits is acted on without a new poll."""

from __future__ import annotations

import threading

from sqlalchemy import select

from flows import jobs
from models.messages import InboundMessage
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval


def three_denials_waiting(office) -> None:  # type: ignore[no-untyped-def]
    """Three requests in review, and Rita's DENY to each waiting in the inbox."""
    for n in range(3):
        jobs.intake("preapproval", preapproval(office.applicant, activity__title=f"Part {n}"))
    office.cycle()
    tasks = [m for m in office.inbox(office.staff("rita")) if "Review" in str(m["Subject"])]
    assert len(tasks) == 3
    for task in tasks:
        office.reply(task, office.staff("rita"), "DENY not a structured learning activity")


def test_the_watcher_wakes_on_new_mail_instead_of_waiting_out_its_idle(office, monkeypatch):
    jobs.intake("preapproval", preapproval(office.applicant))
    office.cycle()
    task = office.last(office.staff("rita"), "Review")
    first_poll_done = threading.Event()
    real_poll = jobs.poll

    def poll_then_signal(*args, **kwargs):
        report = real_poll(*args, **kwargs)
        first_poll_done.set()
        return report

    monkeypatch.setattr(jobs, "poll", poll_then_signal)
    watcher = threading.Thread(target=jobs.watch, kwargs={"cycles": 2, "idle_seconds": 300})
    watcher.start()
    assert first_poll_done.wait(timeout=60)  # the reply must arrive after the first poll
    office.reply(task, office.staff("rita"), "DENY not a structured learning activity")
    # IDLE wakes on the arrival: far sooner than the 300 s the watcher would otherwise wait
    watcher.join(timeout=60)
    assert not watcher.is_alive()
    with UnitOfWork() as work:
        assert work.session.scalar(select(InboundMessage.reason)) == "deny"


def test_the_watcher_sends_an_outbox_backlog_on_instead_of_waiting_for_new_mail(
    office, monkeypatch
):
    """More due emails than one batch: the watcher must not sit in IDLE (minutes) while
    they wait; it sends batch after batch."""
    from functools import partial

    from models.enums import OutboxStatus
    from models.messages import OutboxMessage
    from models.services import outbox

    for n in range(5):  # ten emails: an acknowledgment and a task each
        jobs.intake("preapproval", preapproval(office.applicant, activity__title=f"Part {n}"))
    monkeypatch.setattr(outbox, "deliver_pending", partial(outbox.deliver_pending, limit=4))
    watcher = threading.Thread(
        target=jobs.watch, kwargs={"cycles": 3, "idle_seconds": 300}, daemon=True
    )
    watcher.start()
    watcher.join(timeout=60)
    assert not watcher.is_alive()
    with UnitOfWork() as work:
        statuses = work.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT] * 10


def test_a_burst_is_answered_batch_by_batch_while_the_rest_still_waits_in_the_inbox(
    office, monkeypatch
):
    """The replies to the first messages reach SMTP before the rest of a burst is read."""
    from models.enums import OutboxStatus
    from models.messages import OutboxMessage

    three_denials_waiting(office)
    monkeypatch.setattr(jobs, "WATCH_BATCH", 2)
    seen_at_each_send: list[tuple[int, int]] = []
    real_send = jobs.send

    def send_and_count(*args):  # type: ignore[no-untyped-def]
        sent = real_send(*args)
        with UnitOfWork() as work:
            read = len(work.session.scalars(select(InboundMessage.id)).all())
            denials = work.session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.template == "decision_denied")
            ).all()
        seen_at_each_send.append((read, denials.count(OutboxStatus.SENT)))
        return sent

    monkeypatch.setattr(jobs, "send", send_and_count)
    jobs.watch(cycles=2, idle_seconds=1)
    assert seen_at_each_send == [(2, 2), (3, 3)]


def test_the_watcher_keeps_one_imap_connection_across_its_cycles_and_reconnects_when_dropped(
    office, monkeypatch
):
    """A login (and on Dovecot half a second of LOGOUT) per cycle was a third of a burst's
    time; a connection the server drops is made again on the next cycle."""
    from mailbox.imap import ImapMailbox

    three_denials_waiting(office)
    logins: list[ImapMailbox] = []
    real_connect = ImapMailbox.connect

    def counted(self: ImapMailbox) -> ImapMailbox:
        if self._client is None:
            logins.append(self)
        return real_connect(self)

    monkeypatch.setattr(ImapMailbox, "connect", counted)
    monkeypatch.setattr(jobs, "WATCH_BATCH", 1)  # three cycles for the three replies
    jobs.watch(cycles=3, idle_seconds=1)
    assert len(logins) == 1
    with UnitOfWork() as work:
        assert work.session.scalars(select(InboundMessage.reason)).all() == ["deny"] * 3

    real_poll = jobs.poll
    dropped: list[bool] = []

    def drop_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not dropped:
            dropped.append(True)
            kwargs["mailbox"].client.shutdown()  # the server hangs up on us
        return real_poll(*args, **kwargs)

    monkeypatch.setattr(jobs, "poll", drop_once)
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the watcher's backoff
    jobs.watch(cycles=2, idle_seconds=1)
    assert len(logins) == 3  # this watch's first connection, and one after the drop


def test_the_watcher_keeps_its_smtp_connection_through_a_burst_and_closes_it_before_idling(
    office, monkeypatch
):
    """A connection a cycle cost a handshake (with a hosted relay, TLS and a login) for
    every 25 messages; idle, a relay would time the connection out anyway."""
    from mailbox.imap import ImapMailbox
    from mailbox.smtp import SmtpSender

    from models.enums import OutboxStatus
    from models.messages import OutboxMessage

    three_denials_waiting(office)
    events: list[str] = []
    real_connect, real_close = SmtpSender._connect, SmtpSender.close
    real_idle = ImapMailbox.idle_wait

    def connect(self: SmtpSender):  # type: ignore[no-untyped-def]
        events.append("connect")
        return real_connect(self)

    def close(self: SmtpSender) -> None:
        if self._smtp is not None:
            events.append("quit")
        real_close(self)

    def idle(self: ImapMailbox, seconds: float):  # type: ignore[no-untyped-def]
        events.append("idle")
        return real_idle(self, seconds)

    monkeypatch.setattr(SmtpSender, "_connect", connect)
    monkeypatch.setattr(SmtpSender, "close", close)
    monkeypatch.setattr(ImapMailbox, "idle_wait", idle)
    monkeypatch.setattr(jobs, "WATCH_BATCH", 1)  # a cycle a reply, then two that find none
    jobs.watch(cycles=5, idle_seconds=0.2)
    assert events == ["connect", "quit", "idle"]
    with UnitOfWork() as work:
        denials = work.session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.template == "decision_denied")
        ).all()
    assert denials == [OutboxStatus.SENT] * 3
