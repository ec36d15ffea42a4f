"""Purging records past their retention date: rehearsed (the dry run is the disposal request
to the State Records Committee, MCA 2-6-1107), then executed with its approval reference.

A purged case keeps its row (status `purged`, empty form, no applicant) so its reference
stays taken and `pdu case show` answers "purged"; a tombstone keeps dates, counts,
certificate numbers and the SHA-256 of the record. Everything personal goes: the applicant
(unless a live record still needs them), messages, outbox, tokens, timeline, tasks,
attachments and their files (unless shared with a live case), certificate PDFs, and the
copies in the IMAP Processed and Quarantine folders.

Crash safety, batch by batch: (1) the batch's mailbox copies are deleted (idempotent);
(2) one transaction re-checks each case (a hold placed meanwhile wins), writes tombstones,
deletes rows and then files, and commits. A crash before the commit leaves the rows, so
the next run purges them again (missing files and messages are fine); after it, nothing
personal is left. So a case says `purged` only once all of it is gone, and re-running
finishes an interrupted run and does nothing to a finished one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from models.cases import Case, ReviewTask, TimelineEntry
from models.certificates import Certificate
from models.data_dir import attachment_file, certificate_path
from models.db import rows_changed
from models.enums import CaseKind, CaseStatus, CertificateStatus, Channel
from models.events import Attendee, ProviderEvent
from models.messages import Attachment, ErrorReply, InboundMessage, OutboxMessage, ReplyToken
from models.opportunities import Opportunity
from models.people import Person
from models.retention import (
    EVENT,
    MAIL,
    Candidate,
    Summary,
    YearsFor,
    due_cases,
    due_events,
    old_error_replies,
    purgeable_cases,
    record_sha256,
    retained_until,
    row_record,
    unlinked_inbound,
    unlinked_outbox,
)
from models.schema import Base
from models.services.errors import UserError
from models.services.holds import event_reference
from models.tombstones import PurgeRun, Tombstone
from models.uow import UnitOfWork
from models.workflow import Event, advance

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_APPROVAL = 200
MESSAGE_ID_HEADER = "Message-ID"

# Rows of a case, in an order that respects the foreign keys when deleting.
_CASE_TABLES: tuple[tuple[str, Table], ...] = (
    ("outbox", OutboxMessage.__table__),
    ("attachments", Attachment.__table__),
    ("reply_tokens", ReplyToken.__table__),
    ("tasks", ReviewTask.__table__),
    ("timeline", TimelineEntry.__table__),
    ("inbound", InboundMessage.__table__),
)


# Every column that refers to a person (applicants, holders, accounts, attendees): a person
# goes only when none of them still does. Disposed certificates no longer do.
_PERSON_REFERENCES = tuple(
    column
    for table in Base.metadata.sorted_tables
    for column in table.columns
    for fk in column.foreign_keys
    if fk.column.table.name == "people"
)


# What a disposed certificate keeps: number, code, dates, hours (verification says
# "disposed"); the holder, their license and the PDF's hash go.
_DISPOSED: dict[str, Any] = {
    "status": CertificateStatus.DISPOSED,
    "holder_name": "",
    "license_number": None,
    "person_id": None,
    "pdf_sha256": None,
    "revoked_reason": None,
}


class Mailbox(Protocol):
    def delete_matching(self, folder: str, header: str, value: str) -> int: ...


MailboxOpener = Callable[[], AbstractContextManager[Any]]
Listener = Callable[[Candidate], None]
Progress = Callable[[int, int], None]  # (cases done, cases in all): a bar's count and total


@dataclass
class PurgeReport:
    run_id: int
    executed: bool
    cutoff: datetime
    approval: str | None
    summary: Summary = field(default_factory=Summary)
    counts: dict[str, int] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)  # references only: reasons stay in the db

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value


# --- Dry run -----------------------------------------------------------------------------


def rehearse(
    uow_factory: Callable[[], UnitOfWork],
    *,
    now: datetime,
    cutoff: datetime | None = None,
    channel: Channel = Channel.CLI,
    listener: Listener | None = None,
    on_progress: Progress | None = None,
) -> PurgeReport:
    """What a purge at `cutoff` would remove: nothing changes but the audit row.
    `on_progress(done, total)` follows the cases counted (the total is counted first)."""
    cutoff = _check_cutoff(cutoff, now)
    with uow_factory() as work:
        s, settings = work.session, work.settings
        tz = ZoneInfo(settings.timezone)
        report = PurgeReport(0, False, cutoff, None)
        years = settings.retention_years_for
        due = due_cases(cutoff, years)
        total = _count(s, due) if on_progress is not None else 0
        for done, candidate in enumerate(_candidates(s, due, years, tz), start=1):
            report.summary.add_case(candidate)
            if candidate.held:
                report.held.append(candidate.reference)
            if listener is not None:
                listener(candidate)
            if on_progress is not None and (done % 100 == 0 or done == total):
                on_progress(done, max(done, total))
        for column, where in (
            (InboundMessage.received_at, unlinked_inbound(cutoff, years)),
            (OutboxMessage.created_at, unlinked_outbox(cutoff, years)),
        ):
            for moment in s.scalars(select(column).where(where).execution_options(yield_per=1000)):
                report.summary.add(MAIL, moment.astimezone(tz).date())
        events = select(ProviderEvent.end_date).where(purgeable_events(cutoff, years))
        for day in s.scalars(events.execution_options(yield_per=1000)):
            report.summary.add(EVENT, day)
        report.held += _held_events(s, cutoff, years)
        report.counts = report.summary.totals()
        run = PurgeRun(
            started_at=now,
            finished_at=now,
            cutoff=cutoff,
            executed=False,
            approval=None,
            channel=channel.value,
            counts=report.counts,
        )
        s.add(run)
        work.commit()
        report.run_id = run.id
    return report


def _count(session: Session, where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(Case).where(where)) or 0)


def _candidates(session: Session, where: Any, years: YearsFor, tz: ZoneInfo) -> Iterable[Candidate]:
    query = (
        select(
            Case.reference,
            Case.kind,
            Case.status,
            Case.closed_at,
            Case.retain_until,
            Case.legal_hold,
        )
        .where(where)
        .order_by(Case.closed_at, Case.id)
        .execution_options(yield_per=1000)
    )
    for reference, kind, status, closed_at, retain_until, hold in session.execute(query):
        yield Candidate(
            reference,
            str(kind),
            str(status),
            closed_at.astimezone(tz),
            retained_until(closed_at, retain_until, years(kind)).astimezone(tz),
            hold,
        )


def purgeable_events(cutoff: datetime, years: YearsFor) -> Any:
    return due_events(cutoff, years) & ProviderEvent.legal_hold.is_(None)


def _held_events(session: Session, cutoff: datetime, years: YearsFor) -> list[str]:
    """`event:ID` of each event past retention that a legal hold keeps."""
    where = due_events(cutoff, years) & ProviderEvent.legal_hold.is_not(None)
    ids = session.scalars(select(ProviderEvent.id).where(where).order_by(ProviderEvent.id))
    return [event_reference(event_id) for event_id in ids]


def _check_cutoff(cutoff: datetime | None, now: datetime) -> datetime:
    if cutoff is None:
        return now
    if cutoff.tzinfo is None:
        raise UserError("the cutoff needs a time zone (e.g. 2026-11-21T00:00:00-07:00)")
    if cutoff > now:
        raise UserError("the cutoff is in the future: a purge never runs ahead of the clock")
    return cutoff


# --- Execution ---------------------------------------------------------------------------


def execute(
    uow_factory: Callable[[], UnitOfWork],
    *,
    now: datetime,
    approval: str,
    open_mailbox: MailboxOpener | None,
    cutoff: datetime | None = None,
    channel: Channel = Channel.CLI,
    batch_size: int = BATCH_SIZE,
    listener: Listener | None = None,
    on_batch: Progress | None = None,
) -> PurgeReport:
    """Purge every unheld record whose retention ended before `cutoff`, in batches.

    `open_mailbox` None skips the mailbox (benchmarks; a mailbox already decommissioned).
    `on_batch(done, total)` is called with the running count of purged cases after each
    commit, and the count of cases to purge taken at the start.
    """
    approval = approval.strip()
    if not approval:
        raise UserError("an executed purge needs the approval reference (--approval REF)")
    if len(approval) > MAX_APPROVAL:
        raise UserError(f"the approval reference is longer than {MAX_APPROVAL} characters")
    cutoff = _check_cutoff(cutoff, now)
    with uow_factory() as work:
        settings = work.settings
        run = PurgeRun(
            started_at=now,
            cutoff=cutoff,
            executed=True,
            approval=approval,
            channel=channel.value,
            counts={},
        )
        work.session.add(run)
        work.commit()
        report = PurgeReport(run.id, True, cutoff, approval)
        tz, years = ZoneInfo(settings.timezone), settings.retention_years_for
        held = due_cases(cutoff, years) & Case.legal_hold.is_not(None)
        for candidate in _candidates(work.session, held, years, tz):
            report.summary.add_case(candidate)
            report.held.append(candidate.reference)
        report.held += _held_events(work.session, cutoff, years)
        total = _count(work.session, purgeable_cases(cutoff, years)) if on_batch else 0
    folders = (settings.imap_processed_folder, settings.imap_quarantine_folder)
    with MailboxCopies(open_mailbox, folders) as copies:
        _purge_cases(
            uow_factory, report, copies, now, channel, years, batch_size, listener,
            (lambda done: on_batch(done, max(done, total))) if on_batch else None,
        )  # fmt: skip
        _purge_unlinked_mail(uow_factory, report, copies, years, batch_size)
    _purge_events(uow_factory, report, years, batch_size)
    with uow_factory() as work:
        work.session.execute(
            update(PurgeRun)
            .where(PurgeRun.id == report.run_id)
            .values(finished_at=now, counts=report.counts)
        )
        work.commit()
        _checkpoint(work)
    log.info("purge run %s: %s", report.run_id, report.counts)
    return report


def _purge_cases(
    uow_factory: Callable[[], UnitOfWork],
    report: PurgeReport,
    copies: MailboxCopies,
    now: datetime,
    channel: Channel,
    years: YearsFor,
    batch_size: int,
    listener: Listener | None,
    on_batch: Callable[[int], None] | None,
) -> None:
    where = purgeable_cases(report.cutoff, years)
    for ids, message_ids in _id_batches(
        uow_factory, Case.id, where, batch_size, InboundMessage.case_id
    ):
        report.add({"imap_messages": copies.delete(message_ids)})
        with uow_factory() as work:
            _secure_delete(work.session)
            purged = _purge_batch(work, ids, where, report, now, channel)
            work.commit()
        for candidate in purged:
            report.summary.add_case(candidate)
            if listener is not None:
                listener(candidate)
        if on_batch is not None:
            on_batch(report.counts.get("cases", 0))


def _id_batches(
    uow_factory: Callable[[], UnitOfWork],
    id_column: Any,
    where: Any,
    batch_size: int,
    message_owner: Any | None = None,
) -> Iterator[tuple[list[int], list[str]]]:
    """Ids matching `where`, in order, `batch_size` at a time, with the Message-IDs of the
    inbound messages whose `message_owner` is among them (read before anything is deleted).

    Each query reads one window of ids: ordering every remaining match instead would sort
    all of them for each batch (quadratic over a large purge). Rows that appear after the
    start are newer than the cutoff anyway.
    """
    with uow_factory() as work:
        top = work.session.scalar(select(func.max(id_column))) or 0
    window = max(20 * batch_size, 10_000)
    last = 0
    while last < top:
        with uow_factory() as work:
            ids = list(
                work.session.scalars(
                    select(id_column)
                    .where(where, id_column > last, id_column <= last + window)
                    .order_by(id_column)
                    .limit(batch_size)
                )
            )
            if not ids:
                last += window
                continue
            message_ids = (
                _message_ids(work.session, message_owner.in_(ids))
                if message_owner is not None
                else []
            )
        last = ids[-1]
        yield ids, message_ids


def _message_ids(session: Session, where: Any) -> list[str]:
    query = select(InboundMessage.message_id).where(where, InboundMessage.message_id.is_not(None))
    return [m for m in session.scalars(query) if m]


class MailboxCopies:
    """The copies of messages in the IMAP folders; connects only when there is work."""

    def __init__(self, open_mailbox: MailboxOpener | None, folders: Sequence[str]) -> None:
        self.open_mailbox, self.folders = open_mailbox, folders
        self._stack = ExitStack()
        self._mailbox: Mailbox | None = None

    def delete(self, message_ids: Sequence[str]) -> int:
        if self.open_mailbox is None or not message_ids:
            return 0
        if self._mailbox is None:
            self._mailbox = self._stack.enter_context(self.open_mailbox())
        deleted = 0
        for folder in self.folders:
            for message_id in message_ids:
                deleted += self._mailbox.delete_matching(folder, MESSAGE_ID_HEADER, message_id)
        return deleted

    def __enter__(self) -> MailboxCopies:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()


def _secure_delete(session: Session) -> None:
    """SQLite: overwrite deleted content with zeros, so the file keeps no trace of it."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def _checkpoint(work: UnitOfWork) -> None:
    """SQLite: copy the WAL into the database and truncate it (old page images live there)."""
    if work.engine.dialect.name != "sqlite":
        return
    raw = work.engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        assert sqlite is not None  # None only once the connection is closed
        busy = sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            log.warning("WAL checkpoint incomplete (readers active): it completes later")
    finally:
        raw.close()


