"""Opportunities approved through the real review path (intake, task, APPROVE), for tests."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from models import clock
from models.cases import Case
from models.enums import CaseKind, Channel
from models.provider_requests import (
    SPECS,
    OpportunityRequest,
    RequestType,
    request_key,
    stored_form,
)
from models.providers import Provider
from models.services import review
from models.services.casework import new_case, start_review, upsert_person
from models.services.context import ServiceContext
from models.services.timeline import Actor
from models.uow import UnitOfWork

REVIEWER = "rita@opi.example"
_submissions = itertools.count()
WORKSHOP: dict[str, Any] = {
    "organization": "Billings Public Schools",
    "title": "Rural Literacy Coaching Institute",
    "description": "Three days of structured literacy coaching for K-3 teachers in rural "
    "schools: modelling, co-teaching and feedback cycles, with follow-up in classrooms.",
    "audience": "K-3 teachers and instructional coaches",
    "format": "in_person",
    "start_date": "2027-06-15",
    "end_date": "2027-06-17",
    "location": "Billings, MT",
    "hours": "18",
    "contact_name": "Pat Lee",
    "contact_email": "pd@billings.example",
    "contact_phone": "406-555-0101",
}


def submit_opportunity(provider_number: str = "MTP-00001", **changes: Any) -> str:
    """An opportunity request in review (as the email channel leaves it); its reference."""
    spec = SPECS[RequestType.OPPORTUNITY]
    form = OpportunityRequest.model_validate(WORKSHOP | changes)
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        provider = work.session.scalar(select(Provider).where(Provider.number == provider_number))
        assert provider is not None
        actor = Actor(form.contact_email, Channel.EMAIL)
        person = upsert_person(ctx, form.contact_email, form.contact_name, "")
        key = request_key(spec, form, f"{next(_submissions)}@test")
        case = new_case(ctx, CaseKind.OPPORTUNITY, form, key, actor, person)
        case.form = stored_form(spec, form)
        case.provider_id = provider.id
        start_review(ctx, case, Actor.system(Channel.EMAIL), "test")
        work.commit()
        return case.reference


def decide(reference: str, verb: str, reason: str = "") -> None:
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        actor = Actor(REVIEWER, Channel.CLI)
        if verb == "APPROVE":
            review.approve(ctx, case, actor, None)
        else:
            review.deny(ctx, case, actor, reason or "not for the portal")
        work.commit()


def approved_opportunity(provider_number: str = "MTP-00001", **changes: Any) -> str:
    reference = submit_opportunity(provider_number, **changes)
    decide(reference, "APPROVE")
    return reference
