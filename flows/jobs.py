"""The bodies of the flows, as plain functions: the `pdu` command and the Prefect flows run
the same code (the CLI without paying for Prefect's import and server).

Each takes ids and settings, never personal data, so Prefect's database keeps none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from models import clock
from models.services.intake import IntakeResult, submit_form
from models.settings import AuthMethod, Settings, get_settings
from models.uow import UnitOfWork

if TYPE_CHECKING:  # imported when used, like the services they come from
    from models.services.email.poll import PollReport
    from models.services.email.receive import InboundResult
    from models.services.outbox import DeliveryReport
    from models.services.sweep import SweepReport

log = logging.getLogger(__name__)


def intake(
    kind: str, data: dict[str, Any], channel: str = "cli", actor: str = "system"
) -> IntakeResult:
    return submit_form(UnitOfWork(), kind, data, channel, actor, clock.now())


def token_provider(s: Settings, method: AuthMethod) -> Callable[[], str] | None:
    """None for a password login; else the OAuth2 grant the settings name (XOAUTH2)."""
    if method is AuthMethod.PASSWORD:
        return None
    from mailbox.oauth import GoogleRefreshToken, microsoft_provider

    if method is AuthMethod.XOAUTH2_MICROSOFT:
        return microsoft_provider(s.oauth_tenant_id, s.oauth_client_id, s.oauth_client_secret)
    return GoogleRefreshToken(
        s.oauth_client_id,
        s.oauth_client_secret,
        s.oauth_refresh_token,
        now=clock.now,
        token_url=s.oauth_token_url,
    )


def _server(s: Settings, protocol: Literal["imap", "smtp"]) -> dict[str, Any]:
    """One mail server's settings (PDU_IMAP_* or PDU_SMTP_*), as both adapters take them."""

    def setting(name: str) -> Any:
        return getattr(s, f"{protocol}_{name}")

    return {
        "host": setting("host"),
        "port": setting("port"),
        "user": setting("user"),
        "password": setting("password"),
        "security": setting("security").value,
        "timeout": setting("timeout"),
        "oauth2_token_provider": token_provider(s, setting("auth")),
    }


def open_mailbox(settings: Settings | None = None) -> AbstractContextManager[Any]:
    from mailbox.imap import ImapMailbox

    return ImapMailbox(**_server(settings or get_settings(), "imap"))


def open_sender(settings: Settings | None = None) -> AbstractContextManager[Any]:
    from mailbox.smtp import SmtpSender

    return SmtpSender(**_server(settings or get_settings(), "smtp"))


def poll(limit: int | None = None, mailbox: Any = None) -> PollReport:
    """One poll cycle; on `mailbox`, a connected mailbox the caller keeps open (the
    watcher), else on a connection of its own."""
    from models.services.email.poll import poll_once

    opener = open_mailbox if mailbox is None else (lambda: nullcontext(mailbox))
    report = poll_once(UnitOfWork, opener, clock.now, limit=limit)
    issue_batches()  # rosters that came by email (and any a stopped `pdu web` left)
    return report


def issue_batches() -> int:
    """Issue every queued roster batch, with the worker pool `pdu provider issue` uses."""
    from models.services.batches import run_queued

    return run_queued(UnitOfWork, clock=clock.now)


def send(senders: Sequence[Any] | None = None) -> DeliveryReport:
    """Send what is due; on `senders`, connections the caller keeps open between passes
    (the watcher in a burst), else on `smtp_connections` of this pass's own."""
    from mailbox.smtp import TemporarySendError

    from models.services.outbox import deliver_pending

    settings = get_settings()
    with ExitStack() as connections:  # each opened on its first email, if it has one
        if senders is None:
            senders = open_senders(settings, connections)
        return deliver_pending(
            UnitOfWork,
            senders,
            clock.now(),
            is_temporary=lambda exc: isinstance(exc, TemporarySendError | OSError),
        )


