"""Retention rules (ARM 10.57.216: five years), pure: what may be purged when, legal holds,
the canonical form of a purged record and its hash, and the dry-run summary.

No I/O here. The SQL conditions are expressions only; services run them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_

from models.cases import Case
from models.certificates import Certificate
from models.enums import CLOSED_STATUSES, CaseKind, CaseStatus, CertificateStatus, RecordKind
from models.events import Attendee, ProviderEvent
from models.messages import ErrorReply, InboundMessage, OutboxMessage

MAIL = RecordKind.MAIL.value  # messages tied to no case: a report and retention kind
EVENT = RecordKind.EVENT.value  # provider events: their attendees and certificates
DISPOSED_ANSWER = "disposed under the retention schedule"
MAX_HOLD_REASON = 2000

PURGEABLE_STATUSES = frozenset(CLOSED_STATUSES - {CaseStatus.PURGED})


class Verdict(StrEnum):
    OPEN = "open"  # never purged while open, however old
    RETAINED = "retained"  # closed, retention period still running
    HELD = "held"  # would go, but a legal hold keeps it
    PURGEABLE = "purgeable"
    PURGED = "purged"


def add_years(moment: datetime, years: int) -> datetime:
    """The same instant `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


YearsFor = Callable[[str], int]  # the retention period of a record kind (Settings)


def case_verdict(
    status: CaseStatus, retain_until: datetime | None, legal_hold: str | None, cutoff: datetime
) -> Verdict:
    """Whether a case may be purged by a run whose cutoff is `cutoff` (usually now).

    A closed case is kept until `retain_until` (closing + the retention period of its kind,
    set when it closed) and purgeable strictly after. A case closed without one is kept.
    """
    if status is CaseStatus.PURGED:
        return Verdict.PURGED
    if status not in PURGEABLE_STATUSES:
        return Verdict.OPEN
    if retain_until is None or retain_until >= cutoff:
        return Verdict.RETAINED
    return Verdict.HELD if legal_hold else Verdict.PURGEABLE


def retained_until(closed_at: datetime, retain_until: datetime, years: int) -> datetime:
    """The later of the date a case was given when it closed and what the schedule says now.

    A period lengthened after a case closed protects it too; a shortened one applies to cases
    closing afterwards: a configuration change never destroys a record earlier than its date.
    """
    return max(retain_until, add_years(closed_at, years))


def _grouped(kinds: Iterable[str], years: YearsFor) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for kind in kinds:
        groups.setdefault(years(kind), []).append(kind)
    return groups


def due_cases(cutoff: datetime, years: YearsFor) -> ColumnElement[bool]:
    """SQL twin of `case_verdict(...) in {PURGEABLE, HELD}` with `retained_until`."""
    per_kind = [
        and_(Case.kind.in_(kinds), Case.closed_at < add_years(cutoff, -period))
        for period, kinds in _grouped((k.value for k in CaseKind), years).items()
    ]
    return and_(
        Case.status.in_([s.value for s in PURGEABLE_STATUSES]),
        Case.retain_until.is_not(None),
        Case.retain_until < cutoff,
        or_(*per_kind),
    )


def purgeable_cases(cutoff: datetime, years: YearsFor) -> ColumnElement[bool]:
    """SQL twin of `case_verdict(...) is PURGEABLE`."""
    return and_(due_cases(cutoff, years), Case.legal_hold.is_(None))


def mail_cutoff(cutoff: datetime, years: YearsFor) -> datetime:
    """Messages tied to no case are kept their period from when they arrived or were written."""
    return add_years(cutoff, -years(MAIL))


def unlinked_inbound(cutoff: datetime, years: YearsFor) -> ColumnElement[bool]:
    return and_(
        InboundMessage.case_id.is_(None),
        InboundMessage.received_at < mail_cutoff(cutoff, years),
    )


def unlinked_outbox(cutoff: datetime, years: YearsFor) -> ColumnElement[bool]:
    return and_(
        OutboxMessage.case_id.is_(None), OutboxMessage.created_at < mail_cutoff(cutoff, years)
    )


def old_error_replies(cutoff: datetime, years: YearsFor) -> ColumnElement[bool]:
    return ErrorReply.day < mail_cutoff(cutoff, years).date()


def due_events(cutoff: datetime, years: YearsFor) -> ColumnElement[bool]:
    """Provider events closed their period ago that still hold attendees or live certificates.

    An event closes on its last day or when its last certificate was issued, whichever is
    later (a roster may be issued weeks after the event). The event row itself (title,
    dates, places: the provider's report) stays; the people go.
    """
    threshold = add_years(cutoff, -years(EVENT))
    live = and_(
        Certificate.event_id == ProviderEvent.id,
        Certificate.status != CertificateStatus.DISPOSED,
    )
    return and_(
        ProviderEvent.end_date < threshold.date(),
        ~exists().where(
            Certificate.event_id == ProviderEvent.id, Certificate.issued_at >= threshold
        ),
        or_(exists().where(Attendee.event_id == ProviderEvent.id), exists().where(live)),
    )


def hold_problem(status: CaseStatus | None, reason: str) -> str | None:
    """Why a legal hold cannot be placed, or None. Open cases may be held (before closing);
    `status` None: a provider event (held whatever it holds)."""
    if status is CaseStatus.PURGED:
        return "it was already purged under the retention schedule"
    if not reason.strip():
        return "a legal hold needs a reason (e.g. the litigation or request it serves)"
    if len(reason) > MAX_HOLD_REASON:
        return f"the reason is longer than {MAX_HOLD_REASON} characters"
    return None


# --- The purged record and its hash ------------------------------------------------------

# Large contents enter the record as their SHA-256: the hash still commits to them, and a
# batch never holds every message body of 500 cases in memory at once.
DIGESTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "inbound_messages": ("raw",),
    "outbox": ("body_text", "body_html"),
}


def json_value(value: Any) -> Any:
    """Canonical form of what JSON lacks: ISO 8601 UTC instants, decimals as strings."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bytes | bytearray | memoryview):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def row_record(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A database row as it enters the purged record (large contents as their hash)."""
    record = dict(row)
    for name in DIGESTED_COLUMNS.get(table, ()):
        value = record.get(name)
        if value is not None:
            data = value if isinstance(value, bytes) else str(value).encode("utf-8")
            record[name] = {"sha256": hashlib.sha256(data).hexdigest()}
    return record


def canonical_json(record: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, `json_value` for the rest: same record, same bytes."""
    return json.dumps(
        record,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=json_value,
    ).encode("utf-8")


def record_sha256(record: Any) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


# --- The dry-run report --------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A case past its retention date, as the dry run lists it (no personal data)."""

    reference: str
    kind: str
    status: str
    closed_at: datetime
    retain_until: datetime
    hold_reason: str | None = None

    @property
    def held(self) -> bool:
        return self.hold_reason is not None


@dataclass
class Line:
    """One row of the summary: a kind and a year (of closing, arrival or the event's end)."""

    kind: str
    year: int
    count: int = 0
    held: int = 0
    oldest: date | None = None
    newest: date | None = None

    def add(self, day: date, held: bool = False) -> None:
        if held:
            self.held += 1
        else:
            self.count += 1
        self.oldest = day if self.oldest is None else min(self.oldest, day)
        self.newest = day if self.newest is None else max(self.newest, day)


@dataclass
class Summary:
    """Counts per kind and year, oldest and newest dates; built in one streaming pass."""

    lines: dict[tuple[str, int], Line] = field(default_factory=dict)

    def add(self, kind: str, day: date, held: bool = False) -> None:
        self.lines.setdefault((kind, day.year), Line(kind, day.year)).add(day, held)

    def add_case(self, candidate: Candidate) -> None:
        self.add(candidate.kind, candidate.closed_at.date(), candidate.held)

    def sorted_lines(self) -> list[Line]:
        return [self.lines[key] for key in sorted(self.lines)]

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in self.lines.values():
            totals[line.kind] = totals.get(line.kind, 0) + line.count
            if line.held:
                totals["held"] = totals.get("held", 0) + line.held
        return totals


def summary_rows(summary: Summary) -> list[dict[str, Any]]:
    """The summary as table rows (terminal, CSV, Prefect artifact): no personal data."""
    return [
        {
            "kind": line.kind,
            "year": line.year,
            "records": line.count,
            "held": line.held,
            "oldest": line.oldest.isoformat() if line.oldest else "",
            "newest": line.newest.isoformat() if line.newest else "",
        }
        for line in summary.sorted_lines()
    ]


def candidate_row(candidate: Candidate, executed: bool, reason: bool = True) -> dict[str, str]:
    """One case of the report (CSV, Prefect artifact). A hold's reason may name people: it
    goes into the operator's CSV only, never into Prefect (`reason=False`)."""
    action = "kept: legal hold" if candidate.held else "purged" if executed else "purge"
    row = {
        "reference": candidate.reference,
        "kind": candidate.kind,
        "status": candidate.status,
        "closed_at": candidate.closed_at.isoformat(),
        "retain_until": candidate.retain_until.isoformat(),
        "action": action,
    }
    if reason:
        row["hold_reason"] = candidate.hold_reason or ""
    return row
