"""Builders for tests of the inbound gateway on a real database (no mail server).

`Desk` is the back office as the gateway sees it: staff seeded, cases created through
`flows.jobs.intake`, every email it queued readable from the outbox (with the Reply-To
token it carries until sent), and raw messages handed to `models.services.email.receive.receive`.
The message builders write mail the way clients do: a Reply-To target, threading headers,
the original quoted below the new text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from sqlalchemy import func, select

from flows import jobs
from models import clock
from models.cases import Case, TimelineEntry
from models.messages import Attachment, InboundMessage, OutboxMessage, ReplyToken
from models.people import Person
from models.services.email.receive import InboundResult, receive
from models.services.staff import add_staff
from models.settings import reset_settings
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

SYSTEM = "pdu@opi.example"
RITA = "rita@opi.example"  # the only reviewer: every review task is hers
SAM = "sam@opi.example"  # supervisor
ADA = "ada@opi.example"  # admin: told about bounces
JANE = "jane@school.example"  # the educator of the sample form
START = "2026-11-20T16:00:00Z"  # a Friday, 9:00 in Montana

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdac\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"invoice.js" + b"\x00" * 40
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@dataclass(frozen=True)
class Mail:
    """One queued email, as the outbox holds it before sending."""

    id: int
    template: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str | None
    subject: str
    message_id: str
    in_reply_to: str | None
    text: str
    html: str | None
    case_id: int | None


@dataclass(frozen=True)
class CaseState:
    """Everything an inbound message must leave alone when it is not acted on."""

    status: str
    timeline: int
    open_tasks: tuple[tuple[int, str], ...]  # (task id, assignee)
    tokens: tuple[tuple[int, datetime | None], ...]  # (token id, used_at)
    attachments: int
    hours_granted: Any


def _mail(row: OutboxMessage) -> Mail:
    return Mail(
        row.id,
        row.template,
        tuple(row.to_addresses),
        tuple(row.cc_addresses or ()),
        row.reply_to,
        row.subject,
        row.message_id,
        row.in_reply_to,
        row.body_text,
        row.body_html,
        row.case_id,
    )


def queued_mail(*, after: int = 0) -> list[Mail]:
    """Every email in the outbox with an id above `after`, oldest first."""
    with UnitOfWork() as work:
        rows = work.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > after).order_by(OutboxMessage.id)
        )
        return [_mail(row) for row in rows]


class Desk:
    """The office on this test's database; PDU_NOW is the clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.setenv("PDU_MAIL_ADDRESS", SYSTEM)
        self.setenv("PDU_NOW", START)
        with UnitOfWork() as work:
            add_staff(work.session, RITA, "Rita Reviewer", "reviewer", self.now)
            add_staff(work.session, SAM, "Sam Supervisor", "supervisor", self.now)
            add_staff(work.session, ADA, "Ada Admin", "admin", self.now)
            work.commit()

    # --- clock and settings ---------------------------------------------------------------

    def setenv(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)
        reset_settings()

    def at(self, instant: str) -> None:
        self.setenv("PDU_NOW", instant)

    @property
    def now(self) -> datetime:
        return clock.now()

    # --- cases ------------------------------------------------------------------------------

    def submit(self, email: str = JANE, **changes: Any) -> str:
        """A new pre-approval request (CLI channel); returns its reference."""
        result = jobs.intake("preapproval", preapproval(email, **changes))
        assert result.ok and result.created, result.problems
        assert result.reference is not None
        return result.reference

    def case_id(self, reference: str) -> int:
        with UnitOfWork() as work:
            found = work.session.scalar(select(Case.id).where(Case.reference == reference))
            assert found is not None, reference
            return found

    def state(self, reference: str) -> CaseState:
        with UnitOfWork() as work:
            case = work.session.scalar(select(Case).where(Case.reference == reference))
            assert case is not None, reference
            tokens = work.session.execute(
                select(ReplyToken.id, ReplyToken.used_at)
                .where(ReplyToken.case_id == case.id)
                .order_by(ReplyToken.id)
            ).all()
            attachments = work.session.scalar(
                select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id)
            )
            return CaseState(
                case.status.value,
                len(case.timeline),
                tuple((t.id, t.assignee.email) for t in case.tasks if t.status.value == "open"),
                tuple((row.id, row.used_at) for row in tokens),
                attachments or 0,
                case.hours_granted,
            )

    def status(self, reference: str) -> str:
        return self.state(reference).status

    def timeline(self, reference: str) -> list[tuple[str, str, str]]:
        """(action, actor, channel) of every entry, oldest first."""
        with UnitOfWork() as work:
            rows = work.session.execute(
                select(TimelineEntry.action, TimelineEntry.actor, TimelineEntry.channel)
                .where(TimelineEntry.case_id == self.case_id(reference))
                .order_by(TimelineEntry.id)
            ).all()
            return [(a, b, str(c)) for a, b, c in rows]

    def case_count(self) -> int:
        with UnitOfWork() as work:
            return work.session.scalar(select(func.count()).select_from(Case)) or 0

    def person(self, email: str) -> Person | None:
        with UnitOfWork() as work:
            found = work.session.scalar(select(Person).where(Person.email == email))
            work.session.expunge_all()  # readable after the unit of work rolls back
            return found

    def attachments(self, reference: str | None = None) -> list[Attachment]:
        with UnitOfWork() as work:
            query = select(Attachment).order_by(Attachment.id)
            if reference is not None:
                query = query.where(Attachment.case_id == self.case_id(reference))
            found = list(work.session.scalars(query))
            work.session.expunge_all()
            return found

    def inbound(self, inbound_id: int) -> InboundMessage:
        with UnitOfWork() as work:
            row = work.session.get(InboundMessage, inbound_id)
            assert row is not None
            work.session.expunge_all()
            return row

    def inbound_count(self) -> int:
        with UnitOfWork() as work:
            return work.session.scalar(select(func.count()).select_from(InboundMessage)) or 0

    # --- the outbox ---------------------------------------------------------------------------

    def outbox(self, *, after: int = 0) -> list[Mail]:
        return queued_mail(after=after)

    def mark(self) -> int:
        """The last outbox id: `outbox(after=desk.mark())` is what was queued since."""
        mails = self.outbox()
        return mails[-1].id if mails else 0

    def last(self, template: str, to: str) -> Mail:
        found = [m for m in self.outbox() if m.template == template and to in m.to]
        assert found, f"no {template} email to {to}"
        return found[-1]

    # --- the gateway ----------------------------------------------------------------------------

    def receive(self, raw: bytes | EmailMessage) -> InboundResult:
        data = raw if isinstance(raw, bytes) else raw.as_bytes()
        return receive(UnitOfWork, data, now=self.now)


