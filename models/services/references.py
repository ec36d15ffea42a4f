"""Human references: PA-2026-00042, PR-2026-00007, PDU-2026-000001."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import ReferenceCounter


def next_number(
    session: Session, prefix: str, now: datetime, timezone: str, count: int = 1
) -> tuple[int, int]:
    """(year, number): the counter row is locked (PostgreSQL) or the database is (SQLite).
    With `count`, the numbers from `number` to `number + count - 1` are all taken (one
    round trip for a batch of certificates)."""
    year = now.astimezone(ZoneInfo(timezone)).year
    counter = session.scalar(
        select(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .with_for_update()
    )
    if counter is None:
        counter = ReferenceCounter(prefix=prefix, year=year, last=0)
        session.add(counter)
    first = counter.last + 1
    counter.last += count
    session.flush()
    return year, first


def next_reference(session: Session, prefix: str, now: datetime, timezone: str) -> str:
    year, number = next_number(session, prefix, now, timezone)
    return f"{prefix}-{year}-{number:05d}"
