"""Approved providers' events: reporting an activity, issuing its certificates in bulk
from the attendee roster, and the annual report of ARM 10.57.216.

Bulk issuance (`issue_pending`) runs in chunks, each in two short transactions with the
rendering between them and outside both (SQLite takes its write lock at BEGIN: a render
inside a transaction would stall the poller):
1. reserve: claim pending attendees (a lease, `SKIP LOCKED` on PostgreSQL), give each a
   number and code once (kept across retries), prepare and sign;
2. render in worker processes (models.services.issuing.WorkerPool);
3. record: the certificates, the emails (outbox) and the event's count, in one commit.
While one chunk renders the next is reserved, so the workers never wait for the database.
A crash leaves claimed attendees with their numbers: the next run (after the lease) draws
the same numbers again and records them; a certificate is never issued twice.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from models.certificates import Certificate
from models.clock import now as clock_now
from models.enums import CertificateStatus, Channel
from models.events import ISSUE_DURING, Attendee, EventFormat, ProviderEvent
from models.providers import Provider
from models.services import roster as rosters
from models.services.assignment import tell_admins
from models.services.context import ServiceContext
from models.services.directory import find_provider
from models.services.errors import NotFound, UserError
from models.services.issuing import (
    CertificateFacts,
    InProcess,
    Prepared,
    RenderPool,
    WorkerPool,
    default_workers,
    email_award,
    prepare,
    record_certificate,
    reserve_numbers,
)
from models.services.provider_status import require_working
from models.uow import UnitOfWork
from templates.hours import hours_text

MAX_TITLE = 300
MAX_HOURS = Decimal("9999.99")
LEASE = timedelta(minutes=10)  # a claimed attendee is retried after this if its run died
CHUNK = 24  # certificates per transaction: ~0.3 s of rendering on two workers
POOL_THRESHOLD = 8  # fewer certificates render in-process (a worker's start costs ~1 s)


# --- Reporting an activity ---------------------------------------------------------------


def parse_hours(value: str | Decimal, what: str = "hours") -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise UserError(f"{what} must be a number like 6 or 6.5, not {value!r}") from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        raise UserError(f"{what} must be more than 0 and at most {MAX_HOURS}, not {value}")
    if hours != hours.quantize(Decimal("0.01")):
        raise UserError(f"{what} has at most two decimals, not {value}")
    return hours


@dataclass(frozen=True)
class EventFields:
    """An event's reported facts, checked: what reporting and revising both accept."""

    title: str
    start: date
    end: date
    hours: Decimal
    format: EventFormat
    locations: list[str]
    description: str | None
    schedule: str | None


