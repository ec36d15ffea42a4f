"""certificates.csv: certificates the old system issued, under their own numbers.

They verify (`pdu certificate verify`, the public page by their new verification code) and
count in transcripts like any other, marked imported (`imported_at`): the old system's PDF
is the holder's copy, so none is stored or signed here. Written with bulk inserts in the
import's one transaction (100,000 rows in 33 s on SQLite: bench/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import bindparam, insert, select, update

from models.certificates import Certificate
from models.enums import CertificateStatus
from models.events import ProviderEvent
from models.people import Person
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.issuing import new_verification_code
from models.services.legacy_events import events_by_key
from models.services.legacy_files import (
    Known,
    LegacyReport,
    Line,
    highest_own,
    issued_here,
    local_noon,
    parsed,
)
from models.services.legacy_providers import providers_by_number
from models.services.references import counter_values, keep_clear_of
from models.transcript import normalize_license

FILE = "certificates.csv"
COLUMNS = ("number", "first_name", "last_name", "hours", "start_date", "issued_on")
PREFIX = "PDU"
BATCH = 2000  # rows per INSERT statement (executemany in batches)
T = TypeVar("T")


@dataclass(frozen=True)
class CertificateRow:
    line: Line
    number: str
    first_name: str
    last_name: str
    email: str | None
    license_number: str | None
    hours: Decimal
    start_date: date
    end_date: date
    issued_on: date
    title: str | None
    provider: str | None  # number
    event: str | None  # the old system's event id (with provider)

    @property
    def holder(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _row(line: Line) -> CertificateRow:
    start = line.day("start_date")
    end = line.optional_day("end_date") or start
    if end < start:
        raise UserError(f"end_date {end} is before start_date {start}")
    provider = line.number_in("provider", "a provider number") if line.get("provider") else None
    event = line.number_in("event_id", "an event id", longest=40) if line.get("event_id") else None
    if event and not provider:
        raise UserError("event_id needs the provider's number too")
    title = " ".join(line.get("title").split()) or None
    if title is None and event is None:
        raise UserError("no title (or event_id to take the event's)")
    license_number = normalize_license(line.get("license_number")) or None
    if license_number and len(license_number) > 40:
        raise UserError("license_number is longer than 40 characters")
    return CertificateRow(
        line,
        line.number_in("number", "a certificate number", longest=24),
        line.name("first_name"),
        line.name("last_name"),
        line.email() if line.get("email") else None,
        license_number,
        line.hours(),
        start,
        end,
        line.day("issued_on"),
        title,
        provider,
        event,
    )


def check(
    ctx: ServiceContext, lines: list[Line], known: Known, report: LegacyReport
) -> list[CertificateRow]:
    """Rows to add. A number here already is present when it was imported for the same
    holder; otherwise, or when this system issued it, refused (never renumbered)."""
    here = {
        number: (imported, holder, license_number)
        for number, imported, holder, license_number in ctx.session.execute(
            select(
                Certificate.number,
                Certificate.imported_at.is_not(None),
                Certificate.holder_name,
                Certificate.license_number,
            )
        )
    }
    counters = counter_values(ctx.session, PREFIX)
    seen: dict[str, int] = {}
    additions = []
    for row in parsed(lines, _row, report):
        if row.number in seen:
            report.problem(row.line, f"certificate {row.number} is also on line {seen[row.number]}")
            continue
        seen[row.number] = row.line.number
        if row.provider is not None and row.provider not in known.providers:
            report.problem(row.line, f"no provider {row.provider} here or in providers.csv")
            continue
        if row.event is not None and (row.provider, row.event) not in known.events:
            report.problem(row.line, f"no event {row.event} of {row.provider} here or in "
                           "events.csv")  # fmt: skip
            continue
        found = here.get(row.number)
        if found is not None and found == (True, row.holder, row.license_number):
            report.matched(row.line, f"certificate {row.number}")
            continue
        if found is not None or issued_here(PREFIX, row.number, counters):
            report.refuse(
                row.line,
                f"{row.number} is already a certificate number of this system: refused "
                "(legacy numbers are never renumbered)",
            )
            continue
        additions.append(row)
    return additions


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _people(ctx: ServiceContext, rows: list[CertificateRow]) -> dict[str, int]:
    """The person id of every holder's address; new people added in bulk (not renamed)."""
    first: dict[str, CertificateRow] = {}
    for row in rows:
        if row.email is not None:
            first.setdefault(row.email, row)
    ids: dict[str, int] = {}

    def look_up(emails: list[str]) -> None:
        for chunk in _chunks(emails, 500):
            ids.update(
                ctx.session.execute(select(Person.email, Person.id).where(Person.email.in_(chunk)))
                .tuples()
                .all()
            )

    look_up(list(first))
    new: list[dict[str, object]] = [
        {
            "email": email,
            "first_name": row.first_name[:100],
            "last_name": row.last_name[:100],
            "license_number": row.license_number,
            "created_at": ctx.now,
        }
        for email, row in first.items()
        if email not in ids
    ]
    for chunk in _chunks(new, BATCH):
        ctx.session.execute(insert(Person), chunk)
    look_up([str(p["email"]) for p in new])
    return ids


def add(ctx: ServiceContext, rows: list[CertificateRow], advance: Callable[[int], None]) -> None:
    """Bulk inserts, `advance(count)` after each batch."""
    providers = providers_by_number(ctx)
    events = events_by_key(ctx)
    people = _people(ctx, rows)
    counts: dict[int, int] = {}
    values = []
    for row in rows:
        event: ProviderEvent | None = (
            events[(row.provider, row.event)] if row.provider and row.event else None
        )
        if event is not None:
            counts[event.id] = counts.get(event.id, 0) + 1
        values.append(
            {
                "number": row.number,
                "verification_code": new_verification_code(),
                "event_id": event.id if event else None,
                "person_id": people.get(row.email) if row.email else None,
                "holder_name": row.holder[:300],
                "license_number": row.license_number,
                "activity_title": (row.title or (event.title if event else ""))[:300],
                "provider_name": providers[row.provider].name if row.provider else None,
                "start_date": row.start_date,
                "end_date": row.end_date,
                "hours": row.hours,
                "issued_at": local_noon(row.issued_on, ctx.tz),
                "status": CertificateStatus.VALID,
                "imported_at": ctx.now,
            }
        )
    for chunk in _chunks(values, BATCH):
        ctx.session.execute(insert(Certificate), chunk)
        advance(len(chunk))
    # One executemany on the table (the ORM's per-statement session sync is quadratic here).
    events_table = ProviderEvent.__table__
    if counts:
        ctx.session.execute(
            update(events_table)
            .where(events_table.c.id == bindparam("event"))
            .values(certificates_issued=events_table.c.certificates_issued + bindparam("count")),
            [{"event": event_id, "count": count} for event_id, count in counts.items()],
        )
    for year, number in highest_own(PREFIX, [row.number for row in rows]).items():
        keep_clear_of(ctx.session, PREFIX, year, number)
