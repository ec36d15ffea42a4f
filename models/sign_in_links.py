"""Educators' single-use sign-in links: stored hashed, bound to one address, short-lived.

Pure rules plus the row. A link is good once, for 15 minutes, and only while it is the
newest link of its address (asking again voids the older ones). The rows double as the
throttle's memory: links asked per address and per client address in a window are counted
in the database, so the limit holds across processes and restarts. The client address is
kept only as an HMAC (enough to count, not to read back).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

LINK_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class Throttle:
    per_address: int = 3  # links one address may be sent in `window`
    per_client: int = 10  # links one client address may ask for in `window`
    window: timedelta = timedelta(minutes=15)


THROTTLE = Throttle()


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def client_hash(secret: str, client: str) -> str:
    return hmac.new(secret.encode(), f"sign-in-client|{client}".encode(), "sha256").hexdigest()


class SignInLink(Base):
    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 of the link")
    email: Mapped[str] = mapped_column(String(320), index=True, comment="lowercased address")
    client: Mapped[str] = mapped_column(String(64), index=True, comment="HMAC of client address")
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None] = mapped_column(comment="a newer link was sent")

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.voided_at is None and now < self.expires_at