def _purge_batch(
    work: UnitOfWork,
    ids: list[int],
    where: Any,
    report: PurgeReport,
    now: datetime,
    channel: Channel,
) -> list[Candidate]:
    s, settings = work.session, work.settings
    cases = (
        s.execute(
            select(Case.__table__)
            .where(Case.id.in_(ids), where)
            .order_by(Case.id)
            .with_for_update(skip_locked=True)
        )
        .mappings()
        .all()
    )
    if not cases:
        return []
    ids = [c["id"] for c in cases]
    for c in cases:  # the transition table has the last word: only closed cases purge
        advance(CaseKind(c["kind"]), CaseStatus(c["status"]), Event.PURGE)
    records = {c["id"]: _empty_record(c) for c in cases}
    _snapshot(s, ids, records)
    _tombstones(s, cases, records, report.run_id, now)
    shas = {a["sha256"] for r in records.values() for a in r["attachments"]}
    numbers = [c["number"] for r in records.values() for c in r["certificates"]]
    for _key, table in _CASE_TABLES:
        s.execute(delete(table).where(table.c.case_id.in_(ids)))
    # A portal listing approved by one of these cases goes with it (its contact's name and
    # address came from the form); one revised since belongs to the newer case.
    s.execute(delete(Opportunity).where(Opportunity.case_id.in_(ids)))
    # The activity's title came from the applicant's form, which goes too.
    disposed = _DISPOSED | {"activity_title": ""}
    s.execute(update(Certificate).where(Certificate.case_id.in_(ids)).values(**disposed))
    s.execute(
        update(Case)
        .where(Case.id.in_(ids))
        .values(
            status=CaseStatus.PURGED,
            form={},
            applicant_id=None,
            submission_key=literal("purged:") + Case.reference,
            updated_at=now,
        )
    )
    s.execute(
        insert(TimelineEntry.__table__),
        [
            {
                "case_id": c["id"],
                "at": now,
                "action": Event.PURGE.value,
                "actor": "system",
                "channel": channel.value,
                "from_status": c["status"],
                "to_status": CaseStatus.PURGED.value,
                "detail": f"approval {report.approval}; purge run {report.run_id}",
            }
            for c in cases
        ],
    )
    people = _delete_people(
        s,
        {r["case"]["applicant_id"] for r in records.values()}
        | {c["person_id"] for r in records.values() for c in r["certificates"]},
    )
    files = _delete_files(s, settings.data_dir, shas, numbers)
    report.add(
        {
            "cases": len(cases),
            "messages": sum(len(r["inbound"]) for r in records.values()),
            "outbox": sum(len(r["outbox"]) for r in records.values()),
            "attachments": sum(len(r["attachments"]) for r in records.values()),
            "certificates": len(numbers),
            "people": people,
            "files": files,
        }
    )
    tz = ZoneInfo(settings.timezone)
    return [
        Candidate(
            c["reference"],
            str(c["kind"]),
            str(c["status"]),
            c["closed_at"].astimezone(tz),
            retained_until(
                c["closed_at"], c["retain_until"], settings.retention_years_for(c["kind"])
            ).astimezone(tz),
        )
        for c in cases
    ]


