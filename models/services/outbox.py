"""The outbox: emails written in the same transaction as the change that caused them,
then delivered by the sender flow with retries. A stable Message-ID per row means a retry
resends the same message, and a crash before delivery loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from mailbox.compose import Outgoing, OutgoingAttachment, build_message, new_message_id
from mailbox.tokens import reply_address
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.cases import Case
from models.enums import OutboxStatus
from models.messages import OutboxMessage, ReplyToken
from models.services.lanes import Lanes, Sender
from models.settings import Settings
from models.uow import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claimed message is retried after this if the sender died
MAX_ATTEMPTS = 30  # with the backoff below: about two days of trying
BACKOFF_CAP = timedelta(hours=2)


class TemporaryFailure(Exception):
    """Raised by a sender for failures worth retrying (4xx, connection refused)."""


@dataclass(frozen=True)
class FileAttachment:
    path: str  # relative to data_dir
    filename: str
    content_type: str


def enqueue(
    session: Session,
    settings: Settings,
    *,
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    now: datetime,
    case: Case | None = None,
    cc: Sequence[str] = (),
    token: tuple[str, ReplyToken] | None = None,
    in_reply_to: str | None = None,
    attachments: Iterable[FileAttachment] = (),
) -> OutboxMessage:
    from templates.render import render_email

    rendered = render_email(template, **context)
    row = OutboxMessage(
        message_id=new_message_id(settings.mail_domain),
        case_id=case.id if case else None,
        template=template,
        to_addresses=list(to),
        cc_addresses=[a for a in cc if a not in to],
        reply_to=reply_address(settings.mail_address, token[0]) if token else None,
        token=token[1] if token else None,
        in_reply_to=in_reply_to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        attachments=[a.__dict__ for a in attachments],
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def scrub_token(reply_to: str | None) -> str | None:
    """After sending, the plain token is needed nowhere: keep only the base address."""
    if not reply_to:
        return reply_to
    local, _, domain = reply_to.partition("@")
    return f"{local.partition('+')[0]}+…@{domain}"


def to_outgoing(row: OutboxMessage, settings: Settings) -> Outgoing:
    files = [
        OutgoingAttachment(
            a["filename"], a["content_type"], (settings.data_dir / a["path"]).read_bytes()
        )
        for a in row.attachments
    ]
    return Outgoing(
        message_id=row.message_id,
        sender=settings.mail_address,
        sender_name=settings.mail_name,
        to=row.to_addresses,
        cc=row.cc_addresses,
        reply_to=row.reply_to,
        in_reply_to=row.in_reply_to,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        date=row.created_at,
        attachments=files,
    )


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    more: bool = False  # the limit was reached: more may be due right now


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


# Due emails claimed in one transaction, ten a connection (each still marked sent on its
# own): a claim is sent before the next is taken, so a claim of ten over three connections
# waited on the one given four while the others stood idle.
CLAIM_PER_CONNECTION = 10


def _claim(work: UnitOfWork, row_ids: list[int], now: datetime) -> list[OutboxMessage]:
    """The rows of `row_ids` this sender wins, loaded, in one committed transaction: a
    compare-and-set on SQLite and PostgreSQL alike (only one sender wins a row).

    On PostgreSQL the rows are first locked with FOR UPDATE SKIP LOCKED: a sender that finds
    some held by another (several workers) takes the others at once instead of waiting."""
    due = (
        OutboxMessage.id.in_(row_ids),
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
    )
    free = list(
        work.session.scalars(select(OutboxMessage.id).where(*due).with_for_update(skip_locked=True))
    )
    won: list[OutboxMessage] = []
    if free:
        values = {"next_attempt_at": now + LEASE, "attempts": OutboxMessage.attempts + 1}
        won = list(
            work.session.scalars(
                update(OutboxMessage)
                .where(*due, OutboxMessage.id.in_(free))
                .values(values)
                .returning(OutboxMessage),  # the rows as claimed, read by the same statement
                execution_options={"populate_existing": True},
            )
        )
    work.commit()  # no transaction (no SQLite write lock) held across the network calls
    return sorted(won, key=lambda row: row.id)


def deliver_pending(
    uow_factory: Callable[[], UnitOfWork],
    senders: Sequence[Sender],
    now: datetime,
    *,
    limit: int = 500,
    is_temporary: Callable[[BaseException], bool] = lambda exc: isinstance(exc, TemporaryFailure),
    elapsed: Callable[[], float] = time.monotonic,
) -> DeliveryReport:
    """Send what is due at `now`, ten a connection claimed at a time, on every sender's
    connection at once, each email marked sent (or failed) in its own transaction as soon
    as the server took it: a crash repeats at most the emails in flight, one a connection.
    A pass stops once half a lease has gone by (a slow server), so no claimed email
    outlives its lease in our hands: the rest is `more`."""
    report = DeliveryReport()
    with uow_factory() as work:
        ids = list(
            work.session.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
    report.more = len(ids) == limit
    began, budget = elapsed(), LEASE.total_seconds() / 2

    def in_time() -> bool:  # the rest wait out their lease, then go
        return elapsed() - began <= budget

    with Lanes(senders) as lanes:
        claim = CLAIM_PER_CONNECTION * len(senders)
        for start in range(0, len(ids), claim):
            if not in_time():
                report.more = True
                break
            with uow_factory() as work:
                claimed = _claim(work, ids[start : start + claim], now)
                built = [(row, build_message(to_outgoing(row, work.settings))) for row in claimed]
                done = 0
                for row, error in lanes.send(built, in_time):
                    _record(work, row, error, now, is_temporary, report)
                    work.commit()
                    done += 1
                if done < len(claimed):
                    report.more = True
    return report


def _record(
    work: UnitOfWork,
    row: OutboxMessage,
    error: BaseException | None,
    now: datetime,
    is_temporary: Callable[[BaseException], bool],
    report: DeliveryReport,
) -> None:
    """What became of one claimed email."""
    if error is None:
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, None
        row.reply_to = scrub_token(row.reply_to)
        report.sent += 1
    elif getattr(error, "accepted", ()):
        _split_partial(work, row, error, now, is_temporary(error), report)
    else:
        _record_failure(row, error, now, temporary=is_temporary(error), report=report)


def _split_partial(
    work: UnitOfWork,
    row: OutboxMessage,
    exc: BaseException,
    now: datetime,
    temporary: bool,
    report: DeliveryReport,
) -> None:
    """Some recipients got the message, some were refused: the row is sent to those it
    reached (resending it would give them a second copy); the ones refused for now get a
    copy of their own (its own Message-ID), retried like any email. Permanent refusals
    are only recorded, as a bounce would be."""
    accepted = {a.lower() for a in getattr(exc, "accepted", ())}
    refused: dict[str, int] = {a.lower(): c for a, c in getattr(exc, "refused", {}).items()}
    later = {a for a, code in refused.items() if temporary and 400 <= code < 500}
    to = [a for a in row.to_addresses if a.lower() in later]
    cc = [a for a in row.cc_addresses if a.lower() in later]
    if not to:
        to, cc = cc, []
    # The row now records whom it reached; the refusals are in last_error.
    row.to_addresses = [a for a in row.to_addresses if a.lower() in accepted]
    row.cc_addresses = [a for a in row.cc_addresses if a.lower() in accepted]
    row.status, row.sent_at = OutboxStatus.SENT, now
    row.last_error = f"delivered to {len(accepted)}; {type(exc).__name__}: {exc}"[:1000]
    report.sent += 1
    if to:
        copy = OutboxMessage(
            message_id=new_message_id(work.settings.mail_domain),
            case_id=row.case_id,
            template=row.template,
            to_addresses=to,
            cc_addresses=cc,
            reply_to=row.reply_to,
            token_id=row.token_id,
            in_reply_to=row.in_reply_to,
            subject=row.subject,
            body_text=row.body_text,
            body_html=row.body_html,
            attachments=row.attachments,
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now + _backoff(1),
            created_at=row.created_at,
        )
        work.session.add(copy)
        report.retrying += 1
    row.reply_to = scrub_token(row.reply_to)
    log.warning("outbox %s: %d recipient(s) refused, %d retried", row.id, len(refused), len(to))


def _record_failure(
    row: OutboxMessage,
    exc: BaseException,
    now: datetime,
    *,
    temporary: bool,
    report: DeliveryReport,
) -> None:
    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    if temporary and row.attempts < MAX_ATTEMPTS:
        row.next_attempt_at = now + _backoff(row.attempts)
        report.retrying += 1
        log.warning("outbox %s: will retry (%s)", row.id, type(exc).__name__)
    else:
        row.status = OutboxStatus.FAILED
        report.failed += 1
        log.error(
            "outbox %s: gave up after %s attempts (%s)", row.id, row.attempts, type(exc).__name__
        )