def open_senders(settings: Settings, stack: ExitStack) -> list[Any]:
    """`smtp_connections` senders, closed with `stack`; each connects on its first email."""
    return [stack.enter_context(open_sender(settings)) for _ in range(settings.smtp_connections)]


WATCH_BATCH = 25  # messages read per cycle: their replies go out before the next batch is read
IDLE_RENEW_SECONDS = 540.0  # RFC 2177: servers may drop an IDLE after 30 min; renew well before


def watch(cycles: int | None = None, idle_seconds: float = IDLE_RENEW_SECONDS) -> int:
    """Poll a small batch, send, again while mail is waiting; then wait in IMAP IDLE until
    mail arrives (or the renewal time).

    In a burst the replies to the first messages leave while the rest are still being read
    (each batch is committed, then the outbox is sent), instead of after the whole backlog.
    Low latency without hammering the server; `cycles` bounds the loop (tests, one-shots).
    A server going away (IMAP, SMTP, the database) ends a cycle, not the watch: what was
    not done stays in the inbox and the outbox, and the next cycle, after a backoff, does it.
    """
    import time
    from mailbox.imap import connect_with_backoff

    from imapclient.exceptions import IMAPClientError, LoginError
    from sqlalchemy.exc import OperationalError

    settings = get_settings()
    done = failures = 0
    # One connection for the watch's life: a connection a cycle cost a login and, on
    # Dovecot, half a second of LOGOUT each time (20 ms a message in a burst). A server
    # that drops it ends a cycle; the next one connects again.
    # The SMTP connections likewise last a burst (a connection a cycle cost a handshake
    # and, with a hosted relay, TLS and a login each time) and are closed before waiting
    # in IDLE, where a relay would time them out anyway.
    mailbox: Any = None
    senders_open = ExitStack()
    try:
        senders = open_senders(settings, senders_open)
        while cycles is None or done < cycles:
            try:
                if mailbox is None:
                    mailbox = connect_with_backoff(lambda: open_mailbox(settings).__enter__())
                read = poll(limit=WATCH_BATCH, mailbox=mailbox)
                sent = send(senders)
            except LoginError:
                raise  # a refused login will not fix itself
            except (OSError, IMAPClientError, OperationalError) as exc:
                failures += 1
                log.warning("watch: cycle failed (%s); retrying", type(exc).__name__)
                _drop(mailbox)
                mailbox = None
                _rest(senders)
                time.sleep(min(2.0**failures, 60.0))
                done += 1
                continue
            failures = 0
            done += 1
            if cycles is not None and done >= cycles:
                break
            if sent.more or read.seen >= WATCH_BATCH:  # a backlog: work on, don't wait for mail
                continue
            _rest(senders)
            try:
                mailbox.select(settings.imap_folder)
                if not mailbox.pending(0):  # mail that came after the poll won't wake IDLE
                    mailbox.idle_wait(idle_seconds)
            except (OSError, IMAPClientError) as exc:  # dropped while idle: connect again
                log.warning("watch: IMAP connection lost while idle (%s)", type(exc).__name__)
                _drop(mailbox)
                mailbox = None
    finally:
        _drop(mailbox)
        senders_open.close()
    return done


def _rest(senders: Sequence[Any]) -> None:
    """Close the senders' connections (each opens again on its next email)."""
    for sender in senders:
        sender.close()


def _drop(mailbox: Any) -> None:
    """Close a mailbox connection, whatever state it is in."""
    if mailbox is not None:
        try:
            mailbox.__exit__(None, None, None)
        except Exception:  # already gone: nothing to say goodbye to
            log.debug("watch: error while closing the IMAP connection", exc_info=True)


def ingest(raw: bytes) -> InboundResult:
    from models.services.email.receive import receive

    return receive(UnitOfWork, raw, now=clock.now())


def sweep(now: datetime | None = None) -> SweepReport:
    from models.services.sweep import sweep as run_sweep

    return run_sweep(UnitOfWork, now or clock.now())