def token_of(mail: Mail) -> str:
    assert mail.reply_to and "+" in mail.reply_to, mail.reply_to
    return mail.reply_to.partition("+")[2].partition("@")[0]


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def reply(
    original: Mail,
    sender: str,
    text: str,
    *,
    files: Sequence[tuple[str, str, bytes]] = (),
    headers: Mapping[str, str] | None = None,
    to: str | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """What a mail client sends: To the Reply-To, threaded, the original quoted below."""
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = to or original.reply_to or SYSTEM
    answer["Subject"] = f"Re: {original.subject}"
    answer["Date"] = "Mon, 23 Nov 2026 09:12:00 -0700"
    answer["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2])
    answer["In-Reply-To"] = original.message_id
    answer["References"] = original.message_id
    for name, value in (headers or {}).items():
        answer[name] = value
    answer.set_content(
        f"{text}\n\nOn Fri, Nov 20, 2026 at 9:00 AM PDU Workflows <{SYSTEM}> wrote:\n"
        f"{_quote(original.text)}\n"
    )
    for filename, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        answer.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return answer


def new_message(
    sender: str,
    text: str,
    *,
    subject: str = "PDU request",
    to: str = SYSTEM,
    files: Iterable[tuple[str, str, bytes]] = (),
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A fresh message (not a reply), e.g. a new submission."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 23 Nov 2026 09:12:00 -0700"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "x.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    for filename, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def form_json(form: Mapping[str, Any]) -> tuple[str, str, bytes]:
    """The form as an email attachment."""
    return ("preapproval.json", "application/json", json.dumps(form).encode("utf-8"))


def dsn(failed: str, original: Mail) -> bytes:
    """A Postfix delivery status notification for `failed` about one of our messages."""
    return f"""\
Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.school.example>
To: {SYSTEM}
Subject: Undelivered Mail Returned to Sender
Date: Mon, 23 Nov 2026 09:15:02 -0700 (MST)
Message-Id: <20261123161502.7A1B2C3D4E@mx.school.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="7A1B2C3D4E.1762100102/mx.school.example"

This is a MIME-encapsulated message.

--7A1B2C3D4E.1762100102/mx.school.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{failed}>: host mx.school.example said: 550 5.1.1 User unknown

--7A1B2C3D4E.1762100102/mx.school.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.school.example

Final-Recipient: rfc822; {failed}
Original-Recipient: rfc822;{failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected

--7A1B2C3D4E.1762100102/mx.school.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: PDU Workflows <{SYSTEM}>
To: {failed}
Subject: {original.subject}
Message-ID: {original.message_id}
X-PDU-Loop: opi.example

--7A1B2C3D4E.1762100102/mx.school.example--
""".replace("\n", "\r\n").encode("utf-8")


def handmade(headers: Sequence[tuple[str, str]], body: str | bytes) -> bytes:
    """A message spelled out byte for byte (CRLF line ends), for what builders refuse to write."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8")
    data = body if isinstance(body, bytes) else body.replace("\n", "\r\n").encode("utf-8")
    return head + b"\r\n" + data


def threading_headers(original: Mail, sender: str) -> list[tuple[str, str]]:
    """From, To (the Reply-To), Subject, Message-ID and the threading fields of a reply."""
    return [
        ("From", sender),
        ("To", original.reply_to or SYSTEM),
        ("Subject", f"Re: {original.subject}"),
        ("Message-ID", make_msgid(domain=sender.rpartition("@")[2])),
        ("In-Reply-To", original.message_id),
        ("References", original.message_id),
        ("MIME-Version", "1.0"),
    ]


def nested(depth: int, text: str) -> tuple[str, str]:
    """(Content-Type, body) of `depth` multipart/mixed levels around a text part `text`."""
    content_type, body = "text/plain; charset=utf-8", f"{text}\n"
    for level in range(depth, 0, -1):
        boundary = f"b{level}"
        body = f"--{boundary}\nContent-Type: {content_type}\n\n{body}\n--{boundary}--\n"
        content_type = f'multipart/mixed; boundary="{boundary}"'
    return content_type, body