def parse_format(format: str | EventFormat) -> EventFormat:
    try:
        return EventFormat(str(format).strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        choices = ", ".join(f.value for f in EventFormat)
        raise UserError(f"unknown format {format!r}: choose one of {choices}") from None


def check_fields(
    *,
    title: str,
    start: date,
    end: date,
    hours: str | Decimal,
    format: str | EventFormat,
    locations: Sequence[str],
    description: str | None,
    schedule: str | None,
) -> EventFields:
    title = " ".join(title.split())
    if not title:
        raise UserError("an event needs a title")
    if len(title) > MAX_TITLE:
        raise UserError(f"the title is longer than {MAX_TITLE} characters")
    if end < start:
        raise UserError(f"the event ends ({end}) before it starts ({start})")
    kind = parse_format(format)
    places = [" ".join(p.split()) for p in locations if p.strip()]
    if not places and kind not in (EventFormat.IN_PERSON, EventFormat.HYBRID):
        places = ["online"]
    if not places:
        raise UserError("an in-person or hybrid event needs a location (--location)")
    return EventFields(
        title=title,
        start=start,
        end=end,
        hours=parse_hours(hours),
        format=kind,
        locations=places,
        description=(description or "").strip() or None,
        schedule=(schedule or "").strip() or None,
    )


def add_event(
    ctx: ServiceContext,
    provider: str,
    *,
    title: str,
    start: date,
    end: date,
    hours: str | Decimal,
    format: str = EventFormat.IN_PERSON.value,
    locations: Sequence[str] = (),
    description: str | None = None,
    schedule: str | None = None,
    channel: Channel = Channel.CLI,
) -> ProviderEvent:
    """An approved provider reports an activity (before it happens, as OPI asks; a late
    report is accepted and flagged)."""
    found = find_provider(ctx.session, provider)
    if found is None:
        raise NotFound(f"{provider!r} is not in the approved provider directory")
    require_working(found, ctx.today)
    fields = check_fields(
        title=title,
        start=start,
        end=end,
        hours=hours,
        format=format,
        locations=locations,
        description=description,
        schedule=schedule,
    )
    event = ProviderEvent(
        provider=found,
        title=fields.title,
        description=fields.description,
        start_date=fields.start,
        end_date=fields.end,
        hours=fields.hours,
        format=fields.format,
        locations=fields.locations,
        schedule=fields.schedule,
        channel=channel,
        reported_at=ctx.now,
        reported_late=fields.start < ctx.today,
        certificates_issued=0,
    )
    ctx.session.add(event)
    ctx.session.flush()
    return event


def get_event(
    session: Session, event_id: int | str, provider_id: int | None = None
) -> ProviderEvent:
    """The event; with `provider_id`, only if it is that provider's (another provider's
    id is "no event", exactly as an unknown one: nothing tells them apart)."""
    try:
        key = int(str(event_id).strip())
    except ValueError:
        raise UserError(f"an event id is a number, not {event_id!r}") from None
    query = (
        select(ProviderEvent)
        .where(ProviderEvent.id == key)
        .options(selectinload(ProviderEvent.provider))
    )
    if provider_id is not None:
        query = query.where(ProviderEvent.provider_id == provider_id)
    event = session.scalar(query)
    if event is None:
        raise NotFound(f"no event {key}")
    return event


def list_events(session: Session, provider: str | None = None) -> list[ProviderEvent]:
    query = (
        select(ProviderEvent)
        .order_by(ProviderEvent.start_date, ProviderEvent.id)
        .options(selectinload(ProviderEvent.provider))
    )
    if provider:
        found = find_provider(session, provider)
        if found is None:
            raise NotFound(f"{provider!r} is not in the approved provider directory")
        query = query.where(ProviderEvent.provider_id == found.id)
    return list(session.scalars(query))


def check_issuable(event: ProviderEvent, today: date) -> None:
    """Certificates say the activity was completed: not before it ends (a self-paced
    course is completed on each attendee's own day, so from its start). Only a provider in
    good standing issues."""
    require_working(event.provider, today)
    if event.cancelled_at is not None:
        raise UserError(f"event {event.id} was cancelled: no certificate is issued for it")
    if today < event.start_date:
        raise UserError(f"event {event.id} starts on {event.start_date}: no certificate before")
    if event.format not in ISSUE_DURING and today < event.end_date:
        raise UserError(
            f"event {event.id} ends on {event.end_date}: certificates are issued after it"
        )


# --- Bulk issuance -----------------------------------------------------------------------


@dataclass
class RosterResult:
    """What `pdu provider issue` reports."""

    event_id: int
    roster: rosters.Roster
    queued: int = 0
    batch: BatchReport | None = None
    batch_id: int | None = None  # the issuance batch recording this upload, if any

    @property
    def issued(self) -> int:
        return self.batch.issued if self.batch else 0


@dataclass
class BatchReport:
    issued: int = 0
    numbers: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (roster line, why)
    pending: int = 0  # left for another run (claimed elsewhere)


StartBatch = Callable[[ServiceContext, ProviderEvent, rosters.Roster], int]


def take_roster(
    ctx: ServiceContext,
    event_id: int | str,
    content: bytes,
    *,
    skip_invalid: bool = False,
    provider_id: int | None = None,
    start_batch: StartBatch | None = None,
) -> RosterResult:
    """Check a roster in full and, unless a line is invalid (or `skip_invalid`), queue its
    people as pending attendees, in the caller's transaction (the caller commits only when
    `result.queued`; with problems, nothing is to be kept).

    `provider_id` scopes the event (the portal, a provider's email); `start_batch` records
    the upload as an issuance batch (models.services.batches)."""
    event = get_event(ctx.session, event_id, provider_id)
    check_issuable(event, ctx.today)
    roster = rosters.parse(content, Decimal(event.hours))
    rosters.check_against_event(ctx.session, event, roster)
    result = RosterResult(event.id, roster)
    if roster.problems and not skip_invalid:
        return result
    if start_batch is not None and roster.rows:
        result.batch_id = start_batch(ctx, event, roster)
    result.queued = rosters.add_attendees(ctx.session, event, roster, ctx.now, result.batch_id)
    return result


def accept_roster(
    uow_factory: Callable[[], UnitOfWork],
    event_id: int | str,
    content: bytes,
    now: datetime,
    *,
    skip_invalid: bool = False,
    provider_id: int | None = None,
    start_batch: StartBatch | None = None,
) -> RosterResult:
    """`take_roster` in its own unit of work: nothing changes unless it is accepted."""
    with uow_factory() as work:
        result = take_roster(
            ServiceContext.of(work, now),
            event_id,
            content,
            skip_invalid=skip_invalid,
            provider_id=provider_id,
            start_batch=start_batch,
        )
        if result.queued:
            work.commit()
    return result


def _pending(event_id: int, now: datetime) -> Any:
    return (
        Attendee.event_id == event_id,
        Attendee.certificate_id.is_(None),
        Attendee.failure.is_(None),
        or_(Attendee.claimed_at.is_(None), Attendee.claimed_at < now - LEASE),
    )


def count_pending(session: Session, event_id: int, now: datetime) -> int:
    query = select(func.count()).select_from(Attendee).where(*_pending(event_id, now))
    return session.scalar(query) or 0


def _facts(event: ProviderEvent, attendee: Attendee) -> CertificateFacts:
    return CertificateFacts(
        holder_name=attendee.full_name,
        license_number=attendee.license_number,
        email=attendee.email,
        activity_title=event.title,
        activity_description=event.description,
        provider_name=event.provider.name,
        start_date=event.start_date,
        end_date=event.end_date,
        hours=Decimal(attendee.hours),
        hours_available=Decimal(event.hours),
        activity_key=f"event:{event.id}",
        event_id=event.id,
        person_id=attendee.person_id,
    )


def _reserve(
    uow_factory: Callable[[], UnitOfWork], event_id: int, now: datetime, size: int
) -> list[tuple[int, Prepared]] | None:
    """Claim up to `size` pending attendees and prepare their certificates (committed).
    None when no attendee is pending; [] when the ones found were all refused."""
    from templates.certificate_data import BlankCertificateError

    with uow_factory() as work:
        ctx = ServiceContext.of(work, now)
        event = get_event(work.session, event_id)
        attendees = list(
            work.session.scalars(
                select(Attendee)
                .where(*_pending(event_id, now))
                .order_by(Attendee.id)
                .limit(size)
                .with_for_update(skip_locked=True)
            )
        )
        if not attendees:
            return None
        chunk, refused = [], []
        unnumbered = [a for a in attendees if a.certificate_number is None]
        for attendee, (number, code) in zip(
            unnumbered, reserve_numbers(ctx, len(unnumbered)), strict=True
        ):
            attendee.certificate_number, attendee.verification_code = number, code
            attendee.reserved_at = now
        for attendee in attendees:
            assert attendee.certificate_number is not None  # all reserved just above
            assert attendee.verification_code is not None and attendee.reserved_at is not None
            try:
                prepared = prepare(
                    ctx,
                    _facts(event, attendee),
                    attendee.certificate_number,
                    attendee.verification_code,
                    attendee.reserved_at,
                )
            except BlankCertificateError as exc:  # the roster's checks make this rare
                attendee.failure = str(exc)
                refused.append(f"line {attendee.line} (license {attendee.license_number}): {exc}")
                continue
            attendee.claimed_at = now
            chunk.append((attendee.id, prepared))
        _tell_admins(ctx, event, refused)
        work.commit()
    return chunk


def _tell_admins(ctx: ServiceContext, event: ProviderEvent, problems: list[str]) -> None:
    """Certificates not issued: the admins hear which attendees and why."""
    if problems:
        tell_admins(
            ctx,
            "certificate_not_issued",
            {
                "event_id": event.id,
                "event_title": event.title,
                "provider_name": event.provider.name,
                "problems": problems,
                "expects_reply": False,
            },
        )


def _outcome(future: Future[str]) -> str | Exception:
    from templates.certificate_data import BlankCertificateError, CertificateLayoutError

    try:
        return future.result()
    except (BlankCertificateError, CertificateLayoutError) as exc:
        return exc  # this certificate is not issued; the others go on


def _record(
    uow_factory: Callable[[], UnitOfWork],
    event_id: int,
    chunk: Sequence[tuple[int, Prepared]],
    outcomes: Sequence[str | Exception],
    now: datetime,
    report: BatchReport,
) -> None:
    with uow_factory() as work:
        ctx = ServiceContext.of(work, now)
        s = work.session
        event = get_event(s, event_id)
        ids = [attendee_id for attendee_id, _ in chunk]
        attendees = {
            a.id: a
            for a in s.scalars(select(Attendee).where(Attendee.id.in_(ids)).with_for_update())
        }
        issued: list[tuple[Attendee, Certificate]] = []
        failed: list[str] = []
        for (attendee_id, prepared), outcome in zip(chunk, outcomes, strict=True):
            attendee = attendees.get(attendee_id)
            if attendee is None or attendee.certificate_id is not None:
                continue  # removed, or finished by a run that took over an expired lease
            attendee.claimed_at = None
            if isinstance(outcome, Exception):
                attendee.failure = str(outcome)
                why = f"line {attendee.line} (license {attendee.license_number}): {outcome}"
                failed.append(why)
                report.failed.append((attendee.line, str(outcome)))
                continue
            issued.append((attendee, record_certificate(ctx, prepared, outcome, flush=False)))
        s.flush()
        for attendee, certificate in issued:
            attendee.certificate_id = certificate.id
            email_award(ctx, certificate, attendee.email, attendee.first_name)
            report.numbers.append(certificate.number)
        s.execute(
            update(ProviderEvent)
            .where(ProviderEvent.id == event_id)
            .values(certificates_issued=ProviderEvent.certificates_issued + len(issued))
        )
        _tell_admins(ctx, event, failed)
        work.commit()
    report.issued += len(issued)


def _release(uow_factory: Callable[[], UnitOfWork], ids: Iterable[int]) -> None:
    """Give back claims of a run that stops early (the next run need not wait the lease)."""
    ids = list(ids)
    if not ids:
        return
    with uow_factory() as work:
        work.session.execute(
            update(Attendee)
            .where(Attendee.id.in_(ids), Attendee.certificate_id.is_(None))
            .values(claimed_at=None)
        )
        work.commit()


def issue_pending(
    uow_factory: Callable[[], UnitOfWork],
    event_id: int,
    *,
    clock: Callable[[], datetime] = clock_now,
    pool: RenderPool | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK,
    on_progress: Callable[[int, int], None] | None = None,
) -> BatchReport:
    """Issue the certificates of every pending attendee of the event (the flow's body).

    `pool` renders; by default worker processes for a large batch, this process for a
    small one. `on_progress(done, total)` follows each recorded chunk. The clock is read
    per chunk: a long batch claims and issues at the time each chunk is done.
    """
    with uow_factory() as work:
        event = get_event(work.session, event_id)
        # A provider suspended since its roster was queued issues nothing more.
        require_working(event.provider, ServiceContext.of(work, clock()).today)
        total = count_pending(work.session, event_id, clock())
    report = BatchReport()
    if total == 0:
        return report
    own_pool = pool is None
    if pool is None:
        n = workers or default_workers()
        pool = WorkerPool(n) if n > 1 and total >= POOL_THRESHOLD else InProcess()
    in_flight: deque[tuple[list[tuple[int, Prepared]], list[Future[str]]]] = deque()
    try:
        exhausted = False
        while True:
            # Two chunks in flight: one rendering while the other is recorded.
            while not exhausted and len(in_flight) < 2:
                chunk = _reserve(uow_factory, event_id, clock(), chunk_size)
                if chunk is None:
                    exhausted = True
                elif chunk:
                    in_flight.append((chunk, [pool.submit(p.job) for _, p in chunk]))
            if not in_flight:
                break
            chunk, futures = in_flight[0]
            outcomes = [_outcome(f) for f in futures]
            _record(uow_factory, event_id, chunk, outcomes, clock(), report)
            in_flight.popleft()
            if on_progress is not None:
                on_progress(report.issued + len(report.failed), total)
    finally:
        if in_flight:
            _release(uow_factory, (i for chunk, _ in in_flight for i, _ in chunk))
        if own_pool:
            pool.close()
    with uow_factory() as work:
        report.pending = (
            work.session.scalar(
                select(func.count())
                .select_from(Attendee)
                .where(
                    Attendee.event_id == event_id,
                    Attendee.certificate_id.is_(None),
                    Attendee.failure.is_(None),
                )
            )
            or 0
        )
    return report


# --- The annual report (ARM 10.57.216) ---------------------------------------------------

REPORT_COLUMNS = (
    "event_id",
    "title",
    "description",
    "format",
    "start_date",
    "end_date",
    "locations",
    "schedule",
    "event_hours",
    "participants",
    "certificates_issued",
    "participant_name",
    "participant_license_number",
    "participant_hours",
    "certificate_number",
)


@dataclass(frozen=True)
class Participant:
    name: str  # as on the certificate (a reissue corrects it there)
    license_number: str
    hours: Decimal
    certificate_number: str


@dataclass(frozen=True)
class ReportEvent:
    event: ProviderEvent
    participants: list[Participant]


@dataclass(frozen=True)
class AnnualReport:
    provider: Provider
    year: int
    events: list[ReportEvent]
    generated_at: datetime

    @property
    def participants(self) -> int:
        return sum(len(e.participants) for e in self.events)


def annual_report(session: Session, provider: str, year: int, now: datetime) -> AnnualReport:
    """The provider's activities that began in `year`, each with its participants: the
    attendees whose certificate is valid (a revoked one is no participation)."""
    found = find_provider(session, provider)
    if found is None:
        raise NotFound(f"{provider!r} is not in the approved provider directory")
    if not 2000 <= year <= 2100:
        raise UserError(f"{year} is not a report year")
    events = list(
        session.scalars(
            select(ProviderEvent)
            .where(
                ProviderEvent.provider_id == found.id,
                ProviderEvent.cancelled_at.is_(None),  # withdrawn before it took place
                ProviderEvent.start_date >= date(year, 1, 1),
                ProviderEvent.start_date <= date(year, 12, 31),
            )
            .order_by(ProviderEvent.start_date, ProviderEvent.id)
        )
    )
    rows: dict[int, list[Participant]] = {e.id: [] for e in events}
    if events:
        query = (
            select(Attendee, Certificate)
            .join(Certificate, Attendee.certificate_id == Certificate.id)
            .where(
                Attendee.event_id.in_(rows),
                Certificate.status == CertificateStatus.VALID,
            )
            .order_by(Attendee.last_name, Attendee.first_name, Attendee.id)
        )
        for attendee, certificate in session.execute(query):
            rows[attendee.event_id].append(
                Participant(
                    certificate.holder_name,
                    attendee.license_number,
                    Decimal(certificate.hours),
                    certificate.number,
                )
            )
    return AnnualReport(found, year, [ReportEvent(e, rows[e.id]) for e in events], now)


def _cell(value: Any) -> str:
    """Text a spreadsheet will not run: a leading =, +, - or @ is a formula to Excel."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: AnnualReport) -> bytes:
    """One row per participant (an event without any still gets one row), so a
    spreadsheet can count and filter; UTF-8 with a BOM, as Excel expects."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for item in report.events:
        e = item.event
        common = [
            e.id,
            e.title,
            e.description or "",
            EventFormat(e.format).label,
            e.start_date.isoformat(),
            e.end_date.isoformat(),
            "; ".join(e.locations),
            e.schedule or "",
            hours_text(Decimal(e.hours)),
            len(item.participants),
            e.certificates_issued,
        ]
        people: Sequence[Participant | None] = item.participants or [None]  # one row at least
        for p in people:
            person = (
                [p.name, p.license_number, hours_text(p.hours), p.certificate_number]
                if p
                else ["", "", "", ""]
            )
            writer.writerow([_cell(v) for v in common + person])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_pdf(report: AnnualReport, timezone: str) -> bytes:
    """The same report for people: a PDF/A-3b document (kept five years, like the rest)."""
    from templates.documents import annual_report_pdf  # WeasyPrint: imported when needed

    return annual_report_pdf(report, timezone, lambda f: EventFormat(f).label)


def report_paths(directory: Path, report: AnnualReport) -> tuple[Path, Path]:
    stem = f"{report.provider.number}-{report.year}-annual-report"
    return directory / f"{stem}.csv", directory / f"{stem}.pdf"
