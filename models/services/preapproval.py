"""Pre-approval requests (PA- cases): an educator asks OPI to count an activity for PDU hours.

What is particular to them: triage before review (declined, redirected to an approved
provider, or reviewed) and the approval email with the hours granted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models.cases import Case
from models.enums import CaseKind
from models.people import Person
from models.services.casework import email_applicant, new_case, start_review, upsert_person
from models.services.context import ServiceContext
from models.services.directory import directory_entries
from models.services.timeline import Actor, transition
from models.triage import triage
from models.workflow import Event


def upsert_educator(ctx: ServiceContext, form: Any) -> Person:
    """The person a pre-approval form's educator section names (found by address)."""
    educator = form.educator
    return upsert_person(
        ctx,
        str(educator.email),
        educator.first_name,
        educator.last_name,
        license_number=educator.license_number,
    )


def new_preapproval(ctx: ServiceContext, form: Any, key: str, actor: Actor) -> Case:
    applicant = upsert_educator(ctx, form)
    case = new_case(ctx, CaseKind.PREAPPROVAL, form, key, actor, applicant)
    case.hours_requested = Decimal(str(form.units))
    decision = triage(form, ctx.today, directory_entries(ctx.session, ctx.today))
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


def on_approved(ctx: ServiceContext, case: Case, actor: Actor) -> None:
    """The educator learns the hours granted (fewer than requested is said plainly)."""
    granted, requested = case.hours_granted, case.hours_requested
    email_applicant(
        ctx,
        case,
        "decision_approved",
        hours_granted=granted,
        hours_requested=requested,
        fewer=granted != requested,
    )