def _empty_record(case: Any) -> dict[str, Any]:
    record: dict[str, Any] = {key: [] for key, _table in _CASE_TABLES}
    record.update(case=row_record("cases", dict(case)), applicant=None, certificates=[])
    return record


def _snapshot(s: Session, ids: list[int], records: dict[int, dict[str, Any]]) -> None:
    """Every row of the batch's cases, streamed: large contents are reduced to their hash."""
    tables = [*_CASE_TABLES, ("certificates", Certificate.__table__)]
    for key, table in tables:
        query = (
            select(table)
            .where(table.c.case_id.in_(ids))
            .order_by(table.c.id)
            .execution_options(yield_per=100)
        )
        result = s.execute(query)
        names = list(result.keys())
        for values in result:
            row = dict(zip(names, values, strict=True))
            records[row["case_id"]][key].append(row_record(table.name, row))
    applicants = {r["case"]["applicant_id"] for r in records.values()} - {None}
    if applicants:
        people = {
            p["id"]: row_record("people", dict(p))
            for p in s.execute(select(Person.__table__).where(Person.id.in_(applicants))).mappings()
        }
        for record in records.values():
            record["applicant"] = people.get(record["case"]["applicant_id"])


def _tombstones(
    s: Session, cases: Sequence[Any], records: dict[int, dict[str, Any]], run_id: int, now: datetime
) -> None:
    s.execute(
        insert(Tombstone.__table__),
        [
            {
                "reference": c["reference"],
                "kind": c["kind"],
                "final_status": c["status"],
                "submitted_at": c["submitted_at"],
                "closed_at": c["closed_at"],
                "purged_at": now,
                "purge_run_id": run_id,
                "messages": len(records[c["id"]]["inbound"]),
                "outbox": len(records[c["id"]]["outbox"]),
                "attachments": len(records[c["id"]]["attachments"]),
                "certificates": len(records[c["id"]]["certificates"]),
                "timeline": len(records[c["id"]]["timeline"]),
                "certificate_numbers": [x["number"] for x in records[c["id"]]["certificates"]],
                "record_sha256": record_sha256(records[c["id"]]),
            }
            for c in cases
        ],
    )


