"""Legal holds: a held case, or a held provider event (its attendees and certificates),
is never purged, manually or by schedule, until released.

A hold is placed by reference: a case's (PA-2026-00042) or `event:ID` for a provider
event (`pdu provider event list` shows the ids). A case's hold is on its timeline; an
event has no timeline, its hold's reason is kept on the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import Case
from models.enums import CaseStatus
from models.events import ProviderEvent
from models.retention import hold_problem
from models.services.errors import Conflict, NotFound, UserError
from models.services.timeline import Actor, record_action

_EVENT = re.compile(r"event[:\s-]*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Hold:
    reference: str  # PA-2026-00042 or event:12
    status: str  # the case's status, or "event"
    reason: str | None


def event_reference(event_id: int) -> str:
    return f"event:{event_id}"


def _case_hold(case: Case) -> Hold:
    return Hold(case.reference, str(case.status), case.legal_hold)


def _event_hold(event: ProviderEvent) -> Hold:
    return Hold(event_reference(event.id), "event", event.legal_hold)


def _case(session: Session, reference: str) -> Case:
    # Locked (PostgreSQL; SQLite locks the database): a purge batch re-checks holds under
    # the same lock, so a hold placed while a purge runs either wins or comes too late.
    case = session.scalar(
        select(Case).where(Case.reference == reference.strip().upper()).with_for_update()
    )
    if case is None:
        raise NotFound(f"no case with reference {reference}")
    return case


def _event(session: Session, reference: str) -> ProviderEvent | None:
    """The event `reference` names (`event:12`), locked as a case is; None when it names
    no event (a case reference)."""
    found = _EVENT.fullmatch(reference.strip())
    if found is None:
        return None
    event = session.scalar(
        select(ProviderEvent).where(ProviderEvent.id == int(found.group(1))).with_for_update()
    )
    if event is None:
        raise NotFound(f"no provider event {found.group(1)}")
    return event


def add_hold(session: Session, reference: str, reason: str, actor: Actor, now: datetime) -> Hold:
    """Place (or re-state) a legal hold; a case's reason is recorded on its timeline."""
    event = _event(session, reference)
    if event is not None:
        problem = hold_problem(None, reason)
        if problem:
            raise UserError(f"cannot hold {event_reference(event.id)}: {problem}")
        event.legal_hold = reason.strip()
        return _event_hold(event)
    case = _case(session, reference)
    problem = hold_problem(case.status, reason)
    if problem:
        error = Conflict if case.status is CaseStatus.PURGED else UserError
        raise error(f"cannot hold {case.reference}: {problem}")
    action = "legal_hold_changed" if case.legal_hold else "legal_hold_added"
    case.legal_hold = reason.strip()
    case.updated_at = now
    record_action(case, action, actor, now, case.legal_hold)
    return _case_hold(case)


def release_hold(session: Session, reference: str, actor: Actor, now: datetime) -> Hold:
    event = _event(session, reference)
    if event is not None:
        if event.legal_hold is None:
            raise Conflict(f"{event_reference(event.id)} is not on legal hold")
        event.legal_hold = None
        return _event_hold(event)
    case = _case(session, reference)
    if case.legal_hold is None:
        raise Conflict(f"{case.reference} is not on legal hold")
    case.legal_hold = None
    case.updated_at = now
    record_action(case, "legal_hold_released", actor, now)
    return _case_hold(case)


def held(session: Session) -> list[Hold]:
    """Every hold: cases by reference, then events by id."""
    cases = session.scalars(
        select(Case).where(Case.legal_hold.is_not(None)).order_by(Case.reference)
    )
    events = session.scalars(
        select(ProviderEvent)
        .where(ProviderEvent.legal_hold.is_not(None))
        .order_by(ProviderEvent.id)
    )
    return [_case_hold(c) for c in cases] + [_event_hold(e) for e in events]
