"""A change of email address asked for in the provider portal, waiting for its confirmation.

The new address must prove it is read: a link (a one-time code, stored hashed) goes there,
and only once it is opened, in the session of the account that asked, does the address
change; the old address is then told. A change is good once, for `CHANGE_TTL`, and only
while it is the newest of its target (asking again voids the older ones).

Two targets: an account's own address (its person's, so all their mail follows), and the
organisation's contact address in the directory (the account manager's to change).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, enum_check

CHANGE_TTL = timedelta(hours=24)
KEEP = timedelta(days=30)  # rows older than this (used, voided or expired) are deleted
PER_DAY = 5  # changes one account may ask in a day: each emails an address it typed


class ChangeTarget(StrEnum):
    ACCOUNT = "account"  # the person holding the account
    ORGANISATION = "organisation"  # the provider's directory contact address


class EmailChange(Base):
    __tablename__ = "email_changes"
    __table_args__ = (enum_check("target", ChangeTarget),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True, comment="HMAC of the confirmation link's code"
    )
    target: Mapped[ChangeTarget] = mapped_column(StrEnumType(ChangeTarget, 16))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("provider_accounts.id"), index=True,
        comment="who asked: the link works only in their session",
    )  # fmt: skip
    new_email: Mapped[str] = mapped_column(String(320), comment="lowercased address")
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None] = mapped_column(comment="a newer change was asked")

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.voided_at is None and now < self.expires_at
