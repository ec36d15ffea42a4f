"""Review decisions: staff decide a task (APPROVE, DENY, INFO, REASSIGN, ACCEPT, REJECT) and
the applicant answers or withdraws. What approval does per kind is in `models.services.kinds`.

Every function here runs inside the caller's unit of work: the state change, its timeline
entry and the emails it causes (outbox rows) commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from models.cases import Case, ReviewTask
from models.enums import CaseKind, CaseStatus, TaskKind, TaskStatus
from models.services import case_certificates
from models.services.casework import (
    close_task,
    email_applicant,
    email_task,
    move,
    open_task,
    require_task,
)
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.kinds import KINDS
from models.services.schedule import plan_task
from models.services.staff import find_staff
from models.services.timeline import Actor, record_action
from models.workflow import Event
from templates.hours import hours_text

DECISION_VERBS = {"APPROVE", "DENY", "INFO", "ACCEPT", "REJECT", "REASSIGN"}
ACCEPTED = "accept"  # Done.action of ACCEPT: its certificate is issued after the commit


@dataclass(frozen=True)
class Done:
    """What a command did, in words for the timeline and the command's outcome."""

    action: str
    detail: str = ""


# --- staff decisions --------------------------------------------------------------------


def approve(ctx: ServiceContext, case: Case, actor: Actor, hours: Decimal | None) -> Done:
    task = require_task(case, TaskKind.REVIEW)
    requested = case.hours_requested
    granted = requested if hours is None else hours
    if case.kind is CaseKind.PREAPPROVAL:
        if granted is None or granted <= 0:
            raise UserError("APPROVE needs a number of hours, e.g. APPROVE 6")
        if requested is not None and granted > requested:
            raise UserError(
                f"APPROVE {hours_text(granted)} is more than the "
                f"{hours_text(requested)} hours requested; "
                "approve the same or fewer"
            )
    detail = (
        f"{hours_text(granted)} of {hours_text(requested)} hours"
        if granted is not None and requested
        else ""
    )
    move(ctx, case, Event.APPROVE, actor, detail)
    close_task(ctx, task, "approved")
    case.hours_granted = granted
    KINDS[case.kind].on_approved(ctx, case, actor)
    return Done("approve", detail)


def deny(ctx: ServiceContext, case: Case, actor: Actor, reason: str) -> Done:
    task = require_task(case, TaskKind.REVIEW)
    move(ctx, case, Event.DENY, actor, reason)
    close_task(ctx, task, "denied")
    email_applicant(ctx, case, "decision_denied", reply=False, reason=reason)
    return Done("deny", reason)


def request_info(ctx: ServiceContext, case: Case, actor: Actor, question: str) -> Done:
    task = require_task(case, TaskKind.REVIEW)
    move(ctx, case, Event.REQUEST_INFO, actor, question)
    task.paused_since = ctx.now  # the clock stops until the applicant answers
    plan_task(ctx, task)
    email_applicant(ctx, case, "info_request", question=question)
    return Done("info", question)


def reassign(ctx: ServiceContext, case: Case, actor: Actor, email: str) -> Done:
    task = case.open_task
    if task is None:
        raise UserError(f"{case.reference} has no open task to reassign")
    staff = find_staff(ctx.session, email)
    if not staff.active:
        raise UserError(f"{staff.email} is not active")
    if case.applicant and staff.email == case.applicant.email:
        raise UserError("a task cannot go to the applicant themself")
    previous = task.assignee.email
    if staff.email == previous:
        raise UserError(f"{case.reference} is already with {previous}")
    task.assignee = staff
    staff.last_assigned_at = ctx.now
    plan_task(ctx, task)  # the ladder runs on; stored again so a reassignment never loses it
    record_action(case, "reassigned", actor, ctx.now, f"from {previous} to {staff.email}")
    email_task(ctx, task)
    return Done("reassign", staff.email)


