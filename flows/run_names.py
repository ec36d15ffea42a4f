"""Flow run names that say what a run did (`poll-2026-11-22T09:14`), from the injected clock."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from models import clock
from models.settings import get_settings


def stamped(prefix: str) -> Callable[[], str]:
    def name() -> str:
        local = clock.now().astimezone(ZoneInfo(get_settings().timezone))
        return f"{prefix}-{local:%Y-%m-%dT%H:%M}"

    return name
