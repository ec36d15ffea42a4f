"""Office closures (a snow day, an office move): added, listed, removed; and the one place
where open tasks' due dates are recomputed when the calendar changes.

A closure counts like a legal holiday: a task open across it is due one business day
later, and its reminder and escalation move with the due date (the ladder is computed from
it). Removing the closure moves them back. Steps that already fired stay fired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from models.cases import ReviewTask
from models.deadlines import recomputed_due
from models.enums import TaskStatus
from models.people import OfficeClosure
from models.services.context import ServiceContext
from models.services.errors import Conflict, NotFound, UserError
from models.services.schedule import ladder_policy, recompute_next_steps
from models.services.timeline import Actor, record_action

MAX_CLOSURE_DAYS = 31
MAX_REASON = 200


@dataclass(frozen=True)
class Moved:
    reference: str
    task_id: int
    before: datetime
    after: datetime


@dataclass
class ClosureReport:
    days: list[date] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)


def _days(first: date, last: date | None) -> list[date]:
    last = last or first
    if last < first:
        raise UserError(f"--to {last.isoformat()} is before {first.isoformat()}")
    count = (last - first).days + 1
    if count > MAX_CLOSURE_DAYS:
        raise UserError(f"a closure is at most {MAX_CLOSURE_DAYS} days; add longer ones in parts")
    return [first + timedelta(days=n) for n in range(count)]


def add_closure(
    ctx: ServiceContext, first: date, last: date | None, reason: str, actor: Actor
) -> ClosureReport:
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("a closure needs a reason (--reason TEXT)")
    if len(reason) > MAX_REASON:
        raise UserError(f"the reason is longer than {MAX_REASON} characters")
    days = _days(first, last)
    existing = set(
        ctx.session.scalars(select(OfficeClosure.day).where(OfficeClosure.day.in_(days)))
    )
    new = [d for d in days if d not in existing]
    if not new:
        raise Conflict(f"the office is already closed on {_span(days)}")
    for day in new:
        ctx.session.add(OfficeClosure(day=day, reason=reason))
    ctx.session.flush()
    moved = reschedule_open_tasks(ctx, actor, f"office closed {_span(new)} ({reason})")
    return ClosureReport(new, moved)


def remove_closure(
    ctx: ServiceContext, first: date, last: date | None, actor: Actor
) -> ClosureReport:
    days = _days(first, last)
    rows = list(ctx.session.scalars(select(OfficeClosure).where(OfficeClosure.day.in_(days))))
    if not rows:
        raise NotFound(f"no office closure on {_span(days)}")
    removed = sorted(row.day for row in rows)
    for row in rows:
        ctx.session.delete(row)
    ctx.session.flush()
    moved = reschedule_open_tasks(ctx, actor, f"closure of {_span(removed)} removed")
    return ClosureReport(removed, moved)


def list_closures(ctx: ServiceContext, since: date | None = None) -> list[OfficeClosure]:
    query = select(OfficeClosure).order_by(OfficeClosure.day)
    if since is not None:
        query = query.where(OfficeClosure.day >= since)
    return list(ctx.session.scalars(query))


def reschedule_open_tasks(ctx: ServiceContext, actor: Actor, why: str) -> list[Moved]:
    """THE recomputation of open tasks' due dates after the office calendar changed.

    Every open task's due date is worked out again from the day it was assigned and the
    time it waited on the applicant, on today's calendar; a task whose date changes gets
    one timeline entry. Its reminder, escalation and reassignment instants follow from the
    due date (models.deadlines.schedule), so they move with it. Idempotent: running it
    again on the same calendar moves nothing.
    """
    calendar, policy = ctx.reread_calendar(), ladder_policy(ctx.settings)
    moved = []
    tasks = ctx.session.scalars(
        select(ReviewTask).where(ReviewTask.status == TaskStatus.OPEN).order_by(ReviewTask.id)
    )
    for task in tasks:
        after = recomputed_due(task.created_at, task.paused, calendar, policy)
        if after == task.due_at:
            continue
        before, task.due_at = task.due_at, after
        moved.append(Moved(task.case.reference, task.id, before, after))
        record_action(
            task.case,
            "due_moved",
            actor,
            ctx.now,
            f"due {_local(ctx, before)} -> {_local(ctx, after)}: {why}",
        )
    # Every stored next-step instant follows the new calendar (proof reminders too), and
    # the calendar's fingerprint is recorded, so the next sweep need not redo it.
    recompute_next_steps(ctx)
    return moved


def _local(ctx: ServiceContext, at: datetime) -> str:
    return at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")


def _span(days: list[date]) -> str:
    first, last = min(days), max(days)
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
