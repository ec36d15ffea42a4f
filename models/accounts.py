"""Accounts of approved providers on OPI's provider system (one or more users each).

One person (by `person_id`) may hold accounts at several providers: signed in with any of
them, they may act for each of those providers (OPI's drop-down).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
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
        String(64),
        index=True,
        comment="one-time set-password code (welcome, reset), stored hashed; kept once used "
        "so a second use can be told apart from a wrong code",
    )
    setup_expires_at: Mapped[datetime | None]
    setup_used_at: Mapped[datetime | None] = mapped_column(
        comment="when the current set-password code was used (it works once)"
    )
    created_at: Mapped[datetime]
    password_hash: Mapped[str | None] = mapped_column(
        String(200), comment="argon2id; none until the person chooses a password"
    )
    password_changed_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None] = mapped_column(
        comment="set by OPI staff: no sign-in, every session ended"
    )
    totp_secret: Mapped[str | None] = mapped_column(
        String(200),
        comment="TOTP secret sealed with AES-GCM under a key derived from the secret key "
        "(models.sealed; a legacy row holds it as plain base32); set while enrolling",
    )
    totp_enabled_at: Mapped[datetime | None] = mapped_column(
        comment="second factor required from this instant on"
    )
    totp_last_step: Mapped[int | None] = mapped_column(
        comment="the last accepted TOTP time step: a code works once"
    )
    recovery_code_hashes: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default="[]", comment="unused recovery codes, each stored hashed"
    )

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None
