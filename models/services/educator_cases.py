"""An educator's own requests on the web: what they see, and what they may do.

Every function takes the signed-in address and finds cases only among those where it is the
applicant: another person's reference answers exactly as a missing one (NotFound). What is
shown is the applicant's side only: the status in plain words, when the next step is due,
and the timeline entries they were told about by email (never reviewers' notes, names or
addresses). Answering a question and sending proof go through `review.applicant_replied`,
the very use case a reply by email reaches, after the same checks on the files
(`mailbox.attachments.vet`: type by content, size caps, safe names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from mailbox.attachments import (
    JPEG,
    PDF,
    PNG,
    TOO_LARGE,
    TOTAL_TOO_LARGE,
    Candidate,
    vet,
)
from mailbox.attachments import Attachment as Vetted

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from models.cases import Case
from models.enums import CaseKind, CaseStatus, Channel, TaskStatus
from models.people import Person
from models.services import review
from models.services.attachments import forget_unkept, save_vetted
from models.services.context import ServiceContext
from models.services.errors import NotFound, UserError
from models.services.sweep import proof_plan
from models.services.timeline import Actor
from models.workflow import Event, allowed_events

PROOF_TYPES = frozenset({PDF, JPEG, PNG})
MAX_ANSWER = 10_000

STATUS_WORDS = {
    CaseStatus.SUBMITTED: "Received",
    CaseStatus.IN_REVIEW: "Being reviewed by OPI",
    CaseStatus.AWAITING_APPLICANT: "Waiting for your answer",
    CaseStatus.AWAITING_PROOF: "Approved: waiting for your proof of completion",
    CaseStatus.PROOF_REVIEW: "Proof received: being checked by OPI",
    CaseStatus.COMPLETED: "Completed",
    CaseStatus.DECLINED: "Declined",
    CaseStatus.REDIRECTED: "Sent elsewhere: OPI's approval is not needed",
    CaseStatus.DENIED: "Denied",
    CaseStatus.EXPIRED: "Expired: no proof of completion arrived",
    CaseStatus.WITHDRAWN: "Withdrawn",
}
KIND_WORDS = {
    CaseKind.PREAPPROVAL: "Pre-approval request",
    CaseKind.PROVIDER: "Provider registration",
    CaseKind.ACCOUNT_REQUEST: "Provider account request",
    CaseKind.OPPORTUNITY: "Opportunity to share",
}
# The timeline entries the applicant sees: what they were told by email, in their words.
# True: the entry's detail is theirs to read (their own answer, the question or reason
# they were sent). Anything not listed (assignment, reminders to staff, escalation,
# reassignment, triage notes, legal holds) stays internal.
APPLICANT_TIMELINE = {
    "submitted": ("We received your request", False),
    "triage_review": ("Sent to a reviewer at OPI", False),
    "triage_decline": ("Declined: our email explains why", False),
    "triage_redirect": ("Sent elsewhere: our email names whom to ask", False),
    "request_info": ("OPI asked you a question", True),
    "applicant_replied": ("You answered", True),
    "approve": ("Approved", True),
    "deny": ("Denied", True),
    "proof_received": ("Proof of completion received", True),
    "accept_proof": ("Proof of completion accepted", False),
    "reject_proof": ("Proof of completion not accepted", True),
    "certificate_issued": ("Certificate issued", True),
    "proof_reminder": ("We reminded you to send proof of completion", False),
    "expire": ("Expired: no proof of completion arrived", False),
    "withdraw": ("Withdrawn at your request", False),
    "opportunity_shared": ("Listed on the Learning Opportunities Portal", True),
    "opportunity_withdrawn": ("Taken off the Learning Opportunities Portal", False),
}


@dataclass(frozen=True)
class Step:
    at: datetime
    what: str
    detail: str


@dataclass(frozen=True)
class MyCase:
    """One request as its applicant sees it."""

    reference: str
    kind: str
    title: str
    status: str  # in plain words
    submitted_at: datetime
    next_step: str  # what happens next, and by when ("" when closed)
    due_at: datetime | None
    question: str | None  # the open question, while they owe an answer
    can_answer: bool
    can_send_proof: bool
    can_withdraw: bool
    timeline: tuple[Step, ...]


def _mine(email: str) -> Select[tuple[Case]]:
    return (
        select(Case)
        .join(Person, Person.id == Case.applicant_id)
        .where(Person.email == email.lower(), Case.status != CaseStatus.PURGED)
    )


def my_cases(session: Session, email: str) -> list[Case]:
    """Every request the address made, newest first."""
    query = _mine(email).options(selectinload(Case.tasks), selectinload(Case.timeline))
    return list(session.scalars(query.order_by(Case.submitted_at.desc(), Case.id.desc())))


def my_case(session: Session, email: str, reference: str) -> Case:
    """The address's own case `reference`; NotFound for anyone else's, as for none."""
    case = session.scalar(
        _mine(email)
        .where(Case.reference == reference.strip().upper()[:20])
        .options(selectinload(Case.tasks), selectinload(Case.timeline))
    )
    if case is None:
        raise NotFound(f"You have no request {reference.strip().upper()[:20]}.")
    return case


def _title(case: Case) -> str:
    form = case.form or {}
    if case.kind is CaseKind.PREAPPROVAL:
        return str(form.get("activity", {}).get("title", ""))
    if case.kind is CaseKind.PROVIDER:
        return str(form.get("organization", {}).get("name", ""))
    return str(form.get("title") or form.get("organization") or "")


def _question(case: Case) -> str | None:
    if case.status is not CaseStatus.AWAITING_APPLICANT:
        return None
    asked = [e for e in case.timeline if e.action == "request_info"]
    return asked[-1].detail if asked else None


def _next_step(ctx: ServiceContext, case: Case) -> tuple[str, datetime | None]:
    task = next((t for t in case.tasks if t.status is TaskStatus.OPEN), None)
    if case.status is CaseStatus.AWAITING_APPLICANT:
        return "Answer OPI's question: the seven business days are paused until you do", None
    if case.status is CaseStatus.AWAITING_PROOF and case.kind is CaseKind.PREAPPROVAL:
        expires = proof_plan(ctx, case).expires_at
        return "After the activity, send proof of completion by", expires
    if task is not None:
        return "OPI answers by", task.due_at
    return "", None


def applicant_view(ctx: ServiceContext, case: Case) -> MyCase:
    events = allowed_events(case.kind, case.status)
    next_step, due = _next_step(ctx, case)
    steps = []
    for entry in case.timeline:
        shown = APPLICANT_TIMELINE.get(entry.action)
        if shown is not None:
            steps.append(Step(entry.at, shown[0], entry.detail if shown[1] else ""))
    return MyCase(
        reference=case.reference,
        kind=KIND_WORDS[case.kind],
        title=_title(case),
        status=STATUS_WORDS.get(case.status, case.status.value.replace("_", " ")),
        submitted_at=case.submitted_at,
        next_step=next_step,
        due_at=due,
        question=_question(case),
        can_answer=Event.APPLICANT_REPLIED in events,
        can_send_proof=Event.PROOF_RECEIVED in events,
        can_withdraw=Event.WITHDRAW in events,
        timeline=tuple(steps),
    )


@dataclass(frozen=True)
class Upload:
    """A file sent from the page: the name and type the browser claimed, and the bytes."""

    filename: str
    content_type: str
    data: bytes


def _refusal(ctx: ServiceContext, filename: str, reason: str) -> str:
    megabytes = ctx.settings.max_attachment_bytes // 2**20
    if reason == TOO_LARGE:
        return f"{filename}: larger than {megabytes} MB"
    if reason == TOTAL_TOO_LARGE:
        total = ctx.settings.max_attachments_total_bytes // 2**20
        return f"{filename}: the files together are larger than {total} MB"
    return f"{filename}: not a PDF, JPEG or PNG file (whatever its name says)"


def _vetted(ctx: ServiceContext, uploads: list[Upload]) -> list[Vetted]:
    accepted, refused = vet(
        [Candidate(u.filename, u.content_type, u.data) for u in uploads if u.data],
        max_attachment_bytes=ctx.settings.max_attachment_bytes,
        max_total_bytes=ctx.settings.max_attachments_total_bytes,
    )
    problems = [_refusal(ctx, r.filename, r.reason) for r in refused]
    problems += [
        _refusal(ctx, a.filename, "type") for a in accepted if a.sniffed_type not in PROOF_TYPES
    ]
    if problems:
        raise UserError("Nothing was sent. " + "; ".join(problems) + ".")
    return list(accepted)


def reply_on_web(
    ctx: ServiceContext, email: str, reference: str, text: str, uploads: list[Upload]
) -> review.Done:
    """Answer the open question, or send proof of completion: as a reply by email does."""
    case = my_case(ctx.session, email, reference)
    text = text.strip()[:MAX_ANSWER]
    files = _vetted(ctx, uploads)
    if case.status is CaseStatus.AWAITING_APPLICANT and not text and not files:
        raise UserError("Write your answer to OPI's question before sending.")
    names = save_vetted(
        ctx.session, ctx.settings.data_dir, files, now=ctx.now, case_id=case.id, inbound_id=None
    )
    try:
        return review.applicant_replied(ctx, case, Actor(email.lower(), Channel.WEB), text, names)
    except UserError:  # nothing waits for a reply: the files written are not kept either
        forget_unkept(ctx.session, ctx.settings.data_dir, [f.sha256 for f in files])
        raise


def withdraw_on_web(ctx: ServiceContext, email: str, reference: str) -> review.Done:
    case = my_case(ctx.session, email, reference)
    if Event.WITHDRAW not in allowed_events(case.kind, case.status):
        raise UserError(f"{case.reference} is {STATUS_WORDS[case.status].lower()}: "
                        "it can no longer be withdrawn.")  # fmt: skip
    return review.withdraw(ctx, case, Actor(email.lower(), Channel.WEB))
