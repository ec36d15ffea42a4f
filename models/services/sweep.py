"""The deadline sweep: reminders, escalations, reassignments, proof reminders, expiry.

It reads only what is due: each task and waiting case stores the instant of its next step
(models/services/schedule.py), indexed, so a sweep with nothing due is one index probe
whatever the number of open tasks, and one with work costs in proportion to the work.

Each step is claimed with a compare-and-set UPDATE (`... WHERE reminded_at IS NULL`) in
the same transaction as its email, so it fires exactly once however late, often or
concurrently the sweep runs (SQLite and PostgreSQL alike). On PostgreSQL each task or case
is also locked with `SELECT ... FOR UPDATE SKIP LOCKED`: concurrent sweeps (several
workers) split the work instead of queueing behind each other's row locks, and a sweep
never acts on a task that a decision being committed is changing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from models.calendar import BusinessCalendar
from models.cases import Case, ReviewTask
from models.db import rows_changed
from models.deadlines import ProofSchedule, Step, proof_schedule, steps_due
from models.enums import CaseStatus, Channel, TaskStatus
from models.services.assignment import supervisors, tell_admins
from models.services.case_certificates import issue_reserved
from models.services.casework import email_applicant, email_task
from models.services.context import ServiceContext
from models.services.schedule import (
    STEP_COLUMNS,
    ensure_basis_current,
    fired_steps,
    ladder_policy,
    plan_case,
    plan_task,
)
from models.services.summaries import case_summary
from models.services.timeline import Actor, record_action, transition
from models.uow import UnitOfWork
from models.workflow import Event

log = logging.getLogger(__name__)
SWEEP = Actor.system(Channel.SWEEP)


@dataclass
class SweepReport:
    fired: dict[str, int] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)  # ids whose step raised (logged)

    def add(self, step: str) -> None:
        self.fired[step] = self.fired.get(step, 0) + 1


def _claim(ctx: ServiceContext, row: ReviewTask | Case, column: Any) -> bool:
    """Stamp `column` with now unless already stamped (compare-and-set): whoever stamps it
    sends the step, so two sweeps never both do."""
    model = type(row)
    won = rows_changed(
        ctx.session,
        update(model)
        .where(model.id == row.id, column.is_(None))
        .values({column.key: ctx.now})
        .execution_options(synchronize_session=False),
    )
    ctx.session.refresh(row)
    return won == 1


def _fire(ctx: ServiceContext, task: ReviewTask, step: Step) -> bool:
    if not _claim(ctx, task, getattr(ReviewTask, STEP_COLUMNS[step])):
        return False
    case = task.case
    if step is Step.REMINDER:
        email_task(ctx, task, "reminder")
        record_action(case, "reminder_sent", SWEEP, ctx.now, task.assignee.email)
    elif step is Step.ESCALATION:
        cc = [s.email for s in supervisors(ctx.session, ctx.today) if s.id != task.assignee_id]
        email_task(ctx, task, "escalation", cc=cc)
        record_action(
            case, "escalated", SWEEP, ctx.now, f"overdue; supervisors copied: {', '.join(cc)}"
        )
    else:
        _reassign_to_supervisor(ctx, task)
    return True


def _reassign_to_supervisor(ctx: ServiceContext, task: ReviewTask) -> None:
    case = task.case
    previous = task.assignee.email
    chosen = next(iter(supervisors(ctx.session, ctx.today, {previous})), None)
    if chosen is not None:
        task.assignee = chosen
        chosen.last_assigned_at = ctx.now
        email_task(ctx, task, "reassigned", previous_assignee=previous)
    notice = case_summary(ctx, case) | {
        "previous_assignee": previous,
        "due_at": task.due_at,
        "new_assignee": chosen.email if chosen else None,
        "expects_reply": False,
    }
    tell_admins(ctx, "admin_notice", notice, case)
    record_action(
        case,
        "reassigned",
        SWEEP,
        ctx.now,
        f"overdue: from {previous} to {chosen.email if chosen else 'nobody (no supervisor)'}",
    )


def _locked(query: Select[Any], id_column: Any, row_id: int) -> Select[Any]:
    """The row, locked for this transaction unless another holds it (then no row).
    PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite has no row locks and ignores it."""
    return query.where(id_column == row_id).with_for_update(skip_locked=True)


def _calendar(uow_factory: type[UnitOfWork] | Any, now: datetime) -> BusinessCalendar:
    """The calendar for this sweep, read once; first, the stored instants brought up to
    date if what they were computed from (settings, closures) changed."""
    try:
        with uow_factory() as work:
            ctx = ServiceContext.of(work, now)
            ensure_basis_current(ctx)
            work.commit()
            return ctx.calendar
    except IntegrityError:  # a concurrent sweep recorded the same basis first
        with uow_factory() as work:
            return ServiceContext.of(work, now).calendar


def _due(uow_factory: type[UnitOfWork] | Any, entity: Any, now: datetime) -> list[int]:
    """Ids whose next step is due: an index range, however many are open."""
    with uow_factory() as work:
        return list(
            work.session.scalars(
                select(entity.id).where(entity.next_step_at <= now).order_by(entity.next_step_at)
            )
        )


def sweep_tasks(
    uow_factory: type[UnitOfWork] | Any, now: datetime, calendar: BusinessCalendar | None = None
) -> SweepReport:
    """Only the tasks with a step due, one transaction each, so one bad case never
    blocks the others (it stays due and is tried again next time)."""
    report = SweepReport()
    calendar = calendar or _calendar(uow_factory, now)
    for task_id in _due(uow_factory, ReviewTask, now):
        try:
            with uow_factory() as work:
                ctx = ServiceContext(work.session, work.settings, now, calendar)
                task = work.session.scalar(_locked(select(ReviewTask), ReviewTask.id, task_id))
                # None: gone, or another sweep (or a decision) holds it right now.
                if task is None:
                    continue
                if task.status is TaskStatus.OPEN and task.paused_since is None:
                    policy = ladder_policy(ctx.settings)
                    for step in steps_due(now, task.due_at, fired_steps(task), calendar, policy):
                        if _fire(ctx, task, step):
                            report.add(step.value)
                plan_task(ctx, task)
                work.commit()
        except Exception:  # one broken case must not stop the others' deadlines
            log.exception("sweep: task %s failed; the others go on", task_id)
            report.failed.append(task_id)
    return report


def sweep_proofs(
    uow_factory: type[UnitOfWork] | Any, now: datetime, calendar: BusinessCalendar | None = None
) -> SweepReport:
    """Approved requests waiting for proof: a reminder, a last warning, then expiry."""
    report = SweepReport()
    calendar = calendar or _calendar(uow_factory, now)
    for case_id in _due(uow_factory, Case, now):
        try:
            with uow_factory() as work:
                ctx = ServiceContext(work.session, work.settings, now, calendar)
                # (no eager load: SKIP LOCKED would reach the applicant's row too)
                case = work.session.scalar(_locked(select(Case), Case.id, case_id))
                if case is None:
                    continue
                if case.status is CaseStatus.AWAITING_PROOF:
                    step = _proof_step(ctx, case)
                    if step:
                        report.add(step)
                plan_case(ctx, case)
                work.commit()
        except Exception:  # one broken case must not stop the others' reminders
            log.exception("sweep: case %s failed; the others go on", case_id)
            report.failed.append(case_id)
    return report


def proof_plan(ctx: ServiceContext, case: Case) -> ProofSchedule:
    """An approved request's proof reminders and expiry (the sweep and the educator's page)."""
    s = ctx.settings
    end = date.fromisoformat(case.form["activity"]["end_date"])
    return proof_schedule(end, ctx.calendar, s.proof_reminder_business_days, s.proof_expiry_days)


def _proof_step(ctx: ServiceContext, case: Case) -> str | None:
    s = ctx.settings
    plan = proof_plan(ctx, case)
    if ctx.now >= plan.expires_at:
        transition(
            case,
            Event.EXPIRE,
            SWEEP,
            ctx.now,
            "no proof of completion arrived",
            retain_years=s.retention_years_for(case.kind),
        )
        email_applicant(ctx, case, "expired", reply=False)
        return "expired"
    if ctx.now >= plan.warn_at and _claim(ctx, case, Case.expiry_warned_at):
        email_applicant(ctx, case, "proof_reminder", final=True, expires_at=plan.expires_at)
        record_action(case, "proof_reminder", SWEEP, ctx.now, "last reminder before expiry")
        return "proof_last_reminder"
    if ctx.now >= plan.remind_at and _claim(ctx, case, Case.proof_reminded_at):
        email_applicant(ctx, case, "proof_reminder", final=False, expires_at=plan.expires_at)
        record_action(case, "proof_reminder", SWEEP, ctx.now, "activity ended; no proof yet")
        return "proof_reminder"
    return None


def sweep(uow_factory: type[UnitOfWork] | Any, now: datetime) -> SweepReport:
    issue_reserved(uow_factory, now)  # an accepted proof's certificate a crash left undrawn
    calendar = _calendar(uow_factory, now)
    report = sweep_tasks(uow_factory, now, calendar)
    proofs = sweep_proofs(uow_factory, now, calendar)
    for step, count in proofs.fired.items():
        report.fired[step] = report.fired.get(step, 0) + count
    report.failed += proofs.failed
    return report
