"""Legal holds: a held case is never purged, manually or by schedule, until released."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import Case
from models.enums import CaseStatus
from models.retention import hold_problem
from models.services.errors import Conflict, NotFound, UserError
from models.services.timeline import Actor, record


def _case(session: Session, reference: str) -> Case:
    # Locked (PostgreSQL; SQLite locks the database): a purge batch re-checks holds under
    # the same lock, so a hold placed while a purge runs either wins or comes too late.
    case = session.scalar(
        select(Case).where(Case.reference == reference.strip().upper()).with_for_update()
    )
    if case is None:
        raise NotFound(f"no case with reference {reference}")
    return case


def add_hold(session: Session, reference: str, reason: str, actor: Actor, now: datetime) -> Case:
    """Place (or re-state) a legal hold; the reason is recorded on the timeline."""
    case = _case(session, reference)
    problem = hold_problem(case.status, reason)
    if problem:
        error = Conflict if case.status is CaseStatus.PURGED else UserError
        raise error(f"cannot hold {case.reference}: {problem}")
    action = "legal_hold_changed" if case.legal_hold else "legal_hold_added"
    case.legal_hold = reason.strip()
    case.updated_at = now
    record(case, action, actor, now, case.legal_hold)
    return case


def release_hold(session: Session, reference: str, actor: Actor, now: datetime) -> Case:
    case = _case(session, reference)
    if case.legal_hold is None:
        raise Conflict(f"{case.reference} is not on legal hold")
    case.legal_hold = None
    case.updated_at = now
    record(case, "legal_hold_released", actor, now)
    return case


def held_cases(session: Session) -> list[Case]:
    return list(
        session.scalars(select(Case).where(Case.legal_hold.is_not(None)).order_by(Case.reference))
    )
