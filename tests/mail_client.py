"""A person's mail client, for tests: read a mailbox, reply with the original quoted."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid
from typing import Any


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [(p.get_filename() or "", p.get_content()) for p in message.iter_attachments()]


def reply(
    original: EmailMessage,
    sender: str,
    text: str,
    files: list[tuple[str, str, bytes]] | None = None,
    to: str | None = None,
) -> EmailMessage:
    """Like Thunderbird: To = Reply-To (else From), quote below, threading headers."""
    answer = EmailMessage()
    target = to or original.get("Reply-To") or original["From"]
    answer["From"] = sender
    answer["To"] = getaddresses([str(target)])[0][1]
    subject = str(original["Subject"])
    answer["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    answer["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    if original["Message-ID"]:
        answer["In-Reply-To"] = original["Message-ID"]
        answer["References"] = original["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in body_text(original).splitlines())
    answer.set_content(
        f"{text}\n\nOn Fri, Nov 20, 2026 at 9:00 AM {original['From']} wrote:\n{quoted}\n"
    )
    for filename, content_type, data in files or []:
        maintype, _, subtype = content_type.partition("/")
        answer.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return answer


def send(smtp_port: int, message: EmailMessage, **kwargs: Any) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
        client.send_message(message, **kwargs)
