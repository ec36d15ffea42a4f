"""A person's mail client, as the demo and the tests play one: read the inbox over IMAP, reply
over SMTP the way Thunderbird does (To = Reply-To, the original quoted below, threading
headers)."""

from __future__ import annotations

import smtplib
import time
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parsedate_to_datetime
from typing import Any

from imapclient import IMAPClient

from devmail import HOST, Endpoints


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [(p.get_filename() or "", p.get_content()) for p in message.iter_attachments()]


class Person:
    """Someone with a mailbox on the development server."""

    def __init__(self, endpoints: Endpoints, address: str, name: str = "") -> None:
        self.endpoints = endpoints
        self.address = address
        self.name = name

    def inbox(self) -> list[EmailMessage]:
        """Every message in INBOX, oldest first; read-only (nothing is marked seen)."""
        e = self.endpoints
        client = IMAPClient(e.host, e.imap_port, ssl=False, timeout=10)
        try:
            client.login(self.address, e.password)
            client.select_folder("INBOX", readonly=True)
            uids = client.search("ALL")
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[]"])
            return [parse(bytes(data[uid][b"BODY[]"])) for uid in sorted(uids)]
        finally:
            try:
                client.logout()
            except Exception:  # the link is gone already: nothing to close politely
                client.shutdown()

    def find(self, *words: str, timeout: float = 10.0) -> EmailMessage:
        """The newest message whose subject has every word; waits for it to arrive."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.inbox() if all(w in str(m["Subject"]) for w in words)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise LookupError(f"no message to {self.address} with {words} in the subject")
            time.sleep(0.1)

    def reply(
        self,
        original: EmailMessage,
        text: str,
        files: list[tuple[str, str, bytes]] | None = None,
        at: datetime | None = None,
    ) -> EmailMessage:
        """Reply to `original`; `at` dates it (the demo's simulated clock), else now."""
        sender = f"{self.name} <{self.address}>" if self.name else self.address
        date = formatdate(at.timestamp()) if at else formatdate(localtime=True)
        answer = compose_reply(original, sender, text, files, date=date)
        send(self.endpoints.smtp_port, answer, host=self.endpoints.host)
        return answer


def compose_reply(
    original: EmailMessage,
    sender: str,
    text: str,
    files: list[tuple[str, str, bytes]] | None = None,
    *,
    to: str | None = None,
    date: str | None = None,
) -> EmailMessage:
    """Like Thunderbird: To = Reply-To (else From), the original quoted below, threading
    headers. `sender` may carry a display name; `date` is the Date header, if any."""
    answer = EmailMessage()
    target = to or original.get("Reply-To") or original["From"]
    answer["From"] = sender
    answer["To"] = getaddresses([str(target)])[0][1]
    subject = str(original["Subject"])
    answer["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    if date:
        answer["Date"] = date
    domain = getaddresses([sender])[0][1].rpartition("@")[2]
    answer["Message-ID"] = make_msgid(domain=domain)
    if original["Message-ID"]:
        answer["In-Reply-To"] = original["Message-ID"]
        answer["References"] = original["Message-ID"]
    when = parsedate_to_datetime(str(original["Date"])) if original["Date"] else None
    said = f"On {when:%a, %b %d, %Y at %H:%M}, " if when else ""
    quoted = "\n".join(f"> {line}" for line in body_text(original).splitlines())
    answer.set_content(f"{text}\n\n{said}{original['From']} wrote:\n{quoted}\n")
    for filename, content_type, data in files or []:
        maintype, _, subtype = content_type.partition("/")
        answer.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return answer


def send(port: int, message: EmailMessage, *, host: str = HOST, **kwargs: Any) -> None:
    """Hand `message` to the SMTP server on `port` (keyword arguments: `send_message`'s)."""
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message, **kwargs)
