"""Human references: PA-2026-00042, PR-2026-00007, PDU-2026-000001."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.cases import ReferenceCounter


def next_number(
    session: Session, prefix: str, now: datetime, timezone: str, count: int = 1
) -> tuple[int, int]:
    """(year, number): the counter row is locked (PostgreSQL) or the database is (SQLite).
    With `count`, the numbers from `number` to `number + count - 1` are all taken (one
    round trip for a batch of certificates)."""
    year = now.astimezone(ZoneInfo(timezone)).year
    locked = (
        select(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .with_for_update()
    )
    counter = session.scalar(locked)
    if counter is None:
        # The year's first reference: two transactions may both find no row (PostgreSQL
        # locks rows, not their absence). The loser's insert fails; it takes the winner's.
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(prefix=prefix, year=year, last=0))
        except IntegrityError:
            pass
        counter = session.scalar(locked)
        assert counter is not None
    first = counter.last + 1
    counter.last += count
    session.flush()
    return year, first


def next_reference(session: Session, prefix: str, now: datetime, timezone: str) -> str:
    year, number = next_number(session, prefix, now, timezone)
    return f"{prefix}-{year}-{number:05d}"


def counter_values(session: Session, prefix: str) -> dict[int, int]:
    """The last number handed out, per year, for `prefix`."""
    rows = session.execute(
        select(ReferenceCounter.year, ReferenceCounter.last).where(
            ReferenceCounter.prefix == prefix
        )
    )
    return {year: last for year, last in rows}


def keep_clear_of(session: Session, prefix: str, year: int, number: int) -> None:
    """Numbers up to `number` of `prefix` and `year` are taken (imported from the old system
    in this system's own form): the counter moves past them so none is handed out twice."""
    counter = session.scalar(
        select(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .with_for_update()
    )
    if counter is None:
        session.add(ReferenceCounter(prefix=prefix, year=year, last=number))
    elif counter.last < number:
        counter.last = number
