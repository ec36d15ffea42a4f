"""The registry of case kinds: what each kind does when a form opens a case and when a
reviewer approves it. Intake and review look a kind up here instead of importing its module.

Account requests and opportunities are opened by the email channel after checking who sent
them (`models.services.email.requests`), never from a bare form, so they have no `open_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.cases import Case
from models.enums import CaseKind
from models.services import preapproval, registration, request_cases
from models.services.context import ServiceContext
from models.services.timeline import Actor


def _not_from_a_form(ctx: ServiceContext, form: Any, key: str, actor: Actor) -> Case:
    raise LookupError("this kind of case is opened by its own channel, not by a form")


@dataclass(frozen=True)
class Kind:
    # A validated form in, a new case out: triaged and routed (the caller's transaction).
    open_case: Callable[[ServiceContext, Any, str, Actor], Case]
    # After APPROVE moved the case: what the approval changes and whom it tells.
    on_approved: Callable[[ServiceContext, Case, Actor], None]


KINDS: dict[CaseKind, Kind] = {
    CaseKind.PREAPPROVAL: Kind(preapproval.new_preapproval, preapproval.on_approved),
    CaseKind.PROVIDER: Kind(registration.new_registration, registration.on_approved),
    CaseKind.ACCOUNT_REQUEST: Kind(_not_from_a_form, request_cases.on_approved),
    CaseKind.OPPORTUNITY: Kind(_not_from_a_form, request_cases.on_approved),
}
