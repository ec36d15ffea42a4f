"""The Learning Opportunities Portal's listings: what OPI approved to share, as shown.

An approved opportunity request (an OP- case) becomes a listing. A listing is keyed by its
provider and its title, so a revised request for the same activity, once approved, replaces
the listing in place (same id, same iCalendar UID, the next SEQUENCE) rather than adding a
second one. Staff may withdraw a listing; it disappears from the portal at once.

The columns copy the approved form so that the portal reads one indexed table (10,000
listings answer in milliseconds) instead of parsing every case's form on each request.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.providers import Provider

FORMATS = ("in_person", "virtual", "hybrid", "self_paced")


def listing_key(provider_id: int, title: str) -> str:
    """The same activity of the same provider is one listing, however its title is spaced
    or capitalised."""
    canonical = f"{provider_id}|{' '.join(title.split()).casefold()}"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40]


def search_text(*parts: str | None) -> str:
    """What a search by words looks in, folded once when stored."""
    return " ".join(" ".join(p.split()) for p in parts if p).casefold()


def last_day(start: date | None, end: date | None) -> date | None:
    """The day after which a dated listing has ended (None: self-paced or on request)."""
    return end or start


class Opportunity(Base):
    """One activity on the Learning Opportunities Portal (public data only)."""

    __tablename__ = "opportunities"
    # The calendar is read in this index's order (a page stops after 50 rows) and counted
    # from it alone (it holds every column the count reads); the catalog in title order.
    __table_args__ = (
        Index("ix_opportunities_calendar", "start_date", "last_day", "withdrawn_at"),
        Index("ix_opportunities_catalog", "title"),
        # answers the portal's counts (calendar: last day not past; catalog: no last day)
        # from the index alone
        Index("ix_opportunities_open", "last_day", "withdrawn_at", "provider_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(
        String(40), unique=True, comment="provider and folded title: a revision replaces"
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), comment="the approval now in force"
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    audience: Mapped[str | None] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date | None] = mapped_column(Date, comment="None: the catalog")
    end_date: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(
        Date, comment="end date, or start date: listed until this day has passed"
    )
    location: Mapped[str | None] = mapped_column(String(300), comment="None: online")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    cost: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str] = mapped_column(String(200), comment="public registration contact")
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    search: Mapped[str] = mapped_column(Text, comment="folded words for the portal's search")
    sequence: Mapped[int] = mapped_column(Integer, default=0, comment="iCalendar SEQUENCE")
    listed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    provider: Mapped[Provider] = relationship()

    @property
    def listing(self) -> str:
        """The calendar (dated) or the catalog (self-paced, or by contract with the provider)."""
        return "calendar" if self.start_date is not None else "catalog"

    @property
    def uid(self) -> str:
        """Stable across revisions, so a subscribed calendar replaces the event."""
        return f"opportunity-{self.key[:24]}@pdu.opi.mt.gov"