def _delete_people(s: Session, candidates: set[int | None]) -> int:
    """The people among `candidates` that no remaining row refers to (any table)."""
    candidates.discard(None)
    if not candidates:
        return 0
    still_needed: set[int] = set()
    for column in _PERSON_REFERENCES:
        still_needed |= set(s.scalars(select(column).where(column.in_(candidates))))
    gone = candidates - still_needed
    if not gone:
        return 0
    emails = list(s.scalars(select(Person.email).where(Person.id.in_(gone))))
    s.execute(delete(ErrorReply).where(ErrorReply.address.in_(emails)))
    s.execute(delete(Person).where(Person.id.in_(gone)))
    return len(gone)


def _delete_files(s: Session, data_dir: Path, shas: set[str], numbers: Sequence[str]) -> int:
    """Files go only after their rows (a file shared with a live case stays)."""
    s.flush()
    shared = set(s.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(shas))))
    paths = [data_dir / attachment_file(sha) for sha in shas - shared]
    paths += [certificate_path(data_dir, number) for number in numbers]
    deleted = 0
    for path in paths:
        if path.exists():
            path.unlink()
            deleted += 1
    return deleted


def _purge_unlinked_mail(
    uow_factory: Callable[[], UnitOfWork],
    report: PurgeReport,
    copies: MailboxCopies,
    years: YearsFor,
    batch_size: int,
) -> None:
    """Messages tied to no case (strangers, bounces, error replies), by their own dates."""
    where = unlinked_inbound(report.cutoff, years)
    for ids, message_ids in _id_batches(
        uow_factory, InboundMessage.id, where, batch_size, InboundMessage.id
    ):
        report.add({"imap_messages": copies.delete(message_ids)})
        with uow_factory() as work:
            s = work.session
            _secure_delete(s)
            ids = list(
                s.scalars(select(InboundMessage.id).where(InboundMessage.id.in_(ids), where))
            )
            orphans = Attachment.inbound_id.in_(ids) & Attachment.case_id.is_(None)
            shas = set(s.scalars(select(Attachment.sha256).where(orphans)))
            s.execute(delete(Attachment).where(orphans))
            done = rows_changed(s, delete(InboundMessage).where(InboundMessage.id.in_(ids)))
            files = _delete_files(s, work.settings.data_dir, shas, [])
            work.commit()
        report.add({"mail_messages": done, "files": files})
    with uow_factory() as work:
        s = work.session
        _secure_delete(s)
        outbox = rows_changed(s, delete(OutboxMessage).where(unlinked_outbox(report.cutoff, years)))
        errors = rows_changed(s, delete(ErrorReply).where(old_error_replies(report.cutoff, years)))
        work.commit()
    report.add({"mail_outbox": outbox, "error_replies": errors})


