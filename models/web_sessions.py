"""Signed-in sessions of the portals, kept in the database (not in a signed cookie).

The browser holds a random id in a cookie; only its HMAC is stored, so a leaked table opens
no session. A session belongs to one party: a provider account or an educator's address.
Pure: the use cases in models/services/web_sessions.py decide when one starts and ends.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, enum_check


class Party(StrEnum):
    PROVIDER = "provider"
    EDUCATOR = "educator"


class WebSession(Base):
    __tablename__ = "web_sessions"
    __table_args__ = (enum_check("party", Party),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True, comment="HMAC of the cookie's random id"
    )
    party: Mapped[Party] = mapped_column(StrEnumType(Party, 16))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_accounts.id", ondelete="CASCADE"),
        index=True,
        comment="the provider account that signed in",
    )
    educator_email: Mapped[str | None] = mapped_column(
        String(320), index=True, comment="the educator's lowercased address"
    )
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"),
        comment="the provider acted for, chosen once per session",
    )
    second_factor_due: Mapped[bool] = mapped_column(
        default=False, comment="password accepted, TOTP code not yet"
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(comment="absolute end, whatever the activity")
    ended_at: Mapped[datetime | None] = mapped_column(comment="signed out or replaced")

    def is_live(self, now: datetime, idle_seconds: float) -> bool:
        return (
            self.ended_at is None
            and now < self.expires_at
            and (now - self.last_seen_at).total_seconds() < idle_seconds
        )
