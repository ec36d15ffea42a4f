"""Status changes and timeline entries: the one way a case changes state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.cases import Case, TimelineEntry
from models.enums import CLOSED_STATUSES, Channel
from models.retention import add_years
from models.workflow import Event, advance


@dataclass(frozen=True)
class Actor:
    """Who acted and how it reached us (recorded on every timeline entry)."""

    address: str
    channel: Channel
    message_id: str | None = None

    @classmethod
    def system(cls, channel: Channel = Channel.SYSTEM) -> Actor:
        return cls("system", channel)


def record_action(case: Case, action: str, actor: Actor, now: datetime, detail: str = "") -> None:
    case.timeline.append(
        TimelineEntry(
            at=now,
            action=action,
            actor=actor.address,
            channel=actor.channel,
            message_id=actor.message_id,
            detail=detail,
        )
    )


def transition(
    case: Case, event: Event, actor: Actor, now: datetime, detail: str = "", *, retain_years: int
) -> None:
    """Apply a transition-table move (raises IllegalTransition before changing anything)."""
    before = case.status
    after = advance(case.kind, before, event)
    case.status = after
    case.updated_at = now
    if after in CLOSED_STATUSES and case.closed_at is None:
        case.closed_at = now
        case.retain_until = add_years(now, retain_years)
    case.timeline.append(
        TimelineEntry(
            at=now,
            action=event.value,
            actor=actor.address,
            channel=actor.channel,
            message_id=actor.message_id,
            from_status=before,
            to_status=after,
            detail=detail,
        )
    )
