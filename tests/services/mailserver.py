"""The test mail system: an SMTP front (aiosmtpd) that delivers into Dovecot over LMTP,
and helpers that read and write the real mailboxes over IMAP.

Only `aiosmtpd.controller` and `aiosmtpd.smtp` are imported: `aiosmtpd.handlers` imports
the stdlib `mailbox`, which the project's own package shadows.
"""

from __future__ import annotations

import asyncio
import base64
import smtplib
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from email.parser import BytesHeaderParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import IMAPClient

from devmail import free_port
from tests.services.dovecot import HOST, PASSWORD, Dovecot, wait_for_greeting


class LmtpRelay:
    """aiosmtpd handler: each accepted message goes to Dovecot's LMTP, one recipient at a time.

    One LMTP transaction per recipient because smtplib reads only the first of LMTP's
    per-recipient replies after DATA.
    """

    def __init__(self, lmtp_port: int, password: str) -> None:
        self.lmtp_port = lmtp_port
        self.password = password
        self.received: list[str] = []  # Message-IDs, in order of acceptance
        self.logins: list[tuple[str, str]] = []  # (mechanism, user) of each successful AUTH
        self.refusals: dict[str | None, int] = {}  # address (None: everyone) -> reply code
        self.data_reply: str | None = None  # the answer to DATA instead of delivering
        self._lock = threading.Lock()

    def refuse(self, code: int = 451, addresses: Collection[str] | None = None) -> None:
        """Refuse recipients (all, or just `addresses`) with `code` until `accept()`.

        4xx says try later (greylisting, a full queue), 5xx says never.
        """
        for address in addresses if addresses is not None else [None]:
            self.refusals[address.lower() if address else None] = code

    def answer_data(self, reply: str) -> None:
        """Answer DATA with `reply` (e.g. a quota refusal) and deliver nothing, until
        `accept()`."""
        self.data_reply = reply

    def accept(self) -> None:
        self.refusals.clear()
        self.data_reply = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        code = self.refusals.get(address.lower(), self.refusals.get(None))
        if code is not None:
            detail = "4.3.0 Try again later" if code < 500 else "5.7.1 Refused by the test server"
            return f"{code} {detail}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply is not None:
            return self.data_reply
        content = envelope.original_content or b""
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, self._deliver, envelope.mail_from, envelope.rcpt_tos, content
            )
        except (OSError, smtplib.SMTPException) as exc:
            return f"451 4.3.0 LMTP delivery failed: {exc}"
        headers = BytesHeaderParser().parsebytes(content)
        with self._lock:
            self.received.append(str(headers.get("Message-ID", "")))
        return "250 Message accepted for delivery"

    def _deliver(self, mail_from: str, recipients: list[str], content: bytes) -> None:
        with smtplib.LMTP(HOST, self.lmtp_port, "mx.test.example", timeout=10) as lmtp:
            for recipient in recipients:
                lmtp.sendmail(mail_from, [recipient], content)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """Real XOAUTH2 framing; the bearer token must be the shared test password."""
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            blob = answer
        fields = dict(f.split("=", 1) for f in blob.decode().split("\x01") if "=" in f)
        user, bearer = fields.get("user", ""), fields.get("auth", "")
        if bearer != f"Bearer {self.password}":
            return AuthResult(success=False, handled=False)
        self.logins.append(("XOAUTH2", user))
        return AuthResult(success=True, auth_data=user)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """PLAIN and LOGIN: any user name, the shared test password."""
        if not isinstance(data, LoginPassword) or data.password.decode() != self.password:
            return AuthResult(success=False, handled=False)
        self.logins.append((mechanism, data.login.decode()))
        return AuthResult(success=True)


class SmtpFront:
    """aiosmtpd on loopback, AUTH optional (PLAIN, LOGIN, XOAUTH2) and offered without TLS.

    `stop()` then `start()` serves again on the same port (a Controller runs only once,
    so each start makes a new one).
    """

    def __init__(self, lmtp_port: int, password: str) -> None:
        self.port = free_port()
        self.relay = LmtpRelay(lmtp_port, password)
        self.controller: Controller | None = None

    def start(self) -> None:
        if self.controller is not None:
            return
        self.controller = Controller(
            self.relay,
            hostname=HOST,
            port=self.port,
            server_hostname="mx.test.example",  # skips a getfqdn() lookup
            enable_SMTPUTF8=True,
            auth_require_tls=False,
            authenticator=self.relay.authenticate,
        )
        self.controller.start()
        wait_for_greeting(self.port, b"220", time.monotonic() + 5)

    def stop(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            controller.stop()


class MailServer:
    """Dovecot (IMAP + LMTP) behind an SMTP front: every address has a real mailbox."""

    def __init__(self, password: str = PASSWORD) -> None:
        self.host = HOST
        self.password = password
        self.dovecot = Dovecot(password)
        self.smtp = SmtpFront(self.dovecot.lmtp_port, password)

    @property
    def imap_port(self) -> int:
        return self.dovecot.imap_port

    @property
    def lmtp_port(self) -> int:
        return self.dovecot.lmtp_port

    @property
    def smtp_port(self) -> int:
        return self.smtp.port

    @property
    def received(self) -> list[str]:
        """Message-IDs the SMTP front accepted, in order."""
        return self.smtp.relay.received

    def refuse(self, code: int = 451, addresses: Collection[str] | None = None) -> None:
        self.smtp.relay.refuse(code, addresses)

    def answer_data(self, reply: str) -> None:
        self.smtp.relay.answer_data(reply)

    def accept(self) -> None:
        self.smtp.relay.accept()

    def start(self) -> None:
        self.dovecot.start()
        self.smtp.start()

    def close(self) -> None:
        try:
            self.smtp.stop()
        finally:
            self.dovecot.close()

    @contextmanager
    def imap_stopped(self) -> Iterator[None]:
        """Dovecot down inside the block, back up (same ports, same mail) after it."""
        self.dovecot.stop()
        try:
            yield
        finally:
            self.dovecot.start()

    @contextmanager
    def client(self, address: str) -> Iterator[IMAPClient]:
        """A logged-in IMAP connection to `address`'s own mailbox."""
        client = IMAPClient(self.host, self.imap_port, ssl=False, timeout=10)
        try:
            client.login(address, self.password)
            yield client
        finally:
            try:
                client.logout()
            except Exception:  # already dropped; nothing to close politely
                client.shutdown()

    def messages(self, address: str, folder: str = "INBOX") -> list[bytes]:
        """The raw messages in a folder, oldest UID first; none when the folder is missing.

        EXAMINE (read-only) and BODY.PEEK[]: reading here marks nothing seen.
        """
        with self.client(address) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[]"])
            return [bytes(data[uid][b"BODY[]"]) for uid in sorted(uids)]

    def append(self, address: str, raw: bytes, folder: str = "INBOX") -> None:
        with self.client(address) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)

    def folders(self, address: str) -> list[str]:
        with self.client(address) as client:
            return sorted(name for _flags, _delimiter, name in client.list_folders())

    def wait_for(
        self, address: str, count: int, timeout: float = 5.0, folder: str = "INBOX"
    ) -> list[bytes]:
        """The folder's messages once it holds at least `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(address, folder)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{address} {folder}: {len(found)} message(s) after {timeout} s, "
                    f"expected {count}"
                )
            time.sleep(0.02)

    def __enter__(self) -> MailServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
