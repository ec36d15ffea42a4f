"""Accounts of approved providers on OPI's provider system (one or more users each)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ProviderAccount(Base):
    __tablename__ = "provider_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(
        String(20), unique=True, comment="first initial + last name (JDoe, JDoe2)"
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    is_manager: Mapped[bool] = mapped_column(default=False)
    setup_token_hash: Mapped[str | None] = mapped_column(
        String(64), comment="one-time set-password code, stored hashed; cleared when used"
    )
    setup_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
