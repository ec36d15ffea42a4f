"""Intake: every channel (CLI, email, web, Prefect UI) submits a form through here.

Validate everything first (every problem listed at once, nothing created), de-duplicate
(the same submission twice is one case), then create the case, triage it and, when it
needs a human, route it to a reviewer: all in the caller's one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from models.cases import Case
from models.enums import CaseKind, CaseStatus, Channel, TaskKind
from models.forms import FormProblem, ProviderForm, submission_key, validate_form
from models.people import Person
from models.services.context import ServiceContext
from models.services.directory import directory_entries
from models.services.references import next_reference
from models.services.review import email_applicant, open_task
from models.services.timeline import Actor, record, transition
from models.triage import triage
from models.workflow import Event


@dataclass
class IntakeResult:
    reference: str | None = None
    status: str | None = None
    created: bool = False
    problems: list[FormProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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


def submit(ctx: ServiceContext, kind: CaseKind, data: dict[str, Any], actor: Actor) -> IntakeResult:
    form, problems = validate_form(kind.value, data, today=ctx.today)
    if form is None or problems:
        return IntakeResult(problems=problems)
    key = submission_key(kind.value, form)
    existing = ctx.session.scalar(select(Case).where(Case.submission_key == key))
    if existing is not None:
        return IntakeResult(existing.reference, existing.status.value, created=False)
    if kind is CaseKind.PREAPPROVAL:
        case = _new_preapproval(ctx, form, key, actor)
    else:
        from models.services.registration import new_registration

        assert isinstance(form, ProviderForm)  # validate_form made it for this kind
        case = new_registration(ctx, form, key, actor)
    return IntakeResult(case.reference, case.status.value, created=True)


def new_case(
    ctx: ServiceContext, kind: CaseKind, form: Any, key: str, actor: Actor, applicant: Person
) -> Case:
    case = Case(
        reference=next_reference(ctx.session, kind.prefix, ctx.now, ctx.settings.timezone),
        kind=kind,
        status=CaseStatus.SUBMITTED,
        applicant=applicant,
        form=form.model_dump(mode="json"),
        submission_key=key,
        channel=actor.channel,
        submitted_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(case)
    record(case, "submitted", actor, ctx.now, f"by {actor.channel.value}")
    return case


def _new_preapproval(ctx: ServiceContext, form: Any, key: str, actor: Actor) -> Case:
    educator = form.educator
    applicant = upsert_person(
        ctx,
        str(educator.email),
        educator.first_name,
        educator.last_name,
        license_number=educator.license_number,
    )
    case = new_case(ctx, CaseKind.PREAPPROVAL, form, key, actor, applicant)
    case.hours_requested = Decimal(str(form.units))
    decision = triage(form, ctx.today, directory_entries(ctx.session))
    case.triage_rule = decision.rule
    case.retroactive = decision.retroactive
    system = Actor.system(actor.channel)
    notes = "; ".join(decision.notes)
    if decision.outcome == "declined":
        transition(
            case,
            Event.TRIAGE_DECLINE,
            system,
            ctx.now,
            f"{decision.rule}: {notes}",
            retain_years=ctx.settings.retention_years_for(case.kind),
        )
        email_applicant(ctx, case, "triage_declined", reply=False, reason=decision.reason)
    elif decision.outcome == "redirected":
        transition(
            case,
            Event.TRIAGE_REDIRECT,
            system,
            ctx.now,
            f"{decision.rule}: {notes}",
            retain_years=ctx.settings.retention_years_for(case.kind),
        )
        matched = decision.matched
        email_applicant(
            ctx,
            case,
            "triage_redirected",
            reply=False,
            reason=decision.reason,
            contact_name=matched.contact_name if matched else None,
            contact_email=matched.contact_email if matched else None,
            redirect_name=matched.name if matched else None,
        )
    else:
        start_review(ctx, case, system, notes)
    return case


def start_review(ctx: ServiceContext, case: Case, actor: Actor, notes: str) -> None:
    years = ctx.settings.retention_years_for(case.kind)
    transition(case, Event.TRIAGE_REVIEW, actor, ctx.now, notes, retain_years=years)
    task = open_task(ctx, case, TaskKind.REVIEW, actor)
    email_applicant(ctx, case, "acknowledgment", answer_by=task.due_at)


def channel_of(name: str) -> Channel:
    return Channel(name)
