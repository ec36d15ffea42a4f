"""Failed sign-ins and the back-off they earn (pure rules; rows written by use cases).

A failure is recorded without the password: when, and keyed hashes of the account (or of
the name typed, when it names no account) and of the client address. The same rule
applies to both keys with its own thresholds: a few free tries, then an exponential wait
between tries, then a lock for LOCK once `lock_at` failures fall within WINDOW. Counting
names that match no account the same way keeps a lock from telling which names exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
MAX_BACKOFF = timedelta(seconds=60)


class SignInFailure(Base):
    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    account_key: Mapped[str] = mapped_column(
        String(64), index=True, comment="HMAC of the account id, or of the name typed"
    )
    address_key: Mapped[str] = mapped_column(
        String(64), index=True, comment="HMAC of the client address"
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("provider_accounts.id", ondelete="CASCADE"), index=True
    )


@dataclass(frozen=True)
class Throttle:
    free: int  # failures allowed before any wait
    lock_at: int  # failures within WINDOW that lock


ACCOUNT = Throttle(free=3, lock_at=10)
ADDRESS = Throttle(free=10, lock_at=50)  # one school's proxy may carry many people


def wait_until(failures: Sequence[datetime], rule: Throttle, now: datetime) -> datetime | None:
    """When the next try may be made, or None if it may be made now.

    `failures`: the instants of failures since `now - WINDOW - LOCK` at least, oldest first.
    A lock runs LOCK from the failure that made `lock_at` within one WINDOW.
    """
    locked = [
        failures[i] + LOCK
        for i in range(rule.lock_at - 1, len(failures))
        if failures[i] - failures[i - rule.lock_at + 1] <= WINDOW
    ]
    if locked and max(locked) > now:
        return max(locked)
    recent = [at for at in failures if at > now - WINDOW]
    if len(recent) < rule.free:
        return None
    backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** (len(recent) - rule.free)))
    until = recent[-1] + backoff
    return until if until > now else None


def locks_now(failures_before: int, rule: Throttle) -> bool:
    """Whether one more failure, after `failures_before` within WINDOW, starts a lock."""
    return failures_before + 1 == rule.lock_at
