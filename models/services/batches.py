"""Issuance batches: a roster uploaded in the portal (or sent by email) is checked and
queued in one commit, then issued in the background by the same code as `pdu provider
issue` (`events.issue_pending`, its worker pool), and the provider is emailed the result.

Progress is read from the database (the batch's attendees: issued, failed, pending), so it
survives a reload of the page and a restart of the process. A batch is claimed with a
compare-and-set (queued, or running with a heartbeat older than STALE: its runner died),
so two runners never run the same batch; the attendees' own leases keep any certificate
from being issued twice.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update

from models.accounts import ProviderAccount
from models.batches import BatchStatus, IssuanceBatch
from models.clock import now as clock_now
from models.db import rows_changed
from models.enums import Channel
from models.events import Attendee, ProviderEvent
from models.people import Person
from models.services import roster as rosters
from models.services.context import ServiceContext
from models.services.errors import NotFound
from models.services.issuing import RenderPool
from models.services.outbox import enqueue
from models.services.provider_events import RosterResult, StartBatch, accept_roster, issue_pending
from models.uow import UnitOfWork

log = logging.getLogger(__name__)

STALE = timedelta(minutes=5)  # a running batch without progress this long is taken over


@dataclass(frozen=True)
class Requester:
    """Who uploaded, for the record and for the email when the batch is done."""

    label: str  # the account's username, or the sender's address
    person_id: int | None
    channel: Channel
    in_reply_to: str | None = None


@dataclass(frozen=True)
class Progress:
    batch_id: int
    event_id: int
    status: BatchStatus
    queued: int
    issued: int
    failed: int
    pending: int
    skipped: int
    rejected: int
    created_at: datetime
    finished_at: datetime | None

    @property
    def done(self) -> int:
        return self.issued + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.queued else round(100 * self.done / self.queued)


def batch_starter(requester: Requester) -> StartBatch:
    def start(ctx: ServiceContext, event: ProviderEvent, roster: rosters.Roster) -> int:
        batch = IssuanceBatch(
            event_id=event.id,
            provider_id=event.provider_id,
            notify_person_id=requester.person_id,
            requested_by=requester.label,
            channel=requester.channel,
            in_reply_to=requester.in_reply_to,
            status=BatchStatus.QUEUED,
            queued=len(roster.rows),
            skipped=len(roster.skipped),
            rejected=len({p.line for p in roster.problems}),
            issued=0,
            failed=0,
            created_at=ctx.now,
        )
        ctx.session.add(batch)
        ctx.session.flush()
        return batch.id

    return start


def account_requester(session: Any, account_id: int, username: str) -> Requester:
    """A portal user: told by email at their account's address when the batch is done."""
    account = session.get(ProviderAccount, account_id)
    person_id = account.person_id if account is not None else None
    return Requester(username, person_id, Channel.WEB)


def upload_roster(
    uow_factory: Callable[[], UnitOfWork],
    provider_id: int,
    event_id: int | str,
    content: bytes,
    now: datetime,
    requester: Requester,
    *,
    skip_invalid: bool = False,
) -> RosterResult:
    """Check the roster; when accepted, queue its people as a batch (`result.batch_id`)."""
    return accept_roster(
        uow_factory,
        event_id,
        content,
        now,
        skip_invalid=skip_invalid,
        provider_id=provider_id,
        start_batch=batch_starter(requester),
    )


def one_attendee_roster(
    first_name: str, last_name: str, email: str, license_number: str, hours: str
) -> bytes:
    """One person typed into a form, as a roster: the same checks as a file's lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rosters.COLUMNS)
    writer.writerow([first_name, last_name, email, license_number, hours])
    return out.getvalue().encode("utf-8")


# --- Progress ------------------------------------------------------------------------------


def progress(session: Any, batch_id: int | str, provider_id: int | None) -> Progress:
    """A batch's state and counts; scoped to `provider_id` (another's is "no batch")."""
    try:
        key = int(str(batch_id))
    except ValueError:
        raise NotFound(f"no batch {batch_id}") from None
    query = select(IssuanceBatch).where(IssuanceBatch.id == key)
    if provider_id is not None:
        query = query.where(IssuanceBatch.provider_id == provider_id)
    batch = session.scalar(query)
    if batch is None:
        raise NotFound(f"no batch {key}")
    issued, failed, pending = _counts(session, batch.id)
    return Progress(
        batch_id=batch.id,
        event_id=batch.event_id,
        status=batch.status,
        queued=batch.queued,
        issued=issued if batch.status is not BatchStatus.DONE else batch.issued,
        failed=failed if batch.status is not BatchStatus.DONE else batch.failed,
        pending=pending if batch.status is not BatchStatus.DONE else 0,
        skipped=batch.skipped,
        rejected=batch.rejected,
        created_at=batch.created_at,
        finished_at=batch.finished_at,
    )


def _counts(session: Any, batch_id: int) -> tuple[int, int, int]:
    row = session.execute(
        select(
            func.count(Attendee.certificate_id),
            func.count(Attendee.failure),
            func.sum(
                case((Attendee.certificate_id.is_(None) & Attendee.failure.is_(None), 1), else_=0)
            ),
        ).where(Attendee.batch_id == batch_id)
    ).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def latest_batches(session: Any, provider_id: int, event_id: int, limit: int = 5) -> list[int]:
    return list(
        session.scalars(
            select(IssuanceBatch.id)
            .where(IssuanceBatch.provider_id == provider_id, IssuanceBatch.event_id == event_id)
            .order_by(IssuanceBatch.id.desc())
            .limit(limit)
        )
    )


# --- Running -------------------------------------------------------------------------------


def _claimable(now: datetime) -> Any:
    return or_(
        IssuanceBatch.status == BatchStatus.QUEUED,
        (IssuanceBatch.status == BatchStatus.RUNNING) & (IssuanceBatch.heartbeat_at < now - STALE),
    )


def _claim(uow_factory: Callable[[], UnitOfWork], batch_id: int, now: datetime) -> int | None:
    """The batch's event id once this runner holds it; None if another runner does."""
    with uow_factory() as work:
        claimed = rows_changed(
            work.session,
            update(IssuanceBatch)
            .where(IssuanceBatch.id == batch_id, _claimable(now))
            .values(status=BatchStatus.RUNNING, started_at=now, heartbeat_at=now),
        )
        event_id = work.session.scalar(
            select(IssuanceBatch.event_id).where(IssuanceBatch.id == batch_id)
        )
        work.commit()
    return event_id if claimed else None


