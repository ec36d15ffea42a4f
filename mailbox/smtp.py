"""The SMTP side of the gateway: send an EmailMessage to all its To/Cc/Bcc recipients.

Failures are sorted for the outbox: `TemporarySendError` (4xx, connection trouble, and
our own setup: TLS mode, credentials, since the message itself is fine and will go once
the operator fixes them) is retried; `PermanentSendError` (5xx about this message) is not.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import select
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import getaddresses
from mailbox.addresses import redact
from mailbox.tls import default_context
from types import TracebackType

log = logging.getLogger(__name__)

SECURITY_MODES = ("none", "starttls", "tls")
# A connection idle this long is asked NOOP before reuse: a NAT or firewall may have dropped
# it without a word. One used more recently is reused on the socket's word alone.
NOOP_AFTER_IDLE_SECONDS = 30.0


class SendError(Exception):
    """Sending failed; `code` is the SMTP reply code when the server gave one.

    `accepted` names the recipients that did get the message when only some were
    refused (`refused`: address to code); both are empty when nobody got it.
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        *,
        accepted: tuple[str, ...] = (),
        refused: dict[str, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.accepted = accepted
        self.refused = refused or {}


class TemporarySendError(SendError):
    """Worth retrying later: 4xx, connection refused or dropped, timeouts, our setup."""


class PermanentSendError(SendError):
    """The server refused this message for good (5xx): retrying sends the same refusal."""


class SmtpConfigError(TemporarySendError):
    """The settings do not work against this server (TLS mode, AUTH): fix them, then retry."""


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response, before base64 (smtplib encodes it)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def xoauth2_base64(user: str, token: str) -> str:
    return base64.b64encode(xoauth2_string(user, token).encode()).decode("ascii")


def recipients(message: EmailMessage) -> list[str]:
    """Every To, Cc and Bcc address, first seen first, without duplicates."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    seen: dict[str, None] = {}
    for _name, address in getaddresses(fields):
        if address:
            seen.setdefault(address, None)
    return list(seen)


# 5xx replies about the sending mailbox, not the message: Microsoft 365 refuses everything
# past 10,000 recipients in 24 hours ("554 5.2.0 ...SubmissionQuotaExceededException") and
# throttles a mailbox for a while after repeated errors ("550 5.2.251"-"5.2.255 Sender
# throttled"). The same email goes once the day rolls over or the block lifts: retry it.
SENDER_THROTTLED = re.compile(r"^5\.2\.25[1-5]\b|SubmissionQuotaExceeded")


def is_sender_throttled(text: str) -> bool:
    return SENDER_THROTTLED.search(text.lstrip()) is not None


def _classified(code: int, text: str) -> SendError:
    temporary = 400 <= code < 500 or is_sender_throttled(text)
    kind = TemporarySendError if temporary else PermanentSendError
    return kind(f"SMTP {code}: {text}", code)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


class SmtpSender:
    """Sends messages over one connection, opened on first use and reopened if dropped."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str = "",
        password: str = "",
        security: str = "none",
        timeout: float = 30.0,
        oauth2_token_provider: Callable[[], str] | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(
                f"SMTP security must be one of {', '.join(SECURITY_MODES)}, not {security!r}"
            )
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.security = security
        self.timeout = timeout
        self.oauth2_token_provider = oauth2_token_provider
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self.monotonic = monotonic
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0
        self.connections = 0  # opened so far: one per batch unless the server drops us
        self.noops = 0  # liveness round trips asked so far

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    # -- connection --------------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        """The open connection if it is still alive, else a new one."""
        if self._smtp is not None:
            if self._alive(self._smtp):
                self._last_used = self.monotonic()
                return self._smtp
            self._drop()
        self._smtp = self._connect()
        self._last_used = self.monotonic()
        return self._smtp

    def _alive(self, smtp: smtplib.SMTP) -> bool:
        """Whether to reuse `smtp`, without a round trip when it was used recently.

        Between our commands a live SMTP server says nothing, so a socket with nothing
        to read, used in the last half minute, is taken as it is. Something to read (the
        server closed it, said 421, or TLS has a record of its own) or a long idle is
        settled by a NOOP. A NOOP per email instead cost a round trip an email, 100-300 ms
        to a hosted relay, halving what one connection can send.
        """
        sock = smtp.sock
        if sock is None:
            return False
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):  # closed under us
            return False
        if not readable and self.monotonic() - self._last_used < NOOP_AFTER_IDLE_SECONDS:
            return True
        self.noops += 1
        try:
            return bool(smtp.noop()[0] == 250)
        except (OSError, smtplib.SMTPException):
            return False

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or default_context()
        try:
            if self.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
        except ssl.SSLCertVerificationError as exc:
            raise SmtpConfigError(
                f"SMTP server at {self.where}: certificate not trusted ({exc.verify_message})"
            ) from exc
        except ssl.SSLError as exc:
            raise SmtpConfigError(
                f"SMTP TLS handshake with {self.where} failed ({exc.reason or exc}): if the port "
                "speaks plain SMTP, use security 'starttls' or 'none'"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporarySendError(f"cannot connect to SMTP {self.where}: {exc}") from exc
        try:
            self._secure_and_login(smtp, context)
        except BaseException:
            _close(smtp)
            raise
        self.connections += 1
        log.info("SMTP: connected to %s as %s", self.where, redact(self.user) if self.user else "-")
        return smtp

    def _secure_and_login(self, smtp: smtplib.SMTP, context: ssl.SSLContext) -> None:
        try:
            smtp.ehlo()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SmtpConfigError(
                        f"SMTP server at {self.where} does not offer STARTTLS: use security "
                        "'tls' for an implicit-TLS port (465), or 'none'"
                    )
                try:
                    smtp.starttls(context=context)
                except ssl.SSLError as exc:
                    raise SmtpConfigError(f"SMTP STARTTLS with {self.where} failed: {exc}") from exc
                smtp.ehlo()
            if self.oauth2_token_provider is not None:
                initial = xoauth2_string(self.user, self.oauth2_token_provider())

                def respond(challenge: bytes | None = None) -> str:
                    # A 334 reply is an error report: answer it empty to get the final code.
                    return initial if challenge is None else ""

                smtp.auth("XOAUTH2", respond, initial_response_ok=True)
            elif self.user:
                smtp.login(self.user, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpConfigError(
                f"SMTP login as {redact(self.user)} at {self.where} refused: "
                f"{exc.smtp_code} {_text(exc.smtp_error)}",
                exc.smtp_code,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise SmtpConfigError(f"SMTP server at {self.where}: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            raise TemporarySendError(
                f"SMTP {self.where} during setup: {exc.smtp_code} {_text(exc.smtp_error)}",
                exc.smtp_code,
            ) from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise TemporarySendError(f"SMTP {self.where} dropped the connection: {exc}") from exc

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            _close(smtp)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            _close(smtp)

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sending -----------------------------------------------------------------------

    def check(self) -> None:
        """Connect and log in, send nothing (`pdu doctor`): raises SendError like `send`."""
        self._connection()

    def send(self, message: EmailMessage) -> None:
        """Send to every To/Cc/Bcc recipient (Bcc is not transmitted), or raise SendError.

        When only some recipients are refused the others already have the message: the
        error says temporary or permanent by the refusals and names who got it
        (`accepted`), so that a retry goes to the refused ones only.
        """
        to = recipients(message)
        if not to:
            raise PermanentSendError("the message has no To, Cc or Bcc recipient")
        smtp = self._connection()
        try:
            refused = smtp.send_message(message, to_addrs=to)
        except smtplib.SMTPRecipientsRefused as exc:
            raise self._refusals(exc.recipients, total=len(to)) from exc
        except smtplib.SMTPResponseException as exc:  # MAIL FROM, DATA, or 421 at any time
            if exc.smtp_code == 421:
                self._drop()
            raise _classified(exc.smtp_code, _text(exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise TemporarySendError(f"SMTP {self.where} dropped the connection: {exc}") from exc
        if refused:
            accepted = tuple(a for a in to if a not in refused)
            raise self._refusals(refused, total=len(to), accepted=accepted)
        log.info(
            "SMTP: sent %s to %s",
            message.get("Message-ID", "(no Message-ID)"),
            ", ".join(redact(a) for a in to),
        )

    def _refusals(
        self, refused: dict[str, tuple[int, bytes]], total: int, accepted: tuple[str, ...] = ()
    ) -> SendError:
        codes = [code for code, _reply in refused.values()]
        by_address = {address: code for address, (code, _reply) in refused.items()}
        summary = "; ".join(
            f"{redact(address)}: {code} {_text(reply)}"
            for address, (code, reply) in refused.items()
        )
        text = f"{len(refused)} of {total} recipient(s) refused: {summary}"
        if all(
            400 <= code < 500 or is_sender_throttled(_text(reply))
            for code, reply in refused.values()
        ):
            return TemporarySendError(text, codes[0], accepted=accepted, refused=by_address)
        return PermanentSendError(text, max(codes), accepted=accepted, refused=by_address)


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
