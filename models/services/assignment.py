"""Routing: who gets the next task."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.cases import Case, ReviewTask
from models.enums import StaffRole, TaskStatus
from models.people import Staff
from models.services.context import ServiceContext
from models.services.outbox import enqueue


class NoStaff(RuntimeError):
    """An operator error: the office has nobody to give work to."""


def open_task_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(ReviewTask.assignee_id, func.count())
        .where(ReviewTask.status == TaskStatus.OPEN)
        .group_by(ReviewTask.assignee_id)
    )
    return {assignee: count for assignee, count in rows}


def pick_reviewer(session: Session, today: date, exclude: set[str]) -> Staff:
    """The active reviewer with the fewest open tasks, skipping anyone out of office and the
    applicant themself; ties go to whoever was assigned least recently (round robin).

    When everyone is away, the task still goes to someone (reviewers, then supervisors,
    then admins, least loaded first): out of office is a preference, and the deadline
    ladder chases the task. Only an office with no active staff at all is an error.
    """
    active = [
        s
        for s in session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id))
        if s.email not in exclude
    ]
    present = [s for s in active if not s.is_out_of_office(today)]
    candidates = []
    for pool in (present, active):
        for role in (StaffRole.REVIEWER, StaffRole.SUPERVISOR, StaffRole.ADMIN):
            candidates = [s for s in pool if s.role is role]
            if candidates:
                break
        if candidates:
            break
    if not candidates:
        raise NoStaff("no active staff member to assign: add one with `pdu staff add`")
    load = open_task_counts(session)
    never = datetime.min.replace(tzinfo=UTC)
    return min(
        candidates,
        key=lambda s: (load.get(s.id, 0), s.last_assigned_at or never, s.id),
    )


def supervisors(
    session: Session, today: date, exclude: Collection[str] = frozenset()
) -> list[Staff]:
    return [
        s
        for s in session.scalars(
            select(Staff)
            .where(Staff.active.is_(True), Staff.role == StaffRole.SUPERVISOR)
            .order_by(Staff.id)
        )
        if not s.is_out_of_office(today) and s.email not in exclude
    ]


def admins(session: Session) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .where(Staff.active.is_(True), Staff.role == StaffRole.ADMIN)
            .order_by(Staff.id)
        )
    )


def tell_admins(
    ctx: ServiceContext, template: str, context: dict[str, Any], case: Case | None = None
) -> None:
    """One email to every active admin (with none, nobody is told: not an error)."""
    to = [a.email for a in admins(ctx.session)]
    if to:
        enqueue(
            ctx.session,
            ctx.settings,
            template=template,
            to=to,
            context=context,
            now=ctx.now,
            case=case,
        )
