"""The review machinery every case kind shares: open a case, route it to a reviewer, email
the applicant or the reviewer, move the case through the transition table.

Every function here runs inside the caller's unit of work: the state change, its timeline
entry and the emails it causes (outbox rows) commit together or not at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from models.cases import Case, ReviewTask
from models.enums import CaseKind, CaseStatus, TaskKind, TaskStatus
from models.messages import Attachment, ReplyToken
from models.people import Person, Staff
from models.services.assignment import pick_reviewer
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.outbox import FileAttachment, enqueue
from models.services.references import next_reference
from models.services.schedule import plan_case, plan_task
from models.services.summaries import case_summary, form_rows, triage_notes
from models.services.timeline import Actor, record_action, transition
from models.services.tokens import issue_token
from models.workflow import Event

REVIEW_VERBS = {"APPROVE", "DENY", "INFO", "REASSIGN"}
PROOF_VERBS = {"ACCEPT", "REJECT", "REASSIGN"}
APPLICANT_VERBS = {"REPLY", "WITHDRAW"}


def upsert_person(ctx: ServiceContext, email: str, first: str, last: str, **extra: Any) -> Person:
    person = ctx.session.scalar(select(Person).where(Person.email == email.lower()))
    if person is None:
        person = Person(
            email=email.lower(), first_name=first, last_name=last, created_at=ctx.now, **extra
        )
        ctx.session.add(person)
    else:
        person.first_name, person.last_name = first, last
        for key, value in extra.items():
            if value:
                setattr(person, key, value)
    person.email_bounced_at = None  # they wrote to us: the address works
    return person


def new_case(
    ctx: ServiceContext,
    kind: CaseKind,
    form: Any,
    key: str,
    actor: Actor,
    applicant: Person,
    *,
    reference: str | None = None,
    submitted_at: datetime | None = None,
) -> Case:
    """A new case; an imported one keeps its old reference and submission instant."""
    submitted_at = submitted_at or ctx.now
    case = Case(
        reference=reference
        or next_reference(ctx.session, kind.prefix, ctx.now, ctx.settings.timezone),
        kind=kind,
        status=CaseStatus.SUBMITTED,
        applicant=applicant,
        form=form.model_dump(mode="json"),
        submission_key=key,
        channel=actor.channel,
        submitted_at=submitted_at,
        updated_at=ctx.now,
    )
    ctx.session.add(case)
    record_action(case, "submitted", actor, submitted_at, f"by {actor.channel.value}")
    return case


def start_review(
    ctx: ServiceContext,
    case: Case,
    actor: Actor,
    notes: str,
    *,
    since: datetime | None = None,
    acknowledge: bool = True,
) -> None:
    """Into review with a reviewer's task, its seven business days counted from now or
    `since` (an imported request's original submission). The applicant is told, unless
    `acknowledge` is False (an imported request was acknowledged long ago)."""
    years = ctx.settings.retention_years_for(case.kind)
    transition(case, Event.TRIAGE_REVIEW, actor, ctx.now, notes, retain_years=years)
    task = open_task(ctx, case, TaskKind.REVIEW, actor, since=since)
    if acknowledge:
        email_applicant(ctx, case, "acknowledgment", answer_by=task.due_at)


def move(ctx: ServiceContext, case: Case, event: Event, actor: Actor, detail: str = "") -> None:
    years = ctx.settings.retention_years_for(case.kind)
    transition(case, event, actor, ctx.now, detail, retain_years=years)
    plan_case(ctx, case)  # entering or leaving the wait for proof moves its next step


def _staff_token(ctx: ServiceContext, case: Case, task: ReviewTask) -> tuple[str, ReplyToken]:
    verbs = REVIEW_VERBS if task.kind is TaskKind.REVIEW else PROOF_VERBS
    return issue_token(
        ctx.session,
        case=case,
        task=task,
        recipient=task.assignee.email,
        allowed=verbs,
        now=ctx.now,
        ttl=timedelta(days=ctx.settings.token_ttl_days),
        secret_key=ctx.settings.current_key,
    )


def applicant_token(ctx: ServiceContext, case: Case) -> tuple[str, ReplyToken]:
    assert case.applicant is not None
    return issue_token(
        ctx.session,
        case=case,
        recipient=case.applicant.email,
        allowed=APPLICANT_VERBS,
        now=ctx.now,
        ttl=timedelta(days=ctx.settings.token_ttl_days + 120),
        secret_key=ctx.settings.current_key,
    )


def email_applicant(
    ctx: ServiceContext,
    case: Case,
    template: str,
    *,
    reply: bool = True,
    attachments: list[FileAttachment] | None = None,
    **context: Any,
) -> None:
    assert case.applicant is not None
    enqueue(
        ctx.session,
        ctx.settings,
        template=template,
        to=[case.applicant.email],
        context=case_summary(ctx, case) | {"expects_reply": reply} | context,
        now=ctx.now,
        case=case,
        token=applicant_token(ctx, case) if reply else None,
        attachments=attachments or [],
    )


def _proof_defaults(ctx: ServiceContext, case: Case) -> dict[str, Any]:
    """A proof task lists the files received (a reassigned one too)."""
    names = ctx.session.scalars(
        select(Attachment.filename).where(Attachment.case_id == case.id).order_by(Attachment.id)
    ).all()
    return {"reply_text": "", "attachment_names": list(names)}


def email_task(
    ctx: ServiceContext,
    task: ReviewTask,
    template: str | None = None,
    cc: list[str] | None = None,
    **context: Any,
) -> None:
    case = task.case
    template = template or ("review_task" if task.kind is TaskKind.REVIEW else "proof_task")
    if task.kind is TaskKind.PROOF_REVIEW:
        context = _proof_defaults(ctx, case) | context
    if template == "review_task":  # the only email that shows them
        context = {"triage_notes": triage_notes(ctx.session, case)} | context
    enqueue(
        ctx.session,
        ctx.settings,
        template=template,
        to=[task.assignee.email],
        cc=cc or [],
        context=case_summary(ctx, case)
        | {
            "expects_reply": True,
            "assignee_name": task.assignee.name,
            "due_at": task.due_at,
            "form_rows": form_rows(case),
        }
        | context,
        now=ctx.now,
        case=case,
        token=_staff_token(ctx, case, task),
    )


def open_task(
    ctx: ServiceContext,
    case: Case,
    kind: TaskKind,
    actor: Actor,
    assignee: Staff | None = None,
    since: datetime | None = None,
    **email_context: Any,
) -> ReviewTask:
    """A task for `assignee` (or the reviewer routing picks), due seven business days after
    `since` (default now), emailed to them."""
    exclude = {case.applicant.email} if case.applicant else set()
    staff = assignee or pick_reviewer(ctx.session, ctx.today, exclude)
    start = since or ctx.now
    task = ReviewTask(
        kind=kind,
        status=TaskStatus.OPEN,
        assignee=staff,
        created_at=start,
        due_at=ctx.calendar.add_business_days(start, ctx.settings.review_business_days),
        paused_seconds=0,
    )
    plan_task(ctx, task)
    case.tasks.append(task)
    staff.last_assigned_at = ctx.now
    ctx.session.flush()
    record_action(case, "assigned", actor, ctx.now, f"{kind.value} task to {staff.email}")
    email_task(ctx, task, **email_context)
    return task


def close_task(ctx: ServiceContext, task: ReviewTask, decision: str) -> None:
    task.status, task.completed_at, task.decision = TaskStatus.DONE, ctx.now, decision
    plan_task(ctx, task)


def require_task(case: Case, kind: TaskKind) -> ReviewTask:
    task = case.open_task
    if task is None or task.kind is not kind:
        raise UserError(f"{case.reference} has no open {kind.value.replace('_', ' ')} task")
    return task
