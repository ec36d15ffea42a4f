"""Issuance batches: a roster accepted from the portal or by email, issued in the background.

The row is the batch's state in the database, so its progress survives a reload of the
page or a restart of `pdu web`: queued, then running (claimed, with a heartbeat), then done.
Counts only; the attendees themselves are the event's roster (`models.events.Attendee`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, enum_check
from models.enums import Channel


class BatchStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class IssuanceBatch(Base):
    __tablename__ = "issuance_batches"
    __table_args__ = (enum_check("status", BatchStatus), enum_check("channel", Channel))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("provider_events.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id"), index=True, comment="the provider acted for (scoping)"
    )
    notify_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), comment="emailed when the batch is done"
    )
    requested_by: Mapped[str] = mapped_column(String(100), comment="username, or an address")
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    in_reply_to: Mapped[str | None] = mapped_column(
        String(998), comment="Message-ID of the roster email the result answers"
    )
    status: Mapped[BatchStatus] = mapped_column(StrEnumType(BatchStatus, 16), index=True)
    queued: Mapped[int] = mapped_column(Integer, comment="attendees accepted from the roster")
    skipped: Mapped[int] = mapped_column(Integer, comment="already on the roster or repeated")
    rejected: Mapped[int] = mapped_column(Integer, comment="invalid lines left out on request")
    issued: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None] = mapped_column(comment="last progress of its runner")
    finished_at: Mapped[datetime | None]

    @property
    def done(self) -> int:
        return self.issued + self.failed
