"""Status changes and timeline entries: the one way a case changes state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import object_session

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
    _entry(
        TimelineEntry(
            at=now,
            action=action,
            actor=actor.address,
            channel=actor.channel,
            message_id=actor.message_id,
            detail=detail,
        ),
        case,
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
    _entry(
        TimelineEntry(
            at=now,
            action=event.value,
            actor=actor.address,
            channel=actor.channel,
            message_id=actor.message_id,
            from_status=before,
            to_status=after,
            detail=detail,
        ),
        case,
    )


def _entry(entry: TimelineEntry, case: Case) -> None:
    """Added through the entry's side of the relationship: the case's timeline, when not
    loaded already, stays unloaded (appending to it would read the whole history first)."""
    entry.case = case
    session = object_session(case)
    if session is not None:  # the collection's cascade does not reach an unloaded append
        session.add(entry)
