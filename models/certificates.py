"""Issued PDU certificates: from a pre-approval case or an approved provider's event."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import events as _events  # noqa: F401  (maps provider_events, which event_id names)
from models.base import Base, StrEnumType, enum_check
from models.enums import CertificateStatus
from models.people import Person

MAX_REASON = 2000


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (enum_check("status", CertificateStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True, comment="PDU-2026-000042")
    verification_code: Mapped[str] = mapped_column(String(40), unique=True, comment="unguessable")
    # Foreign keys that the purge deletes the parents of are indexed: without, every deleted
    # parent row makes the database scan the child table (quadratic over a large purge).
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_events.id", ondelete="SET NULL"),
        index=True,
        comment="issued in bulk from an approved provider's roster",
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    holder_name: Mapped[str] = mapped_column(String(300))
    license_number: Mapped[str | None] = mapped_column(String(40), index=True)
    activity_title: Mapped[str] = mapped_column(String(300))
    provider_name: Mapped[str | None] = mapped_column(String(300), comment="None: OPI pre-approval")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    issued_at: Mapped[datetime]
    status: Mapped[CertificateStatus] = mapped_column(StrEnumType(CertificateStatus, 16))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), comment="file under data_dir")
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime | None] = mapped_column(
        comment="brought in from the old system by `pdu import legacy` (no PDF here)"
    )
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"),
        comment="the corrected certificate that replaced this revoked one",
    )

    person: Mapped[Person | None] = relationship()
    replaced_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    def revoke(self, now: datetime, reason: str, replaced_by: Certificate | None = None) -> None:
        """Valid → revoked, with the reason and, for a correction, the replacement."""
        if self.status is not CertificateStatus.VALID:
            raise ValueError(f"certificate {self.number} is {self.status}, not valid")
        self.status = CertificateStatus.REVOKED
        self.revoked_at = now
        self.revoked_reason = reason
        self.replaced_by = replaced_by
