"""The escalation ladder of a review task: when each step is due, and which to fire now.

Pure: the sweep passes the instant, the due date, the steps already fired (it records
them itself) and the calendar. Firing "every step whose time has come and that has not
fired" is what makes the sweep safe to run late (all missed steps fire, once each, in
order) and twice (the second run finds nothing).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from models.calendar import BusinessCalendar, as_utc


class Step(StrEnum):
    """Ladder steps, declared in the order they fire."""

    REMINDER = "reminder"  # to the assignee, before due
    ESCALATION = "escalation"  # at due: supervisors copied, task overdue
    REASSIGNMENT = "reassignment"  # after due: to a supervisor, admins told


@dataclass(frozen=True)
class LadderPolicy:
    review_days: int = 7
    reminder_days_before: int = 2
    reassign_days_after: int = 2

    def __post_init__(self) -> None:
        if self.review_days < 1:
            raise ValueError(f"review_days must be at least 1, not {self.review_days}")
        if self.reminder_days_before < 0 or self.reassign_days_after < 0:
            raise ValueError("ladder offsets are business days and must not be negative")


def review_due(
    submitted_at: datetime, calendar: BusinessCalendar, policy: LadderPolicy
) -> datetime:
    """The end of the `review_days`-th business day after the day of submission."""
    return calendar.add_business_days(submitted_at, policy.review_days)


def shift_business_days(at: datetime, n: int, calendar: BusinessCalendar) -> datetime:
    """The same local time of day as `at`, n business days from at's local date.

    A due date pushed by a pause can fall mid-day; keeping its time of day keeps every
    rung exactly n business days (n x business hours) from it.
    """
    at = as_utc(at)
    if n == 0:
        return at
    day = calendar.local_date(calendar.add_business_days(at, n))
    wall = at.astimezone(calendar.tz).time()
    return datetime.combine(day, wall, tzinfo=calendar.tz).astimezone(UTC)


def schedule(
    due_at: datetime, calendar: BusinessCalendar, policy: LadderPolicy | None = None
) -> dict[Step, datetime]:
    """When each step comes due, in ladder order."""
    policy = policy or LadderPolicy()
    return {
        Step.REMINDER: shift_business_days(due_at, -policy.reminder_days_before, calendar),
        Step.ESCALATION: as_utc(due_at),
        Step.REASSIGNMENT: shift_business_days(due_at, policy.reassign_days_after, calendar),
    }


def steps_due(
    now: datetime,
    due_at: datetime,
    fired: Set[Step],
    calendar: BusinessCalendar,
    policy: LadderPolicy | None = None,
) -> list[Step]:
    """Steps whose time has come (at or before `now`) and that have not fired, in order."""
    now = as_utc(now)
    return [
        step
        for step, at in schedule(due_at, calendar, policy).items()
        if step not in fired and at <= now
    ]


def next_step_at(
    due_at: datetime,
    fired: Set[Step],
    calendar: BusinessCalendar,
    policy: LadderPolicy | None = None,
) -> datetime | None:
    """The instant the sweep next has work on this task: its earliest step not yet fired.

    `steps_due(now, ...)` is non-empty exactly when this is at or before `now`, so a sweep
    that selects `next_step_at <= now` fires what a sweep over every open task would.
    None: every step has fired.
    """
    pending = [at for step, at in schedule(due_at, calendar, policy).items() if step not in fired]
    return min(pending, default=None)


@dataclass(frozen=True)
class ProofSchedule:
    """An approved request waiting for proof: first reminder, last warning, expiry."""

    remind_at: datetime
    warn_at: datetime
    expires_at: datetime

    def next_at(self, reminded: bool, warned: bool) -> datetime:
        """The earliest step still owed (expiry is always owed while the case waits)."""
        pending = [self.expires_at]
        if not warned:
            pending.append(self.warn_at)
        if not reminded:
            pending.append(self.remind_at)
        return min(pending)


def proof_schedule(
    activity_end: date, calendar: BusinessCalendar, reminder_business_days: int, expiry_days: int
) -> ProofSchedule:
    """Reminders count from the end of the activity's last day; the last warning is a
    week before expiry, which is `expiry_days` calendar days after that end."""
    ended = calendar.end_of_business_day(activity_end)
    expires_at = ended + timedelta(days=expiry_days)
    return ProofSchedule(
        remind_at=calendar.add_business_days(ended, reminder_business_days),
        warn_at=expires_at - timedelta(days=7),
        expires_at=expires_at,
    )


def paused_due(due_at: datetime, paused: timedelta, calendar: BusinessCalendar) -> datetime:
    """The due date pushed by the business time the task waited on the applicant."""
    return calendar.add_business_time(due_at, paused)


def recomputed_due(
    created_at: datetime,
    paused: timedelta,
    calendar: BusinessCalendar,
    policy: LadderPolicy | None = None,
) -> datetime:
    """A task's due date by the rules, on `calendar`: seven business days from the day it
    was assigned, pushed by the business time it has waited on the applicant. What it would
    have been had the calendar's closures been known when the task was assigned."""
    policy = policy or LadderPolicy()
    return paused_due(review_due(created_at, calendar, policy), paused, calendar)
