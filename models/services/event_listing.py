"""A provider's events as the portal lists them: upcoming, past, self-paced, a page at a
time, each with the number of certificates issued (the count OPI requires) and those still
being issued. Two indexed queries a page, whatever the provider's history holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.events import Attendee, EventFormat, ProviderEvent
from models.services.errors import UserError
from models.services.paging import page_of

PER_PAGE = 50


class Section(StrEnum):
    UPCOMING = "upcoming"  # dated, not yet over: soonest first
    PAST = "past"  # dated and over: latest first
    SELF_PACED = "self_paced"  # continuously available: latest first

    @property
    def label(self) -> str:
        return self.value.replace("_", "-").capitalize()


@dataclass(frozen=True)
class EventRow:
    id: int
    title: str
    start_date: date
    end_date: date
    hours: Decimal
    format: EventFormat
    locations: list[str]
    issued: int
    pending: int
    reported_late: bool
    cancelled_at: datetime | None


@dataclass(frozen=True)
class EventPage:
    section: Section
    rows: list[EventRow]
    page: int
    pages: int
    total: int


def parse_section(value: str) -> Section:
    try:
        return Section(value.strip().lower().replace("-", "_"))
    except ValueError:
        raise UserError(f"no list {value!r}: upcoming, past or self_paced") from None


def _where(provider_id: int, section: Section, today: date) -> list[Any]:
    where: list[Any] = [ProviderEvent.provider_id == provider_id]
    if section is Section.SELF_PACED:
        return [*where, ProviderEvent.format == EventFormat.SELF_PACED]
    where.append(ProviderEvent.format != EventFormat.SELF_PACED)
    if section is Section.UPCOMING:
        return [*where, ProviderEvent.end_date >= today]
    return [*where, ProviderEvent.end_date < today]


def events_page(
    session: Session, provider_id: int, section: Section, today: date, page: int = 1
) -> EventPage:
    where = _where(provider_id, section, today)
    total = session.scalar(select(func.count()).select_from(ProviderEvent).where(*where)) or 0
    page, pages = page_of(total, PER_PAGE, page)
    order = (
        (ProviderEvent.start_date, ProviderEvent.id)
        if section is Section.UPCOMING
        else (ProviderEvent.start_date.desc(), ProviderEvent.id.desc())
    )
    found = session.execute(
        select(
            ProviderEvent.id,
            ProviderEvent.title,
            ProviderEvent.start_date,
            ProviderEvent.end_date,
            ProviderEvent.hours,
            ProviderEvent.format,
            ProviderEvent.locations,
            ProviderEvent.certificates_issued,
            ProviderEvent.reported_late,
            ProviderEvent.cancelled_at,
        )
        .with_hint(ProviderEvent, "INDEXED BY ix_provider_events_listing", "sqlite")
        .where(*where)
        .order_by(*order)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    ids = [r.id for r in found]
    pending: dict[int, int] = {}
    if ids:
        pending_query = (
            select(Attendee.event_id, func.count())
            .where(
                Attendee.event_id.in_(ids),
                Attendee.certificate_id.is_(None),
                Attendee.failure.is_(None),
            )
            .group_by(Attendee.event_id)
        )
        pending = {event_id: count for event_id, count in session.execute(pending_query)}
    rows = [
        EventRow(
            id=r.id,
            title=r.title,
            start_date=r.start_date,
            end_date=r.end_date,
            hours=Decimal(r.hours),
            format=r.format,
            locations=list(r.locations),
            issued=r.certificates_issued,
            pending=pending.get(r.id, 0),
            reported_late=r.reported_late,
            cancelled_at=r.cancelled_at,
        )
        for r in found
    ]
    return EventPage(section, rows, page, pages, total)
