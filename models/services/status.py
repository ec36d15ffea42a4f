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

from sqlalchemy import case, func, select

from models.cases import ReviewTask
from models.deadlines import LadderPolicy, Step, schedule
from models.enums import StaffRole, TaskKind, TaskStatus
from models.people import Staff
from models.services.context import ServiceContext
from models.services.schedule import ladder_policy

DEFAULT_WINDOW_DAYS = 30
# What the SLA needs of a decided task: columns, not entities.
_SLA_COLUMNS = (
    ReviewTask.kind,
    ReviewTask.created_at,
    ReviewTask.completed_at,
    ReviewTask.due_at,
    ReviewTask.paused_seconds,
)


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


def task_counts(ctx: ServiceContext, policy: LadderPolicy) -> dict[int, dict[str, int]]:
    """Open, waiting, overdue and due-soon tasks per assignee id, counted in SQL (memory
    flat in the number of open tasks); `pdu status` and `pdu staff list` both read it."""
    now = ctx.now
    running = ReviewTask.paused_since.is_(None)
    counts: dict[int, dict[str, int]] = {}
    for assignee_id, open_, waiting, overdue in ctx.session.execute(
        select(
            ReviewTask.assignee_id,
            func.count(),
            func.sum(case((ReviewTask.paused_since.is_not(None), 1), else_=0)),
            func.sum(case((running & (ReviewTask.due_at <= now), 1), else_=0)),
        )
        .where(ReviewTask.status == TaskStatus.OPEN)
        .group_by(ReviewTask.assignee_id)
    ):
        counts[assignee_id] = {"open": open_, "waiting": waiting or 0, "overdue": overdue or 0}
    for assignee_id in _due_soon(ctx, policy):
        tally = counts[assignee_id]
        tally["due_soon"] = tally.get("due_soon", 0) + 1
    return counts


def _queue(ctx: ServiceContext, policy: LadderPolicy) -> list[QueueRow]:
    counts = task_counts(ctx, policy)
    # Everyone who can be assigned shows, idle or not: an empty row is spare capacity.
    people: dict[int, Staff] = {
        s.id: s
        for s in ctx.session.scalars(
            select(Staff).where(
                (
                    Staff.active.is_(True)
                    & Staff.role.in_([StaffRole.REVIEWER, StaffRole.SUPERVISOR])
                )
                | Staff.id.in_(list(counts))  # inactive but still holding work
            )
        )
    }
    rows = [
        QueueRow(person.email, person.name, str(person.role), **counts.get(sid, {}))
        for sid, person in people.items()
    ]
    return sorted(rows, key=lambda r: (-r.overdue, -r.due_soon, -r.open, r.assignee))


def _due_soon(ctx: ServiceContext, policy: LadderPolicy) -> list[int]:
    """Assignees of running tasks not yet due whose reminder time has come.

    Only tasks due within the reminder window (plus a day) can qualify: a reminder n
    business days before due is at or before now only if due is at most n business days
    after today. Those few are checked exactly against the ladder.
    """
    calendar = ctx.calendar
    bound = calendar.add_business_days(ctx.now, policy.reminder_days_before) + timedelta(days=1)
    near = ctx.session.execute(
        select(ReviewTask.assignee_id, ReviewTask.due_at).where(
            ReviewTask.status == TaskStatus.OPEN,
            ReviewTask.paused_since.is_(None),
            ReviewTask.due_at > ctx.now,
            ReviewTask.due_at < bound,
        )
    )
    return [
        assignee_id
        for assignee_id, due_at in near
        if schedule(due_at, calendar, policy)[Step.REMINDER] <= ctx.now
    ]


def _sla(ctx: ServiceContext, since: datetime) -> list[SlaRow]:
    decided = ctx.session.execute(
        select(*_SLA_COLUMNS).where(
            ReviewTask.status == TaskStatus.DONE,
            ReviewTask.completed_at >= since,
            ReviewTask.completed_at <= ctx.now,
        )
    ).all()
    calendar = ctx.calendar
    # One business day of business time (8:00-17:00 by default).
    day = datetime.combine(date.min, calendar.closes) - datetime.combine(date.min, calendar.opens)

    def row(kind: str, tasks: list[Any]) -> SlaRow:
        if not tasks:
            return SlaRow(kind, 0, 0, None, None)
        on_time = sum(1 for t in tasks if t.completed_at and t.completed_at <= t.due_at)
        days = [
            max(
                calendar.business_time_between(t.created_at, t.completed_at)
                - timedelta(seconds=t.paused_seconds),
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
    policy = ladder_policy(ctx.settings)
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


# --- The SLA over time: the picture admins see (pdu status --svg, the daily artifact) ------

HISTORY_BUSINESS_DAYS = 60


@dataclass(frozen=True)
class DayPoint:
    day: date
    decided: int  # review and proof-review tasks decided that day
    on_time: int
    queue: int  # tasks open at the day's end


def sla_history(ctx: ServiceContext, business_days: int = HISTORY_BUSINESS_DAYS) -> list[DayPoint]:
    """The last `business_days` business days, oldest first, today included."""
    calendar = ctx.calendar
    days: list[date] = []
    day = ctx.today
    while len(days) < business_days:
        if calendar.is_business_day(day):
            days.append(day)
        day -= timedelta(days=1)
    days.reverse()
    start = datetime.combine(days[0], datetime.min.time(), ctx.tz)
    tasks = ctx.session.scalars(
        select(ReviewTask).where(
            (ReviewTask.completed_at.is_(None)) | (ReviewTask.completed_at >= start)
        )
    ).all()
    points = []
    for d in days:
        end = min(calendar.end_of_business_day(d), ctx.now)
        done = [t for t in tasks if t.completed_at and calendar.local_date(t.completed_at) == d]
        open_at_end = sum(
            1
            for t in tasks
            if t.created_at <= end and (t.completed_at is None or t.completed_at > end)
        )
        on_time = sum(1 for t in done if t.completed_at and t.completed_at <= t.due_at)
        points.append(DayPoint(d, len(done), on_time, open_at_end))
    return points


def sla_picture(ctx: ServiceContext) -> str:
    """The history as an SVG (templates/sla_chart.py draws it)."""
    from templates.sla_chart import sla_svg

    points = [(p.day, p.decided, p.on_time, p.queue) for p in sla_history(ctx)]
    return sla_svg(points, ctx.settings.review_business_days)
