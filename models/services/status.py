"""The office at a glance: the review queue per assignee and the seven-business-day SLA.

One shape for `pdu status` (terminal and JSON) and the sweep's Prefect artifacts.

- Queue: open tasks per assignee; *overdue* (due and not waiting on the applicant),
  *due soon* (in the reminder window: due within the ladder's reminder business days,
  2 by default), *waiting* (paused on the applicant: the clock is stopped).
- SLA: review and proof-review tasks decided in the window; *on time* when decided by
  the due date, which already moved by the time spent waiting on the applicant; time to
  decision in business days, waiting time excluded.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.cases import ReviewTask
from models.deadlines import LadderPolicy, Step, schedule
from models.enums import StaffRole, TaskKind, TaskStatus
from models.people import Staff
from models.services.context import ServiceContext

DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class QueueRow:
    assignee: str
    name: str
    role: str
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class SlaRow:
    kind: str  # a task kind, or "all"
    decided: int
    on_time: int
    share_on_time: float | None  # 0..1; None when nothing was decided
    median_business_days: float | None


@dataclass(frozen=True)
class OfficeStatus:
    at: datetime
    timezone: str
    promise_business_days: int
    due_soon_business_days: int
    window_days: int
    queue: list[QueueRow]
    total: QueueRow
    sla: list[SlaRow]  # one per task kind, then "all"

    @property
    def sla_all(self) -> SlaRow:
        return self.sla[-1]

    def as_dict(self) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(self.timezone)
        return {
            "at": self.at.astimezone(tz).isoformat(),
            "promise_business_days": self.promise_business_days,
            "due_soon_business_days": self.due_soon_business_days,
            "queue": [asdict(row) for row in self.queue],
            "total": {k: v for k, v in asdict(self.total).items() if k not in ("name", "role")},
            "sla": {
                "window_days": self.window_days,
                "since": (self.at - timedelta(days=self.window_days)).astimezone(tz).isoformat(),
                "by_kind": [asdict(row) for row in self.sla[:-1]],
                "all": asdict(self.sla_all),
            },
        }


def ladder_policy(ctx: ServiceContext) -> LadderPolicy:
    s = ctx.settings
    return LadderPolicy(
        review_days=s.review_business_days,
        reminder_days_before=s.reminder_business_days_before,
        reassign_days_after=s.reassign_business_days_after,
    )


def _queue(ctx: ServiceContext, policy: LadderPolicy) -> list[QueueRow]:
    tasks = ctx.session.scalars(
        select(ReviewTask)
        .where(ReviewTask.status == TaskStatus.OPEN)
        .options(selectinload(ReviewTask.assignee))
    ).all()
    # Everyone who can be assigned shows, idle or not: an empty row is spare capacity.
    people: dict[int, Staff] = {
        s.id: s
        for s in ctx.session.scalars(
            select(Staff).where(
                Staff.active.is_(True), Staff.role.in_([StaffRole.REVIEWER, StaffRole.SUPERVISOR])
            )
        )
    }
    counts: dict[int, dict[str, int]] = {sid: {} for sid in people}
    for task in tasks:
        people.setdefault(task.assignee_id, task.assignee)  # inactive but still holding work
        tally = counts.setdefault(task.assignee_id, {})
        tally["open"] = tally.get("open", 0) + 1
        for flag in task_flags(ctx, task, policy):
            tally[flag] = tally.get(flag, 0) + 1
    rows = [
        QueueRow(people[sid].email, people[sid].name, str(people[sid].role), **tally)
        for sid, tally in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r.overdue, -r.due_soon, -r.open, r.assignee))


def task_flags(ctx: ServiceContext, task: ReviewTask, policy: LadderPolicy) -> list[str]:
    if task.paused_since is not None:
        return ["waiting"]
    if task.due_at <= ctx.now:
        return ["overdue"]
    if schedule(task.due_at, ctx.calendar, policy)[Step.REMINDER] <= ctx.now:
        return ["due_soon"]
    return []


def _sla(ctx: ServiceContext, since: datetime) -> list[SlaRow]:
    decided = ctx.session.scalars(
        select(ReviewTask).where(
            ReviewTask.status == TaskStatus.DONE,
            ReviewTask.completed_at >= since,
            ReviewTask.completed_at <= ctx.now,
        )
    ).all()
    calendar = ctx.calendar
    # One business day of business time (8:00-17:00 by default).
    day = datetime.combine(date.min, calendar.closes) - datetime.combine(date.min, calendar.opens)

    def row(kind: str, tasks: list[ReviewTask]) -> SlaRow:
        if not tasks:
            return SlaRow(kind, 0, 0, None, None)
        on_time = sum(1 for t in tasks if t.completed_at and t.completed_at <= t.due_at)
        days = [
            max(
                calendar.business_time_between(t.created_at, t.completed_at) - t.paused,
                timedelta(0),
            )
            / day
            for t in tasks
            if t.completed_at
        ]
        return SlaRow(
            kind, len(tasks), on_time, on_time / len(tasks), round(statistics.median(days), 1)
        )

    by_kind = [row(k.value, [t for t in decided if t.kind is k]) for k in TaskKind]
    return [*by_kind, row("all", list(decided))]


def office_status(ctx: ServiceContext, window_days: int = DEFAULT_WINDOW_DAYS) -> OfficeStatus:
    """The queue now, and the SLA over decisions of the last `window_days` days."""
    policy = ladder_policy(ctx)
    queue = _queue(ctx, policy)
    total = QueueRow(
        "total",
        "",
        "",
        open=sum(r.open for r in queue),
        overdue=sum(r.overdue for r in queue),
        due_soon=sum(r.due_soon for r in queue),
        waiting=sum(r.waiting for r in queue),
    )
    return OfficeStatus(
        at=ctx.now,
        timezone=ctx.settings.timezone,
        promise_business_days=policy.review_days,
        due_soon_business_days=policy.reminder_days_before,
        window_days=window_days,
        queue=queue,
        total=total,
        sla=_sla(ctx, ctx.now - timedelta(days=window_days)),
    )


def queue_table(status: OfficeStatus) -> list[dict[str, Any]]:
    """The queue as rows for a table (the terminal and a Prefect table artifact)."""
    return [
        {
            "assignee": r.assignee,
            "role": r.role,
            "open": r.open,
            "overdue": r.overdue,
            "due soon": r.due_soon,
            "waiting on applicant": r.waiting,
        }
        for r in [*status.queue, status.total]
    ]


def sla_table(status: OfficeStatus, window: str) -> list[dict[str, Any]]:
    """The SLA as table rows (a Prefect table artifact), one per task kind and one for all."""
    promise = f"within {status.promise_business_days} business days"
    return [
        {
            "decisions of": window,
            "kind": r.kind.replace("_", " "),
            "decided": r.decided,
            promise: r.on_time,
            "share": "n/a" if r.share_on_time is None else f"{r.share_on_time:.0%}",
            "median business days": "n/a" if r.decided == 0 else r.median_business_days,
        }
        for r in status.sla
    ]


def sla_lines(status: OfficeStatus) -> list[str]:
    """The SLA in words, one line per task kind and one for all (terminal and Markdown)."""
    lines = []
    for r in status.sla:
        if not r.decided:
            lines.append(f"{r.kind.replace('_', ' ')}: nothing decided")
            continue
        share = f"{r.share_on_time:.0%}" if r.share_on_time is not None else "-"
        lines.append(
            f"{r.kind.replace('_', ' ')}: {r.decided} decided, {r.on_time} within "
            f"{status.promise_business_days} business days ({share}); "
            f"median {r.median_business_days:.1f} business days to decision"
        )
    return lines
