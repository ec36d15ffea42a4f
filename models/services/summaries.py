"""The facts about a case that every email shows (template context)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from models.cases import Case
from models.enums import CaseKind
from models.forms import field_labels
from models.provider_requests import REQUEST_KINDS, SPECS, RequestType

if TYPE_CHECKING:
    from models.services.context import ServiceContext


def form_rows(case: Case) -> list[tuple[str, str]]:
    """The form as label/value pairs, with the labels the form itself defines."""
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


def triage_notes(case: Case) -> list[str]:
    """What triage decided and why, as recorded on the timeline (shown to reviewers)."""
    for entry in case.timeline:
        if entry.action in _TRIAGE_ACTIONS and entry.detail:
            return [note for note in entry.detail.split("; ") if note]
    return []


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
        "triage_notes": triage_notes(case),
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
        from models.services.provider_requests import request_context

        summary |= request_context(ctx, case)
    else:
        summary |= {"organization_name": form.get("organization", {}).get("name", "")}
    return summary
