"""The one clock. Nothing else reads the wall clock: `PDU_NOW` replaces it everywhere.

`PDU_NOW` is an ISO 8601 instant (`2026-11-20T09:00:00-07:00`); a naive value is read
as UTC. It is read on every call so simulations and tests can move time forward.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

ENV = "PDU_NOW"


class ClockError(ValueError):
    """PDU_NOW is set but is not an ISO 8601 instant."""


def parse_instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClockError(f"{ENV}={text!r} is not an ISO 8601 instant") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    override = os.environ.get(ENV)
    if override:
        return parse_instant(override)
    return datetime.now(UTC)
