"""A person's mail client, as the demo plays one: read the inbox over IMAP, reply over SMTP
the way Thunderbird does (To = Reply-To, the original quoted below, threading headers)."""

from __future__ import annotations

import smtplib
import time
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parsedate_to_datetime

from imapclient import IMAPClient

from devmail import Endpoints


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
        answer = EmailMessage()
        target = original.get("Reply-To") or original["From"]
        answer["From"] = f"{self.name} <{self.address}>" if self.name else self.address
        answer["To"] = getaddresses([str(target)])[0][1]
        subject = str(original["Subject"])
        answer["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        answer["Date"] = formatdate(at.timestamp()) if at else formatdate(localtime=True)
        answer["Message-ID"] = make_msgid(domain=self.address.rpartition("@")[2])
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
        with smtplib.SMTP(self.endpoints.host, self.endpoints.smtp_port, timeout=10) as smtp:
            smtp.send_message(answer)
        return answer
