"""An activity report by email, pure: recognition, the form, and every problem at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.activity_reports import ActivityReport, locations
from models.provider_requests import (
    SPECS,
    RequestType,
    parse_request_form,
    recognise_request,
    render_request_form,
    request_menu,
    validate_request,
)

REPORT = SPECS[RequestType.ACTIVITY_REPORT]
FILLED = {
    "organization": "MTP-00001",
    "title": "Rural Literacy Coaching Institute",
    "description": "Three days of literacy coaching.\nDay 1: modelling.",
    "start_date": "2027-06-15",
    "end_date": "2027-06-17",
    "hours": "18",
    "format": "in_person",
    "location": "Billings, MT; Miles City, MT",
}


@pytest.mark.parametrize(
    "subject",
    [
        "Activity report",
        "ACTIVITY REPORT: summer institute",
        "Reporting a new workshop",
        "Report our PDU course",
        "Re: Activity report: one thing to fix before we can act",
    ],
)
def test_a_subject_keyword_names_an_activity_report(subject: str) -> None:
    assert recognise_request(subject, "") is REPORT


@pytest.mark.parametrize("subject", ["Annual report", "Share an event", "Report card question"])
def test_other_subjects_are_not_activity_reports(subject: str) -> None:
    assert recognise_request(subject, "") is not REPORT


def test_the_forms_first_line_names_the_report_whatever_the_subject() -> None:
    body = render_request_form(REPORT, FILLED)
    assert body.splitlines()[0] == "PDU provider activity report"
    assert recognise_request("Re: How to send your PDU request to OPI", body) is REPORT


def test_a_filled_form_reads_back_with_us_dates_plain_words_and_several_places() -> None:
    text = render_request_form(REPORT, FILLED).replace("2027-06-15", "6/15/2027")
    text = text.replace(": in_person", ": In person")
    form, problems = validate_request(REPORT, parse_request_form(REPORT, text))
    assert problems == [] and isinstance(form, ActivityReport)
    assert (form.start_date, form.end_date) == (date(2027, 6, 15), date(2027, 6, 17))
    assert form.hours == Decimal(18) and form.format == "in_person"
    assert form.description == FILLED["description"]
    assert locations(form) == ["Billings, MT", "Miles City, MT"]


@pytest.mark.parametrize(
    ("written", "stored"),
    [("Self-paced", "self_paced"), ("virtual conference", "virtual_conference"),
     ("Online", "virtual"), ("Hybrid", "hybrid")],
)  # fmt: skip
def test_every_event_format_is_understood_as_people_write_it(written: str, stored: str) -> None:
    data = parse_request_form(REPORT, f"Format: {written}")
    assert data["format"] == stored


def test_a_self_paced_course_needs_no_end_date_and_no_location() -> None:
    data = FILLED | {"format": "self_paced", "end_date": "", "location": ""}
    form, problems = validate_request(REPORT, data)
    assert problems == [] and form is not None and form.end_date is None


def test_a_report_missing_its_hours_lists_that_and_every_other_problem_at_once() -> None:
    text = (
        "Provider: Big Sky\nTitle: Coaching\nDescription: Literacy coaching.\n"
        "Start date: 2027-06-17\nEnd date: 2027-06-15\nFormat: in person\n"
    )
    form, problems = validate_request(REPORT, parse_request_form(REPORT, text))
    assert form is None
    assert [p.message for p in problems] == [
        "End date: must be on or after the start date (2027-06-17)",
        "Hours: is missing (PDU hours of full attendance, like 6 or 6.5; 1 hour is 1 PDU)",
        "Location: is missing (an in-person or hybrid activity needs one)",
    ]


def test_an_empty_report_asks_for_the_end_date_too_unless_self_paced() -> None:
    _, problems = validate_request(REPORT, parse_request_form(REPORT, "Hello"))
    labels = [p.label for p in problems]
    assert labels == ["Provider", "Title", "Description", "Start date", "End date", "Hours",
                      "Format"]  # fmt: skip
    _, problems = validate_request(REPORT, {"format": "self_paced"})
    assert "End date" not in [p.label for p in problems]


def test_wrong_hours_and_an_unknown_format_are_named_in_plain_words() -> None:
    _, problems = validate_request(REPORT, FILLED | {"hours": "0", "format": "podcast"})
    messages = [p.message for p in problems]
    assert "Hours: must be more than 0" in messages
    assert messages[-1].startswith("Format: must be one of: in_person, virtual, hybrid")


def test_the_menu_offers_the_activity_report_with_its_required_fields() -> None:
    [item] = [i for i in request_menu() if i["subject"] == "Activity report"]
    assert item["fields"] == "provider, title, description, start date, hours, format"
    assert not REPORT.reviewed


def test_an_activity_report_is_never_a_case() -> None:
    with pytest.raises(ValueError, match="recorded as an event"):
        _ = RequestType.ACTIVITY_REPORT.case_kind
