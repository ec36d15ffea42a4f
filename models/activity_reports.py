"""An approved provider's activity report by email: the form, pure.

The same facts as `pdu provider event add` (ARM 10.57.216: title, description, dates,
locations, schedule, hours, format), as the `Field: value` form of the provider requests
(`models.provider_requests` recognises it and reads it). Reporting needs no review: it is
the provider's own record, so a valid report from the provider becomes an event at once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from models.forms import Day, Hours, OrgName, ShortLine, ShortText, Text, _Section

ReportFormat = Literal["in_person", "virtual", "hybrid", "self_paced", "virtual_conference"]
NEEDS_LOCATION = ("in_person", "hybrid")
SELF_PACED = "self_paced"


class ActivityReport(_Section):
    """An activity the provider offers, reported to OPI so its certificates can be issued."""

    model_config = ConfigDict(title="Activity report")

    organization: OrgName = Field(
        title="Provider",
        description="the approved provider's name as listed in the PDU provider directory, "
        "or its provider number, like MTP-00042",
    )
    title: OrgName = Field(title="Title", description="the activity's title as advertised")
    description: Text = Field(
        title="Description", description="what the activity covers and how it is organised"
    )
    start_date: Day = Field(title="Start date", description="the first day, like 2027-06-15")
    end_date: Day | None = Field(
        None,
        title="End date",
        description="the last day; blank only for a self-paced course, which runs from its start",
    )
    hours: Hours = Field(
        title="Hours", description="PDU hours of full attendance, like 6 or 6.5; 1 hour is 1 PDU"
    )
    format: ReportFormat = Field(
        title="Format",
        description="in person, virtual, hybrid, self-paced or virtual conference",
    )
    location: ShortLine | None = Field(
        None,
        title="Location",
        description="town or venue (several separated by ;); blank when online",
    )
    schedule: ShortText | None = Field(
        None, title="Schedule", description="sessions and times, like Mon-Wed 8:30-15:30"
    )


_DAY = TypeAdapter(Day)


def _day(value: Any) -> Any:
    try:
        return _DAY.validate_python(value) if value not in (None, "") else None
    except ValidationError:
        return None


def report_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across fields, on whatever parsed: one bad field never hides another."""
    problems: list[tuple[str, str]] = []
    start, end = _day(data.get("start_date")), _day(data.get("end_date"))
    kind = data.get("format")
    if not data.get("end_date") and kind != SELF_PACED:
        problems.append(("end_date", "is missing (the last day; the start date for one day)"))
    if start is not None and end is not None and end < start:
        problems.append(("end_date", f"must be on or after the start date ({start})"))
    if kind in NEEDS_LOCATION and not str(data.get("location") or "").strip():
        problems.append(("location", "is missing (an in-person or hybrid activity needs one)"))
    return problems


def locations(report: ActivityReport) -> list[str]:
    """The places, as `add_event` takes them ("online" is added there for virtual ones)."""
    return [p.strip() for p in (report.location or "").split(";") if p.strip()]
