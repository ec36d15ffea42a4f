"""Building outgoing messages (pure): headers that stop loops and cannot be injected."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

LOOP_HEADER = "X-PDU-Loop"
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    sender: str
    sender_name: str
    to: list[str]
    subject: str
    text: str
    date: datetime
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    in_reply_to: str | None = None
    attachments: list[OutgoingAttachment] = field(default_factory=list)


def new_message_id(domain: str) -> str:
    """Random, on our domain; stored before the first attempt so retries reuse it."""
    return f"<{secrets.token_hex(16)}@{domain}>"


def one_line(value: str) -> str:
    """Header text from user input: CR, LF and runs of whitespace become one space."""
    return _WHITESPACE.sub(" ", value).strip()


def build_message(out: Outgoing) -> EmailMessage:
    message = EmailMessage()
    domain = out.sender.rpartition("@")[2]
    message["From"] = Address(one_line(out.sender_name), addr_spec=out.sender)
    message["To"] = ", ".join(out.to)
    if out.cc:
        message["Cc"] = ", ".join(out.cc)
    if out.reply_to:
        message["Reply-To"] = out.reply_to
    message["Subject"] = one_line(out.subject)
    message["Date"] = format_datetime(out.date)
    message["Message-ID"] = out.message_id
    if out.in_reply_to:
        message["In-Reply-To"] = out.in_reply_to
        message["References"] = out.in_reply_to
    # RFC 3834: we are automatic; ask other robots (Exchange too) not to answer us.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message[LOOP_HEADER] = domain
    message.set_content(out.text)
    if out.html:
        message.add_alternative(out.html, subtype="html")
    for attachment in out.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message
