"""Intake: every channel (CLI, email, web, Prefect UI) submits a form through here.

Validate everything first (every problem listed at once, nothing created), de-duplicate
(the same submission twice is one case), then create the case, triage it and, when it
needs a human, route it to a reviewer: all in the caller's one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from models.cases import Case
from models.enums import CaseKind, Channel
from models.forms import FormProblem, submission_key, validate_form
from models.services.context import ServiceContext
from models.services.kinds import KINDS
from models.services.timeline import Actor
from models.uow import UnitOfWork


@dataclass
class IntakeResult:
    reference: str | None = None
    status: str | None = None
    created: bool = False
    problems: list[FormProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def submit(ctx: ServiceContext, kind: CaseKind, data: dict[str, Any], actor: Actor) -> IntakeResult:
    form, problems = validate_form(kind.value, data, today=ctx.today)
    if form is None or problems:
        return IntakeResult(problems=problems)
    key = submission_key(kind.value, form)
    existing = ctx.session.scalar(select(Case).where(Case.submission_key == key))
    if existing is not None:
        return IntakeResult(existing.reference, existing.status.value, created=False)
    case = KINDS[kind].open_case(ctx, form, key, actor)
    return IntakeResult(case.reference, case.status.value, created=True)


def submit_form(
    work: UnitOfWork, kind: str, data: dict[str, Any], channel: str, actor: str, now: datetime
) -> IntakeResult:
    """`submit` in a transaction of its own, committed when the form was accepted: the one
    call the CLI, the Prefect flow and the web form make."""
    with work:
        ctx = ServiceContext.of(work, now)
        result = submit(ctx, CaseKind(kind), data, Actor(actor, Channel(channel)))
        if result.ok:
            work.commit()
        return result
