"""The stored next-step instants: when the sweep next has work on a task or a case.

The sweep selects `next_step_at <= now` through an index instead of working out every open
task's ladder, so the instant must always be what the calendar computes from scratch:
- whatever moves one ladder (a task opened, paused, resumed, reassigned, decided; a case
  entering or leaving the wait for proof; a step fired) stores the new instant in the same
  transaction (`plan_task`, `plan_case`);
- whatever moves many (the ladder's settings, the timezone, an office closure added or
  removed) is caught by a fingerprint of that basis, which every sweep checks first;
  `recompute_next_steps` is the one function that recomputes stored instants, for a set
  of tasks and cases or for all of them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.calendar import BusinessCalendar
from models.cases import Case, ReviewTask, ScheduleBasis
from models.deadlines import LadderPolicy, Step, next_step_at, proof_schedule
from models.enums import CaseKind, CaseStatus, TaskStatus
from models.services.context import ServiceContext
from models.settings import Settings

log = logging.getLogger(__name__)
# Bump when the rules below change, so stored instants are recomputed once after a deploy.
RULES_VERSION = 1
BATCH = 5000
STEP_COLUMNS: dict[Step, str] = {
    Step.REMINDER: "reminded_at",
    Step.ESCALATION: "escalated_at",
    Step.REASSIGNMENT: "reassigned_at",
}
_BASIS_ID = 1


class TaskLike(Protocol):
    """A task or a row of its columns: what its ladder depends on."""

    status: TaskStatus
    paused_since: datetime | None
    due_at: datetime
    reminded_at: datetime | None
    escalated_at: datetime | None
    reassigned_at: datetime | None


class CaseLike(Protocol):
    kind: CaseKind
    status: CaseStatus
    form: dict[str, Any]
    proof_reminded_at: datetime | None
    expiry_warned_at: datetime | None


def ladder_policy(settings: Settings) -> LadderPolicy:
    return LadderPolicy(
        review_days=settings.review_business_days,
        reminder_days_before=settings.reminder_business_days_before,
        reassign_days_after=settings.reassign_business_days_after,
    )


def fired_steps(task: TaskLike) -> set[Step]:
    return {step for step, column in STEP_COLUMNS.items() if getattr(task, column) is not None}


def task_instant(
    task: TaskLike, calendar: BusinessCalendar, policy: LadderPolicy
) -> datetime | None:
    """The earliest step not fired of an open task whose clock runs; None otherwise."""
    if task.status is not TaskStatus.OPEN or task.paused_since is not None:
        return None
    return next_step_at(task.due_at, fired_steps(task), calendar, policy)


def case_instant(
    case: CaseLike, calendar: BusinessCalendar, settings: Settings, now: datetime
) -> datetime | None:
    """An approved pre-approval waiting for proof: its next reminder or its expiry."""
    if case.kind is not CaseKind.PREAPPROVAL or case.status is not CaseStatus.AWAITING_PROOF:
        return None
    try:
        end = date.fromisoformat(case.form["activity"]["end_date"])
    except (KeyError, TypeError, ValueError):
        return now  # unreadable: the sweep tries it (and logs why it fails) every run
    plan = proof_schedule(
        end, calendar, settings.proof_reminder_business_days, settings.proof_expiry_days
    )
    return plan.next_at(case.proof_reminded_at is not None, case.expiry_warned_at is not None)


def plan_task(ctx: ServiceContext, task: ReviewTask) -> None:
    if task.status is not TaskStatus.OPEN or task.paused_since is not None:
        task.next_step_at = None  # (without reading the calendar: most changes are these)
        return
    task.next_step_at = task_instant(task, ctx.calendar, ladder_policy(ctx.settings))


def plan_case(ctx: ServiceContext, case: Case) -> None:
    if case.status is not CaseStatus.AWAITING_PROOF:
        case.next_step_at = None  # (without reading the calendar: most moves are these)
        return
    case.next_step_at = case_instant(case, ctx.calendar, ctx.settings, ctx.now)


def recompute_next_steps(
    ctx: ServiceContext,
    task_ids: Iterable[int] | None = None,
    case_ids: Iterable[int] | None = None,
) -> int:
    """Recompute the stored instants of these tasks and cases (None: every one) from the
    current calendar and settings, in batches; returns how many rows were looked at.

    Call it in the transaction that moves their due dates or the calendar (an office
    closure added or removed). Flushes first, so changes made in this session count.
    Recomputing every one also records the basis, so the next sweep does not redo it;
    recomputing a set leaves that to the next sweep (it notices the changed basis).
    """
    ctx.session.flush()
    calendar, policy = ctx.reread_calendar(), ladder_policy(ctx.settings)
    task_cols = (ReviewTask.id, ReviewTask.status, ReviewTask.paused_since, ReviewTask.due_at)
    task_cols += tuple(getattr(ReviewTask, c) for c in STEP_COLUMNS.values())
    case_cols = (
        Case.id, Case.kind, Case.status, Case.form, Case.proof_reminded_at, Case.expiry_warned_at
    )
    if task_ids is None:
        _clear_where(ctx.session, ReviewTask, ReviewTask.status != TaskStatus.OPEN)
        looked = _recompute(
            ctx.session,
            ReviewTask,
            select(*task_cols).where(ReviewTask.status == TaskStatus.OPEN),
            lambda row: task_instant(row, calendar, policy),
        )
    else:
        looked = _recompute_ids(
            ctx.session, ReviewTask, select(*task_cols), sorted(set(task_ids)),
            lambda row: task_instant(row, calendar, policy),
        )  # fmt: skip
    waiting = (Case.kind == CaseKind.PREAPPROVAL) & (Case.status == CaseStatus.AWAITING_PROOF)
    if case_ids is None:
        _clear_where(ctx.session, Case, ~waiting)
        looked += _recompute(
            ctx.session,
            Case,
            select(*case_cols).where(waiting),
            lambda row: case_instant(row, calendar, ctx.settings, ctx.now),
        )
    else:
        looked += _recompute_ids(
            ctx.session, Case, select(*case_cols), sorted(set(case_ids)),
            lambda row: case_instant(row, calendar, ctx.settings, ctx.now),
        )  # fmt: skip
    if task_ids is None and case_ids is None:
        _record_basis(ctx)
    return looked


def _clear_where(session: Session, entity: Any, condition: Any) -> None:
    session.execute(
        update(entity)
        .where(entity.next_step_at.is_not(None), condition)
        .values(next_step_at=None)
        .execution_options(synchronize_session=False)
    )


def _recompute(session: Session, entity: Any, query: Any, instant: Any) -> int:
    """Keyset pages by id: memory stays one batch whatever the number of rows."""
    last, looked = 0, 0
    while True:
        rows = session.execute(query.where(entity.id > last).order_by(entity.id).limit(BATCH))
        batch = rows.all()
        if not batch:
            return looked
        _store(session, entity, batch, instant)
        last, looked = batch[-1].id, looked + len(batch)


def _recompute_ids(
    session: Session, entity: Any, query: Any, ids: Sequence[int], instant: Any
) -> int:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        _store(session, entity, session.execute(query.where(entity.id.in_(chunk))).all(), instant)
    return len(ids)


def _store(session: Session, entity: Any, rows: Sequence[Any], instant: Any) -> None:
    values = [{"id": row.id, "next_step_at": instant(row)} for row in rows]
    if values:
        session.execute(update(entity), values, execution_options={"synchronize_session": False})


def basis_fingerprint(calendar: BusinessCalendar, settings: Settings) -> str:
    """Everything a stored instant depends on beyond its own row."""
    basis = {
        "rules": RULES_VERSION,
        "timezone": calendar.timezone,
        "hours": [calendar.opens.isoformat(), calendar.closes.isoformat()],
        "closures": sorted(d.isoformat() for d in calendar.closures),
        "ladder": [settings.reminder_business_days_before, settings.reassign_business_days_after],
        "proof": [settings.proof_reminder_business_days, settings.proof_expiry_days],
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def ensure_basis_current(ctx: ServiceContext) -> bool:
    """Recompute every stored instant when the basis changed since they were computed
    (or was never recorded: the first sweep after the upgrade). True when it did."""
    row = _basis(ctx)
    if row is not None and row.fingerprint == basis_fingerprint(ctx.calendar, ctx.settings):
        return False
    looked = recompute_next_steps(ctx)
    log.info("schedule: the basis changed; %d next-step instants recomputed", looked)
    return True


def _basis(ctx: ServiceContext) -> ScheduleBasis | None:
    return ctx.session.scalar(
        select(ScheduleBasis).where(ScheduleBasis.id == _BASIS_ID).with_for_update()
    )


def _record_basis(ctx: ServiceContext) -> None:
    """Every instant now agrees with the current basis: the next sweep need not redo it."""
    fingerprint = basis_fingerprint(ctx.calendar, ctx.settings)
    row = _basis(ctx)
    if row is None:
        ctx.session.add(ScheduleBasis(id=_BASIS_ID, fingerprint=fingerprint, computed_at=ctx.now))
    else:
        row.fingerprint, row.computed_at = fingerprint, ctx.now
