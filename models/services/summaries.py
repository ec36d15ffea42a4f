"""The facts about a case that every email shows (template context)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from models.cases import Case
from models.enums import CaseKind

if TYPE_CHECKING:
    from models.services.context import ServiceContext

_LABELS = {
    "educator": "Educator",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "license_number": "License number",
    "license_status": "License status",
    "employer": "Employer (school/district)",
    "request_type": "Request type",
    "activity": "Activity",
    "title": "Title",
    "provider": "Provider",
    "provider_email": "Provider contact email",
    "description": "Description",
    "start_date": "Start date",
    "end_date": "End date",
    "hours": "Contact hours",
    "college_credits": "College credits",
    "credit_type": "Credit type",
    "location": "Location",
    "format": "Format",
    "alignment": "How it meets ARM 10.57.215",
    "retroactive_reason": "Why the request comes after the start",
    "organization": "Organization",
    "name": "Name",
    "kind": "Kind",
    "address": "Address",
    "website": "Website",
    "manager": "Account manager",
    "phone": "Phone",
    "attest_reporting": "Can report every activity and certificates issued",
    "attest_records_five_years": "Keeps activity records for five years",
    "evidence": "Evidence that it is evidence-based",
}


def form_rows(case: Case) -> list[tuple[str, str]]:
    """The form as label/value pairs, nested sections prefixed by their label."""
    rows: list[tuple[str, str]] = []

    def walk(data: dict[str, Any], prefix: str) -> None:
        for key, value in data.items():
            label = _LABELS.get(key, key.replace("_", " ").capitalize())
            if isinstance(value, dict):
                walk(value, f"{prefix}{label}: ")
            elif value not in (None, ""):
                shown = (
                    {True: "yes", False: "no"}.get(value, value)
                    if isinstance(value, bool)
                    else value
                )
                rows.append((f"{prefix}{label}", str(shown)))

    walk(case.form, "")
    return rows


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
    else:
        summary |= {"organization_name": form.get("organization", {}).get("name", "")}
    return summary
