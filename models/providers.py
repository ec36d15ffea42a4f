"""The approved provider directory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, enum_check
from models.enums import ProviderKind


class Provider(Base):
    """An approved PDU provider (public directory data, not personal data)."""

    __tablename__ = "providers"
    __table_args__ = (enum_check("kind", ProviderKind),)

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
