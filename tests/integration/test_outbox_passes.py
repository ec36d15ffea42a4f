"""Sending passes through the real SMTP server: due emails are claimed ten at a time, each
marked sent on its own, and a pass on a slow server stops before its claims could outlive
their lease in our hands (another sender would then send them a second time). Several
connections send at once, one person's emails in the order they were queued."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from mailbox.smtp import SmtpSender

import pytest
from sqlalchemy import select

from models.enums import OutboxStatus
from models.messages import OutboxMessage
from models.services.outbox import LEASE, deliver_pending
from models.uow import UnitOfWork
from tests.inbound_support import JANE, Desk
from tests.services.mailserver import MailServer


@pytest.fixture
def desk(uow: object, monkeypatch: pytest.MonkeyPatch) -> Desk:
    return Desk(monkeypatch)


class SlowServer:
    """The real server, each email taking `seconds` of a clock the pass reads."""

    def __init__(self, smtp: SmtpSender, seconds: float) -> None:
        self.smtp, self.seconds, self.now, self.sent = smtp, seconds, 0.0, []

    def send(self, message: EmailMessage) -> None:
        self.smtp.send(message)
        self.now += self.seconds
        self.sent.append(str(message["Message-ID"]))


@pytest.fixture
def smtp(mail_server: MailServer) -> Iterator[SmtpSender]:
    with SmtpSender(mail_server.host, mail_server.smtp_port, timeout=10) as sender:
        yield sender


def statuses() -> list[OutboxStatus]:
    with UnitOfWork() as work:
        return list(work.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_a_pass_sends_every_due_email_once(desk, smtp):
    for n in range(7):  # an acknowledgment and a review task each: 14 emails, two claims
        desk.submit(activity__title=f"Reading Institute, session {n}")
    server = SlowServer(smtp, 0.1)

    report = deliver_pending(UnitOfWork, [server], desk.now, elapsed=lambda: server.now)

    assert (report.sent, report.more) == (14, False)
    assert statuses() == [OutboxStatus.SENT] * 14
    assert len(set(server.sent)) == 14


def test_a_slow_server_ends_the_pass_at_half_a_lease_and_the_claimed_rest_waits_its_lease(
    desk, smtp
):
    for n in range(6):  # 12 emails: a claim of ten, then two
        desk.submit(activity__title=f"Reading Institute, session {n}")
    server = SlowServer(smtp, 40.0)  # half a lease is 150 s: four sends

    first = deliver_pending(UnitOfWork, [server], desk.now, elapsed=lambda: server.now)
    assert (first.sent, first.more) == (4, True)
    with UnitOfWork() as work:  # ten claimed (an attempt each), two never
        attempts = work.session.scalars(select(OutboxMessage.attempts).order_by(OutboxMessage.id))
        assert list(attempts) == [1] * 10 + [0] * 2

    server.now = 0.0  # the next pass: the two never claimed go, the six claimed wait
    again = deliver_pending(UnitOfWork, [server], desk.now, elapsed=lambda: server.now)
    assert again.sent == 2
    assert statuses().count(OutboxStatus.PENDING) == 6

    server.now = 0.0
    later = desk.now + LEASE + timedelta(seconds=1)
    server.seconds = 0.1
    last = deliver_pending(UnitOfWork, [server], later, elapsed=lambda: server.now)
    assert (last.sent, last.more) == (6, False)
    assert statuses() == [OutboxStatus.SENT] * 12
    assert len(server.sent) == len(set(server.sent)) == 12  # none twice


def test_a_pass_on_three_connections_sends_each_email_once_and_one_persons_in_order(
    desk, mail_server
):
    educators = [JANE] * 4 + [f"educator{n}@school{n}.example" for n in range(8)]
    references = [
        desk.submit(email, activity__title=f"Reading Institute, session {n}")
        for n, email in enumerate(educators)
    ]
    before = len(mail_server.received)  # the server is the session's
    with ExitStack() as stack:
        senders = [
            stack.enter_context(SmtpSender(mail_server.host, mail_server.smtp_port, timeout=10))
            for _ in range(3)
        ]
        report = deliver_pending(UnitOfWork, senders, desk.now)

    assert (report.sent, report.more) == (24, False)  # an acknowledgment and a task each
    assert statuses() == [OutboxStatus.SENT] * 24
    received = mail_server.received[before:]
    assert len(received) == len(set(received)) == 24
    assert [s.connections for s in senders] == [1, 1, 1]
    janes = [BytesParser().parsebytes(raw) for raw in mail_server.messages(JANE)]
    subjects = [str(m["Subject"]) for m in janes if str(m["Message-ID"]) in received]
    assert [ref for s in subjects for ref in references[:4] if ref in s] == references[:4]
