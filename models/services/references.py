"""Human references: PA-2026-00042, PR-2026-00007, PDU-2026-000001."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import ReferenceCounter


def next_number(session: Session, prefix: str, now: datetime, timezone: str) -> tuple[int, int]:
    """(year, number): the counter row is locked (PostgreSQL) or the database is (SQLite)."""
    year = now.astimezone(ZoneInfo(timezone)).year
    counter = session.scalar(
        select(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .with_for_update()
    )
    if counter is None:
        counter = ReferenceCounter(prefix=prefix, year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return year, counter.last


def next_reference(session: Session, prefix: str, now: datetime, timezone: str) -> str:
    year, number = next_number(session, prefix, now, timezone)
    return f"{prefix}-{year}-{number:05d}"