def _purge_events(
    uow_factory: Callable[[], UnitOfWork], report: PurgeReport, years: YearsFor, batch_size: int
) -> None:
    """Provider events past retention and not held: attendees deleted, certificates
    disposed of (a hold placed meanwhile wins: each batch re-selects under its lock)."""
    where = purgeable_events(report.cutoff, years)
    for ids, _none in _id_batches(uow_factory, ProviderEvent.id, where, batch_size):
        with uow_factory() as work:
            s = work.session
            _secure_delete(s)
            chosen = select(ProviderEvent.id).where(ProviderEvent.id.in_(ids), where)
            ids = list(s.scalars(chosen.with_for_update()))  # a hold placed meanwhile wins
            live = Certificate.event_id.in_(ids) & (
                Certificate.status != CertificateStatus.DISPOSED
            )
            certificates = s.execute(select(Certificate.number, Certificate.person_id).where(live))
            numbers, people = [], set()
            for number, person_id in certificates:
                numbers.append(number)
                people.add(person_id)
            people |= set(s.scalars(select(Attendee.person_id).where(Attendee.event_id.in_(ids))))
            attendees = rows_changed(s, delete(Attendee).where(Attendee.event_id.in_(ids)))
            s.execute(update(Certificate).where(live).values(**_DISPOSED))
            counts = {
                "events": len(ids),
                "attendees": attendees,
                "certificates": len(numbers),
                "people": _delete_people(s, people),
                "files": _delete_files(s, work.settings.data_dir, set(), numbers),
            }
            work.commit()
        report.add(counts)
