"""The facts about a case that every email shows (template context)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import Case, TimelineEntry
from models.enums import CaseKind
from models.forms import field_labels
from models.provider_requests import (
    CHECKLISTS,
    REQUEST_KINDS,
    SPECS,
    VERIFY_SENDER,
    OpportunityRequest,
    RequestType,
    approve_meaning,
    load_request,
    request_title,
)
from models.providers import Provider
from models.services.provider_accounts import current_manager

if TYPE_CHECKING:
    from models.services.context import ServiceContext


def form_rows(case: Case) -> list[tuple[str, str]]:
    """The form as label/value pairs, with the labels the form itself defines."""
    labels: Mapping[str, str]
    if case.kind in REQUEST_KINDS:
        labels = SPECS[RequestType(case.form["request"])].labels
    else:
        labels = field_labels(case.kind.value)
    rows: list[tuple[str, str]] = []

    def walk(data: dict[str, Any], prefix: str) -> None:
        for key, value in data.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, f"{path}.")
            elif value not in (None, "") and path in labels:
                shown = {True: "yes", False: "no"}[value] if isinstance(value, bool) else value
                rows.append((labels[path], str(shown)))

    walk(case.form, "")
    return rows


_TRIAGE_ACTIONS = {"triage_review", "triage_decline", "triage_redirect"}


def triage_notes(session: Session, case: Case) -> list[str]:
    """What triage decided and why, as recorded on the timeline (shown to reviewers): one
    column of one entry, not the case's whole history."""
    detail = session.scalar(
        select(TimelineEntry.detail)
        .where(
            TimelineEntry.case_id == case.id,
            TimelineEntry.action.in_(_TRIAGE_ACTIONS),
            TimelineEntry.detail != "",
        )
        .order_by(TimelineEntry.id)
        .limit(1)
    )
    return [note for note in detail.split("; ") if note] if detail else []


def case_summary(ctx: ServiceContext, case: Case) -> dict[str, Any]:
    form = case.form
    applicant = case.applicant
    summary: dict[str, Any] = {
        "reference": case.reference,
        "kind": case.kind.value,
        "status": case.status.value,
        "applicant_name": applicant.full_name if applicant else "",
        "applicant_first_name": applicant.first_name if applicant else "",
        "timezone": ctx.settings.timezone,
        "retroactive": case.retroactive,
    }
    if case.kind is CaseKind.PREAPPROVAL:
        activity = form.get("activity", {})
        summary |= {
            "activity_title": activity.get("title", ""),
            "provider_name": activity.get("provider", ""),
            "start_date": date.fromisoformat(activity["start_date"]),
            "end_date": date.fromisoformat(activity["end_date"]),
            "hours_requested": case.hours_requested,
            "hours_granted": case.hours_granted,
        }
    elif case.kind in REQUEST_KINDS:
        summary |= request_context(ctx, case)
    else:
        summary |= {"organization_name": form.get("organization", {}).get("name", "")}
    return summary


def request_context(ctx: ServiceContext, case: Case) -> dict[str, Any]:
    spec, form = load_request(case.form)
    provider = ctx.session.get(Provider, case.provider_id) if case.provider_id else None
    organization = provider.name if provider else form.organization
    title = request_title(form, organization)
    checklist_title, checklist_items = CHECKLISTS[spec.type]
    staff_check = ""
    if case.triage_rule == VERIFY_SENDER and provider is not None:
        manager = current_manager(ctx.session, provider)
        phone = f", {manager.phone}" if manager.phone else ""
        source = "the provider" if isinstance(form, OpportunityRequest) else "the account manager"
        staff_check = (
            f"the sender is not confirmed as {source} (see the triage notes). Before "
            f"approving, confirm it with {manager.name} ({manager.email}{phone})."
        )
    return {
        "request_type": spec.type.value,
        "request_noun": spec.noun,
        "request_title": title,
        "organization_name": organization,
        # The shared staff emails (reminder, escalation, reassigned) name a case by it.
        "activity_title": f"{spec.subject}: {title}",
        "approve_meaning": approve_meaning(form, organization),
        "checklist_title": checklist_title,
        "checklist_items": list(checklist_items),
        "staff_check": staff_check,
    }
