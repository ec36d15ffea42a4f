"""Mending a case from the command line: resend, decide as a staff member, reopen, reassign.

Each is the same use case the email channel runs, recorded as made at the command line.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from models.cases import Case, TimelineEntry
from models.certificates import Certificate
from models.enums import CaseStatus, CertificateStatus, Channel, StaffRole, TaskKind, TaskStatus
from models.services import casework, review
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.staff import active_staff
from models.services.timeline import Actor, record_action, transition
from models.services.tokens import retire_tokens
from models.workflow import Event, IllegalTransition, advance

CLI = Actor.system(Channel.CLI)


def resend(ctx: ServiceContext, case: Case) -> str:
    """The current task email (or the applicant's open question) again, with a fresh reply
    address; the old one stops working. Returns to whom it went."""
    task = case.open_task
    if case.status is CaseStatus.AWAITING_APPLICANT and case.applicant is not None:
        question = ctx.session.scalar(
            select(TimelineEntry.detail)
            .where(TimelineEntry.case_id == case.id, TimelineEntry.action == Event.REQUEST_INFO)
            .order_by(TimelineEntry.id.desc())
            .limit(1)
        )
        address = case.applicant.email
        retire_tokens(ctx.session, ctx.now, case_id=case.id, recipient=address)
        casework.email_applicant(ctx, case, "info_request", question=question or "")
        record_action(case, "resent", CLI, ctx.now, f"the question to {address}")
        return address
    if task is None or task.paused_since is not None:
        raise UserError(
            f"{case.reference} is {case.status.value.replace('_', ' ')}: "
            "no task or open question to resend"
        )
    address = task.assignee.email
    retire_tokens(ctx.session, ctx.now, task_id=task.id, recipient=address)
    casework.email_task(ctx, task)
    what = task.kind.value.replace("_", " ")
    record_action(case, "resent", CLI, ctx.now, f"the {what} task to {address}")
    return address


def decide_as(
    ctx: ServiceContext,
    case: Case,
    staff_email: str,
    verb: str,
    *,
    text: str = "",
    hours: Decimal | None = None,
) -> review.Done:
    """A decision typed at the command line on behalf of `staff_email`, who must hold the
    task (or be a supervisor or admin): nobody decides in another reviewer's name."""
    staff = active_staff(ctx.session, staff_email)
    task = case.open_task
    if task is None:
        raise UserError(f"{case.reference} is {case.status.value.replace('_', ' ')}: no open task")
    if task.assignee_id != staff.id and staff.role is StaffRole.REVIEWER:
        raise UserError(
            f"{case.reference} is with {task.assignee.email}; only they, a supervisor or an "
            "admin can decide it"
        )
    done = review.decide(ctx, case, Actor(staff.email, Channel.CLI), verb, text=text, hours=hours)
    _use_task_tokens(ctx, task.id)  # the emailed reply address now says "already decided"
    return done


def _use_task_tokens(ctx: ServiceContext, task_id: int) -> None:
    from models.messages import ReplyToken

    for token in ctx.session.scalars(
        select(ReplyToken).where(ReplyToken.task_id == task_id, ReplyToken.used_at.is_(None))
    ):
        token.used_at = ctx.now


def reopen(ctx: ServiceContext, case: Case, reason: str, *, revoke_certificate: bool) -> list[str]:
    """A decided case back to review with a new seven-business-day clock. A certificate
    issued for it is revoked with the reason, only when `revoke_certificate` says so.
    Returns the numbers of the certificates revoked."""
    from models.services.issuing import revoke

    reason = " ".join(reason.split())
    if not reason:
        raise UserError("a reopening needs a reason (--reason TEXT)")
    try:
        advance(case.kind, case.status, Event.REOPEN)
    except IllegalTransition:
        raise UserError(
            f"{case.reference} is {case.status.value.replace('_', ' ')}: only a declined, "
            "redirected, denied or approved case can be reopened"
        ) from None
    valid = list(
        ctx.session.scalars(
            select(Certificate).where(
                Certificate.case_id == case.id, Certificate.status == CertificateStatus.VALID
            )
        )
    )
    if valid and not revoke_certificate:
        numbers = ", ".join(c.number for c in valid)
        raise UserError(
            f"{case.reference} has certificate {numbers}: add --revoke-certificate to revoke "
            "it with the reason and reopen"
        )
    revoked = [revoke(ctx, c.number, reason).number for c in valid]
    for old in case.tasks:
        if old.status is TaskStatus.OPEN:  # a decided case has none; never leave two open
            old.status, old.completed_at, old.decision = TaskStatus.CANCELLED, ctx.now, "reopened"
    retire_tokens(ctx.session, ctx.now, case_id=case.id)
    transition(case, Event.REOPEN, CLI, ctx.now, reason, retain_years=0)
    case.closed_at = case.retain_until = None
    case.hours_granted = None
    case.proof_reminded_at = case.expiry_warned_at = None
    task = casework.open_task(ctx, case, TaskKind.REVIEW, CLI)
    if case.applicant is not None:
        casework.email_applicant(
            ctx,
            case,
            "case_reopened",
            reply=False,
            reason=reason,
            answer_by=task.due_at,
            certificate_number=", ".join(revoked) or None,
        )
    return revoked