def _beat(uow_factory: Callable[[], UnitOfWork], batch_id: int, now: datetime) -> None:
    with uow_factory() as work:
        work.session.execute(
            update(IssuanceBatch).where(IssuanceBatch.id == batch_id).values(heartbeat_at=now)
        )
        work.commit()


def _finish(uow_factory: Callable[[], UnitOfWork], batch_id: int, now: datetime) -> bool:
    """Done when none of its attendees is pending: the counts kept, the requester emailed
    (one transaction). False when some are still being issued by another run."""
    with uow_factory() as work:
        ctx = ServiceContext.of(work, now)
        batch = work.session.get(IssuanceBatch, batch_id, with_for_update=True)
        if batch is None or batch.status is BatchStatus.DONE:
            return True
        issued, failed, pending = _counts(work.session, batch_id)
        if pending:
            return False
        batch.status, batch.finished_at = BatchStatus.DONE, now
        batch.issued, batch.failed = issued, failed
        _tell_requester(ctx, batch)
        work.commit()
    return True


def _tell_requester(ctx: ServiceContext, batch: IssuanceBatch) -> None:
    person = ctx.session.get(Person, batch.notify_person_id) if batch.notify_person_id else None
    event = ctx.session.get(ProviderEvent, batch.event_id)
    if person is None or event is None:
        return
    failed = [
        f"line {a.line} (license {a.license_number}): {a.failure}"
        for a in ctx.session.scalars(
            select(Attendee)
            .where(Attendee.batch_id == batch.id, Attendee.failure.is_not(None))
            .order_by(Attendee.line)
        )
    ]
    counts = {"issued": batch.issued, "skipped": batch.skipped, "rejected": batch.rejected}
    _send_result(ctx, event, person, batch.channel, batch.in_reply_to, failed=failed, **counts)


def tell_requester_now(
    ctx: ServiceContext, event: ProviderEvent, requester: Requester, *, skipped: int
) -> None:
    """A roster whose people were all on the event's roster already: nothing to issue."""
    person = ctx.session.get(Person, requester.person_id) if requester.person_id else None
    if person is not None:
        _send_result(
            ctx, event, person, requester.channel, requester.in_reply_to,
            issued=0, failed=[], skipped=skipped, rejected=0,
        )  # fmt: skip


def _send_result(
    ctx: ServiceContext,
    event: ProviderEvent,
    person: Person,
    channel: Channel,
    in_reply_to: str | None,
    **counts: Any,
) -> None:
    enqueue(
        ctx.session,
        ctx.settings,
        template="roster_issued",
        to=[person.email],
        context={
            "first_name": person.first_name,
            "event_id": event.id,
            "event_title": event.title,
            "provider_name": event.provider.name,
            "certificates_issued": event.certificates_issued,
            "portal_url": f"{ctx.settings.public_url.rstrip('/')}/provider/events/{event.id}",
            "by_email": channel is Channel.EMAIL,
            "expects_reply": False,
            **counts,
        },
        now=ctx.now,
        in_reply_to=in_reply_to,
    )


def run_batch(
    uow_factory: Callable[[], UnitOfWork],
    batch_id: int,
    *,
    clock: Callable[[], datetime] = clock_now,
    pool: RenderPool | None = None,
    workers: int | None = None,
) -> bool:
    """Issue a batch's certificates (and any other pending attendee of its event); False
    when another runner holds it."""
    event_id = _claim(uow_factory, batch_id, clock())
    if event_id is None:
        return False

    def beat(done: int, total: int) -> None:
        _beat(uow_factory, batch_id, clock())

    issue_pending(uow_factory, event_id, clock=clock, pool=pool, workers=workers, on_progress=beat)
    _finish(uow_factory, batch_id, clock())
    return True


def next_batch(uow_factory: Callable[[], UnitOfWork], now: datetime) -> int | None:
    with uow_factory() as work:
        return work.session.scalar(
            select(IssuanceBatch.id).where(_claimable(now)).order_by(IssuanceBatch.id).limit(1)
        )


def run_queued(
    uow_factory: Callable[[], UnitOfWork],
    *,
    clock: Callable[[], datetime] = clock_now,
    pool: RenderPool | None = None,
    workers: int | None = None,
    limit: int | None = None,
) -> int:
    """Run every claimable batch, oldest first; returns how many this runner ran."""
    ran = 0
    while limit is None or ran < limit:
        batch_id = next_batch(uow_factory, clock())
        if batch_id is None:
            break
        if run_batch(uow_factory, batch_id, clock=clock, pool=pool, workers=workers):
            ran += 1
    return ran
