"""Staff away, back and leaving: their open work goes to someone who is there.

Away (`pdu staff away`, an `AWAY UNTIL` email, or an out-of-office reply to one of our task
emails): tasks due before they return go to their delegate, else their supervisor, else
another present supervisor; the supervisor is told once. Deactivation hands every open task
on at once, and the address can no longer act by email.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from models.cases import ReviewTask
from models.enums import TaskStatus
from models.people import Staff
from models.services.assignment import NoStaff, pick_reviewer, supervisors
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.handover import hand_over
from models.services.outbox import enqueue
from models.services.timeline import Actor
from models.services.tokens import retire_tokens


@dataclass
class Handed:
    """What an absence or departure did: tasks moved (reference, new assignee)."""

    staff: str
    until: date | None = None
    moved: list[tuple[str, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # references nobody could take
    supervisor_told: str | None = None
    changed: bool = True


def open_tasks_of(ctx: ServiceContext, staff: Staff) -> list[ReviewTask]:
    return list(
        ctx.session.scalars(
            select(ReviewTask)
            .where(ReviewTask.assignee_id == staff.id, ReviewTask.status == TaskStatus.OPEN)
            .order_by(ReviewTask.due_at, ReviewTask.id)
        )
    )


def _present(ctx: ServiceContext, staff: Staff | None, away: Staff) -> Staff | None:
    if staff is None or staff.id == away.id or not staff.active:
        return None
    return None if staff.is_out_of_office(ctx.today) else staff


def cover_for(ctx: ServiceContext, away: Staff) -> Staff | None:
    """Who takes an absent person's tasks: delegate, supervisor, then any present supervisor."""
    return (
        _present(ctx, away.delegate, away)
        or _present(ctx, away.supervisor, away)
        or next(iter(supervisors(ctx.session, ctx.today, {away.email})), None)
    )


def _supervisor_of(ctx: ServiceContext, staff: Staff) -> Staff | None:
    if staff.supervisor is not None and staff.supervisor.active:
        return staff.supervisor
    return next(iter(supervisors(ctx.session, ctx.today, {staff.email})), None)


def mark_away(
    ctx: ServiceContext,
    staff: Staff,
    until: date,
    actor: Actor,
    *,
    how: str,
    delegate: Staff | None = None,
) -> Handed:
    """Record `staff` away from today through `until` (inclusive) and hand over what falls
    due before they return. Already recorded away through `until` or later: nothing
    changes and nobody is told again (an auto-reply answers every task email)."""
    if not staff.active:
        raise UserError(f"{staff.email} is deactivated")
    if until < ctx.today:
        raise UserError(f"{until.isoformat()} is in the past: give the last day away")
    if delegate is not None:
        if delegate.id == staff.id:
            raise UserError("nobody can be their own delegate")
        if not delegate.active:
            raise UserError(f"{delegate.email} (the delegate) is deactivated")
    already = staff.is_out_of_office(ctx.today) and (
        staff.out_of_office_until is None or staff.out_of_office_until >= until
    )
    if already and (delegate is None or delegate.id == staff.delegate_id):
        return Handed(staff.email, staff.out_of_office_until, changed=False)
    if not staff.is_out_of_office(ctx.today):
        staff.out_of_office_from = ctx.today
    staff.out_of_office_until = until
    if delegate is not None:
        staff.delegate = delegate
    report = Handed(staff.email, until)
    cover = cover_for(ctx, staff)
    why = f"{staff.email} is away until {until.isoformat()}"
    for task in open_tasks_of(ctx, staff):
        if ctx.calendar.local_date(task.due_at) > until:
            continue  # due after they are back: it waits for them
        if cover is None:
            report.kept.append(task.case.reference)
            continue
        hand_over(ctx, task, cover, actor, why)
        report.moved.append((task.case.reference, cover.email))
    boss = _supervisor_of(ctx, staff)
    if boss is not None:
        enqueue(
            ctx.session,
            ctx.settings,
            template="staff_away",
            to=[boss.email],
            now=ctx.now,
            context={
                "supervisor_name": boss.name,
                "staff_name": staff.name,
                "staff_email": staff.email,
                "until": until,
                "how": how,
                "moved": report.moved,
                "expects_reply": False,
            },
        )
        report.supervisor_told = boss.email
    return report


def mark_back(staff: Staff) -> Handed:
    """At work again: new tasks can come to them (tasks handed over stay where they went)."""
    changed = staff.out_of_office_from is not None or staff.out_of_office_until is not None
    staff.out_of_office_from = staff.out_of_office_until = None
    staff.delegate = None
    return Handed(staff.email, changed=changed)


def deactivate(
    ctx: ServiceContext, staff: Staff, actor: Actor, successor: Staff | None = None
) -> Handed:
    """Leaving the office: every open task goes to `successor`, or is routed like a new task
    (the least loaded present reviewer); their reply addresses stop working at once."""
    if not staff.active:
        raise UserError(f"{staff.email} is already deactivated")
    if successor is not None:
        if successor.id == staff.id:
            raise UserError("--to must be someone else")
        if not successor.active:
            raise UserError(f"{successor.email} (--to) is deactivated")
    staff.active = False
    staff.out_of_office_from = staff.out_of_office_until = None
    staff.delegate = None
    report = Handed(staff.email)
    why = f"{staff.email} has left the office"
    for task in open_tasks_of(ctx, staff):
        to = successor
        if to is None:
            applicant = task.case.applicant
            exclude = {staff.email} | ({applicant.email} if applicant else set())
            try:
                to = pick_reviewer(ctx.session, ctx.today, exclude)
            except NoStaff:
                raise UserError(
                    f"nobody else is active to take {staff.email}'s tasks: add or activate "
                    "someone first"
                ) from None
        hand_over(ctx, task, to, actor, why)
        report.moved.append((task.case.reference, to.email))
    retire_tokens(ctx.session, ctx.now, recipient=staff.email)  # CONFIRM and any others
    return report


def away_from_auto_reply(ctx: ServiceContext, staff: Staff, text: str, actor: Actor) -> Handed:
    """An out-of-office reply to one of our task emails: away until the date it states
    (when it states one that is not past), else for two business days."""
    from mailbox.out_of_office import stated_return

    until = stated_return(text, ctx.today)
    if until is None or until < ctx.today:
        until = ctx.calendar.local_date(ctx.calendar.add_business_days(ctx.now, 2))
    return mark_away(ctx, staff, until, actor, how="their out-of-office reply")


def away_by_email(ctx: ServiceContext, staff: Staff, until: date | None, actor: Actor) -> Handed:
    """`AWAY UNTIL date` or `BACK` written to the office address; the sender is told what
    was recorded, so a forged message reaches the eyes of the person it names."""
    if until is None:
        report = mark_back(staff)
    else:
        report = mark_away(ctx, staff, until, actor, how="their AWAY email")
    enqueue(
        ctx.session,
        ctx.settings,
        template="away_recorded",
        to=[staff.email],
        now=ctx.now,
        context={
            "staff_name": staff.name,
            "until": until,
            "moved": len(report.moved),
            "expects_reply": False,
        },
    )
    return report
