"""The approved provider directory."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, enum_check
from models.enums import ProviderKind, ProviderStatus


class Provider(Base):
    """An approved PDU provider (public directory data, not personal data)."""

    __tablename__ = "providers"
    __table_args__ = (enum_check("kind", ProviderKind), enum_check("status", ProviderStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, comment="e.g. MTP-00042")
    name: Mapped[str] = mapped_column(String(300))
    normalized_name: Mapped[str] = mapped_column(
        String(300), index=True, comment="for tolerant matching (models.triage)"
    )
    kind: Mapped[ProviderKind] = mapped_column(StrEnumType(ProviderKind, 32))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(500))
    approved_at: Mapped[datetime]
    created_at: Mapped[datetime]
    status: Mapped[ProviderStatus] = mapped_column(
        StrEnumType(ProviderStatus, 16), default=ProviderStatus.APPROVED, server_default="approved"
    )
    status_until: Mapped[date | None] = mapped_column(
        Date, comment="must reapply: the last day it may work under its old approval"
    )
    status_reason: Mapped[str | None] = mapped_column(Text, comment="why the status was set")

    def may_work(self, today: date) -> bool:
        """May report events and issue certificates (a must-reapply one until its date)."""
        if self.status is ProviderStatus.MUST_REAPPLY:
            return self.status_until is None or today <= self.status_until
        return self.status is ProviderStatus.APPROVED


class ProviderHistory(Base):
    """What happened to a provider's record and accounts, by whom (staff, portal, system)."""

    __tablename__ = "provider_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(48), comment="e.g. account_disabled")
    actor: Mapped[str] = mapped_column(
        String(320), comment="staff address, portal username, or 'system'"
    )
    detail: Mapped[str] = mapped_column(String(1000), default="")