def accept_proof(ctx: ServiceContext, case: Case, actor: Actor) -> Done:
    """The case completes and its certificate is reserved; it is drawn, recorded and sent
    once this transaction commits (`case_certificates.issue_reserved`)."""
    task = require_task(case, TaskKind.PROOF_REVIEW)
    move(ctx, case, Event.ACCEPT_PROOF, actor)
    close_task(ctx, task, "accepted")
    return Done(ACCEPTED, case_certificates.reserve(ctx, case))


def reject_proof(ctx: ServiceContext, case: Case, actor: Actor, reason: str) -> Done:
    task = require_task(case, TaskKind.PROOF_REVIEW)
    move(ctx, case, Event.REJECT_PROOF, actor, reason)
    close_task(ctx, task, "rejected")
    email_applicant(ctx, case, "proof_rejected", reason=reason)
    return Done("reject", reason)


def decide(
    ctx: ServiceContext,
    case: Case,
    actor: Actor,
    verb: str,
    *,
    text: str = "",
    hours: Decimal | None = None,
) -> Done:
    """A staff decision, whichever way it arrived (email command or `pdu case decide`).
    `text` is the reason, question or new assignee's address the verb needs."""
    from models.workflow import IllegalTransition

    decisions = {
        "APPROVE": lambda: approve(ctx, case, actor, hours),
        "DENY": lambda: deny(ctx, case, actor, text),
        "INFO": lambda: request_info(ctx, case, actor, text),
        "REASSIGN": lambda: reassign(ctx, case, actor, text),
        "ACCEPT": lambda: accept_proof(ctx, case, actor),
        "REJECT": lambda: reject_proof(ctx, case, actor, text),
    }
    if verb not in decisions:
        raise UserError(f"unknown decision {verb!r}: one of {', '.join(decisions)}")
    try:
        return decisions[verb]()
    except IllegalTransition as exc:  # e.g. APPROVE while waiting on the applicant
        raise UserError(f"{case.reference}: {exc}") from None


# --- the applicant's side ---------------------------------------------------------------


def applicant_replied(
    ctx: ServiceContext, case: Case, actor: Actor, text: str, attachment_names: list[str]
) -> Done:
    """An answer to INFO (resumes the clock) or proof of completion (opens verification)."""
    if case.status is CaseStatus.AWAITING_APPLICANT:
        task = require_task(case, TaskKind.REVIEW)
        move(ctx, case, Event.APPLICANT_REPLIED, actor, _excerpt(text))
        _resume(ctx, task)
        email_task(
            ctx, task, "applicant_reply_forward", reply_text=text, attachment_names=attachment_names
        )
        return Done("reply", "answer forwarded to the reviewer")
    if case.status is CaseStatus.AWAITING_PROOF:
        if not attachment_names:
            raise UserError(
                "proof of completion must be attached (a certificate of attendance, agenda or "
                "sign-in sheet as PDF, JPEG or PNG)"
            )
        move(ctx, case, Event.PROOF_RECEIVED, actor, ", ".join(attachment_names))
        ctx.session.flush()  # the attachments, for the task email's list
        open_task(ctx, case, TaskKind.PROOF_REVIEW, Actor.system(actor.channel), reply_text=text)
        return Done("proof", ", ".join(attachment_names))
    raise UserError(
        f"{case.reference} is {case.status.value.replace('_', ' ')}: "
        "nothing is waiting for your reply"
    )


def withdraw(ctx: ServiceContext, case: Case, actor: Actor) -> Done:
    move(ctx, case, Event.WITHDRAW, actor)
    for task in case.tasks:
        if task.status is TaskStatus.OPEN:
            task.status, task.completed_at, task.decision = (
                TaskStatus.CANCELLED,
                ctx.now,
                "withdrawn",
            )
            plan_task(ctx, task)
    email_applicant(ctx, case, "withdrawn", reply=False)
    return Done("withdraw")


def _resume(ctx: ServiceContext, task: ReviewTask) -> None:
    if task.paused_since is None:
        return
    paused = ctx.calendar.business_time_between(task.paused_since, ctx.now)
    task.due_at = ctx.calendar.add_business_time(task.due_at, paused)
    task.paused_seconds += int(paused.total_seconds())
    task.paused_since = None
    plan_task(ctx, task)


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
