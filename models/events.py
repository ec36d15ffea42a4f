"""Activities reported by approved providers, and the attendees of their rosters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import batches as _batches  # noqa: F401  (maps issuance_batches: batch_id names it)
from models.base import Base, StrEnumType, enum_check
from models.enums import Channel
from models.people import Person
from models.providers import Provider


class EventFormat(StrEnum):
    IN_PERSON = "in_person"
    VIRTUAL = "virtual"
    HYBRID = "hybrid"
    SELF_PACED = "self_paced"  # continuously available: attendees finish on their own dates
    VIRTUAL_CONFERENCE = "virtual_conference"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# Formats whose certificates may be issued while the activity still runs: each attendee
# finishes a self-paced course on their own day.
ISSUE_DURING = frozenset({EventFormat.SELF_PACED})


class ProviderEvent(Base):
    """An activity a provider reported to OPI (ARM 10.57.216: titles, dates, locations)."""

    __tablename__ = "provider_events"
    __table_args__ = (
        enum_check("format", EventFormat),
        enum_check("channel", Channel),
        # The portal's lists (models.services.event_listing): a page walks the first index
        # in date order and stops; the count reads the second alone.
        Index("ix_provider_events_listing", "provider_id", "start_date", "id"),
        Index("ix_provider_events_sections", "provider_id", "end_date", "format"),
        UniqueConstraint("provider_id", "legacy_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date, index=True)
    end_date: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), comment="PDU hours of full attendance")
    format: Mapped[EventFormat] = mapped_column(StrEnumType(EventFormat, 24))
    locations: Mapped[list[str]] = mapped_column(JSON, comment="places, or 'online'")
    schedule: Mapped[str | None] = mapped_column(Text, comment="sessions and times, as reported")
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    reported_at: Mapped[datetime]
    reported_late: Mapped[bool] = mapped_column(comment="reported after the activity began")
    certificates_issued: Mapped[int] = mapped_column(
        Integer, default=0, comment="the count the provider must report (ARM 10.57.216)"
    )
    legal_hold: Mapped[str | None] = mapped_column(
        Text, comment="reason; blocks purging its attendees and certificates"
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(
        comment="withdrawn by the provider before any certificate (kept for the record)"
    )
    legacy_id: Mapped[str | None] = mapped_column(
        String(40), comment="the old system's event id (imported events only)"
    )

    provider: Mapped[Provider] = relationship()
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="event", order_by="Attendee.id", cascade="all, delete-orphan"
    )


class Attendee(Base):
    """One person on an event's roster: the certificate's facts, then its issuance.

    Issuance in batches: a number is reserved first (`certificate_number`, kept across
    retries so a crash never burns or reuses one), the row is claimed while its PDF is
    rendered (`claimed_at`, a lease), then `certificate_id` links the issued certificate.
    """

    __tablename__ = "attendees"
    __table_args__ = (UniqueConstraint("event_id", "license_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("provider_events.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(Integer, comment="line of the roster it came from")
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), comment="lowercased address")
    license_number: Mapped[str] = mapped_column(String(40), comment="normalised (upper case)")
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), comment="at most the event's hours")
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    certificate_number: Mapped[str | None] = mapped_column(
        String(24), unique=True, comment="reserved before rendering"
    )
    verification_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    reserved_at: Mapped[datetime | None] = mapped_column(comment="the certificate's issue instant")
    claimed_at: Mapped[datetime | None] = mapped_column(comment="a batch is rendering it (lease)")
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    failure: Mapped[str | None] = mapped_column(Text, comment="why it was not issued; staff told")
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("issuance_batches.id", ondelete="SET NULL"),
        index=True,
        comment="the portal or email upload that queued it (its progress)",
    )
    created_at: Mapped[datetime]

    event: Mapped[ProviderEvent] = relationship(back_populates="attendees")
    person: Mapped[Person | None] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class EventRevision(Base):
    """One change to a reported event: what changed (old and new values), who, when.

    The event's history (OPI: "Revising Existing Events"): nothing about an event changes
    without a row here. Holds no personal data beyond the account's username.
    """

    __tablename__ = "event_revisions"
    __table_args__ = (enum_check("channel", Channel),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("provider_events.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(24), comment="revised, cancelled")
    changes: Mapped[dict[str, list[str]]] = mapped_column(
        JSON, comment="field: [old, new], as text"
    )
    changed_by: Mapped[str] = mapped_column(String(100), comment="username, or staff via CLI")
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    changed_at: Mapped[datetime]
