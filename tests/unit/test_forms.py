"""The two application forms: validation in plain words, the email text form, the key."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from models.forms import (
    FORM_TEMPLATE_PREAPPROVAL,
    FORM_TEMPLATE_PROVIDER,
    FormProblem,
    PreapprovalForm,
    ProviderForm,
    field_labels,
    is_retroactive,
    json_schema,
    parse_field_form,
    render_field_form,
    retroactive_problems,
    submission_key,
    validate_form,
)

# Exactly as published: these must validate as they are.
PREAPPROVAL_JSON = """
{"educator": {"first_name": "Jane", "last_name": "Okafor", "email": "jane@school.example",
 "license_number": "MT-48213", "license_status": "current"},
 "employer": "Lame Deer Public Schools", "request_type": "pdu_certificate",
 "activity": {"title": "Trauma-Informed Classrooms Institute",
 "provider": "Big Sky Learning Collaborative", "provider_email": "info@bigsky.example",
 "description": "Three-day structured institute ...", "start_date": "2026-12-07",
 "end_date": "2026-12-09", "hours": 18, "location": "Billings, MT", "format": "in_person",
 "alignment": "Planned and structured; extends existing skills."},
 "retroactive_reason": null}
"""
PROVIDER_JSON = """
{"organization": {"name": "Big Sky Learning Collaborative", "kind": "educational_organization",
 "address": "12 Main St, Billings, MT 59101", "website": "https://bigsky.example"},
 "manager": {"first_name": "John", "last_name": "Doe", "email": "jdoe@bigsky.example",
 "phone": "406-555-0134"}, "attest_reporting": true, "attest_records_five_years": true,
 "description": "Year-long coaching cycles for rural teachers ...",
 "alignment": "Meets ARM 10.55.714 (1)(d), (h), (i), (l) ...",
 "evidence": "Two district evaluations ..."}
"""
TODAY = date(2026, 11, 23)


def preapproval(**changes: Any) -> dict[str, Any]:
    """The published form with changes: `activity__hours=None` removes a field."""
    return _changed(json.loads(PREAPPROVAL_JSON), changes)


def provider(**changes: Any) -> dict[str, Any]:
    return _changed(json.loads(PROVIDER_JSON), changes)


def _changed(form: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for path, value in changes.items():
        target = form
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return form


def problems_of(kind: str, data: Any, today: date | None = None) -> dict[str, str]:
    form, problems = validate_form(kind, data, today=today)
    assert form is None
    return {p.field: p.message for p in problems}


# --- The published forms -----------------------------------------------------------------


def test_the_published_preapproval_form_validates_as_it_is() -> None:
    form, problems = validate_form("preapproval", json.loads(PREAPPROVAL_JSON), today=TODAY)
    assert problems == []
    assert isinstance(form, PreapprovalForm)
    assert form.educator.email == "jane@school.example"
    assert form.activity.start_date == date(2026, 12, 7)
    assert form.units == Decimal(18)


def test_the_published_provider_form_validates_as_it_is() -> None:
    form, problems = validate_form("provider", json.loads(PROVIDER_JSON))
    assert problems == []
    assert isinstance(form, ProviderForm)
    assert form.organization.kind == "educational_organization"
    assert form.manager.phone == "406-555-0134"


def test_the_optional_preapproval_fields_may_be_left_out() -> None:
    data = preapproval(
        employer=None, retroactive_reason=None, activity__provider_email=None,
        activity__location=None,
    )  # fmt: skip
    form, problems = validate_form("preapproval", data)
    assert problems == []
    assert form is not None and form.employer is None and form.activity.location is None


def test_a_blank_optional_field_counts_as_left_out() -> None:
    form, problems = validate_form("preapproval", preapproval(employer="   "))
    assert problems == [] and form is not None and form.employer is None


def test_the_website_is_optional_and_a_bare_domain_gets_https() -> None:
    form, problems = validate_form("provider", provider(organization__website=None))
    assert problems == [] and form is not None and form.organization.website is None
    form, _ = validate_form("provider", provider(organization__website="bigsky.example"))
    assert form is not None and form.organization.website == "https://bigsky.example"


def test_a_stored_form_validates_again_as_it_was_stored() -> None:
    form, _ = validate_form("preapproval", preapproval())
    assert form is not None
    stored = form.model_dump(mode="json")
    assert stored["units"] == 18 and stored["activity"]["hours"] == 18
    again, problems = validate_form("preapproval", stored)
    assert problems == [] and again == form


# --- Problems in plain words ------------------------------------------------------------


def test_every_field_problem_is_reported_at_once_in_plain_words() -> None:
    data = preapproval(
        educator__email="not-an-address",
        educator__license_status="expired",
        request_type="renewal",
        activity__title=None,
        activity__start_date="07/12/2026",
        activity__hours="eighteen",
        activity__format="zoom",
    )
    assert problems_of("preapproval", data) == {
        "educator.email": "Educator email: must be an email address like name@example.org",
        "educator.license_status": "Educator license status: must be one of: current, "
        "reinstatement, none",
        "request_type": "Request type: must be one of: pdu_certificate, pir, salary_lane, "
        "step_up, micro_credential",
        "activity.title": "Activity title: is required",
        "activity.start_date": "Activity start date: must be a date like 2026-12-07",
        "activity.hours": "Activity hours: must be a number",
        "activity.format": "Activity format: must be one of: in_person, virtual, self_paced",
    }


def test_problems_come_in_the_order_of_the_form() -> None:
    data = preapproval(activity__format="zoom", educator__first_name="", request_type="x")
    _, problems = validate_form("preapproval", data)
    assert [p.field for p in problems] == [
        "educator.first_name", "request_type", "activity.format",
    ]  # fmt: skip


def test_a_rule_across_fields_is_reported_even_when_another_field_is_wrong() -> None:
    data = preapproval(activity__title=None, activity__end_date="2026-12-01")
    assert problems_of("preapproval", data) == {
        "activity.title": "Activity title: is required",
        "activity.end_date": "Activity end date: must be on or after the start date (2026-12-07)",
    }


def test_a_form_problem_also_gives_its_message_without_the_label() -> None:
    problem = FormProblem("activity.hours", "Activity hours", "Activity hours: must be a number")
    assert problem.detail == "must be a number"


def test_a_form_that_is_not_an_object_is_one_plain_problem() -> None:
    assert problems_of("preapproval", ["not", "a", "form"]) == {
        "": "Form: must be a JSON object with the form's fields"
    }


def test_a_section_that_is_not_an_object_is_named() -> None:
    assert problems_of("preapproval", preapproval(educator="Jane Okafor")) == {
        "educator": "Educator: must be a group of fields (a JSON object)"
    }


def test_an_unknown_field_is_named_as_not_part_of_the_form() -> None:
    assert problems_of("preapproval", preapproval(activity__hour=18)) == {
        "activity.hour": "activity.hour: is not a field of this form (check the spelling)"
    }


def test_an_unknown_form_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown form kind"):
        validate_form("renewal", {})


# --- Hours and college credits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("credits", "credit_type", "units"),
    [
        (3, "semester", Decimal(45)),
        (3, "quarter", Decimal(30)),
        ("1.5", "semester", Decimal("22.5")),
    ],
)
def test_college_credits_convert_to_units_by_arm_10_57_215(
    credits: Any, credit_type: str, units: Decimal
) -> None:
    data = preapproval(activity__hours=None)
    data["activity"] |= {"college_credits": credits, "credit_type": credit_type}
    form, problems = validate_form("preapproval", data)
    assert problems == [] and form is not None
    assert form.units == units


def test_hours_and_college_credits_cannot_both_be_given() -> None:
    data = preapproval(activity__college_credits=3, activity__credit_type="semester")
    assert problems_of("preapproval", data) == {
        "activity.hours": "Activity hours: give either the hours or the college credits, not both"
    }


def test_hours_or_college_credits_are_required() -> None:
    assert problems_of("preapproval", preapproval(activity__hours=None)) == {
        "activity.hours": "Activity hours: is required (or give college credits and their type)"
    }


def test_college_credits_need_their_type_and_a_type_needs_credits() -> None:
    data = preapproval(activity__hours=None, activity__college_credits=3)
    assert problems_of("preapproval", data) == {
        "activity.credit_type": "Activity credit type: is required with college credits: "
        "quarter or semester"
    }
    data = preapproval(activity__credit_type="quarter")
    assert problems_of("preapproval", data) == {
        "activity.credit_type": "Activity credit type: only goes with college credits: "
        "leave it blank"
    }


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (0, "must be more than 0"),
        (-4, "must be more than 0"),
        (601, "must be at most 600"),
        ("18.125", "may have at most 2 decimal places"),
        (True, "must be a number"),
    ],
)
def test_hours_must_be_a_sane_positive_number(hours: Any, message: str) -> None:
    assert problems_of("preapproval", preapproval(activity__hours=hours)) == {
        "activity.hours": f"Activity hours: {message}"
    }


def test_hours_that_cannot_fit_between_the_dates_are_refused() -> None:
    data = preapproval(activity__hours=80)  # 7 to 9 December: three days, 72 hours at most
    assert problems_of("preapproval", data) == {
        "activity.hours": "Activity hours: 80 hours cannot fit in 3 days (2026-12-07 to 2026-12-09)"
    }


def test_an_implausible_year_is_refused() -> None:
    assert problems_of("preapproval", preapproval(activity__start_date="0026-12-07")) == {
        "activity.start_date": "Activity start date: must be a date between 2000-01-01 and "
        "2099-12-31"
    }


# --- Strings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "path", "label"),
    [
        ("preapproval", "educator__first_name", "Educator first name"),
        ("preapproval", "educator__last_name", "Educator last name"),
        ("preapproval", "activity__title", "Activity title"),
        ("provider", "manager__last_name", "Account manager last name"),
        ("provider", "organization__name", "Organization name"),
    ],
)
def test_a_line_break_in_a_name_is_refused(kind: str, path: str, label: str) -> None:
    data = (preapproval if kind == "preapproval" else provider)()
    data = _changed(data, {path: "Jane\r\nBcc: everyone@example.org"})
    assert problems_of(kind, data) == {
        path.replace("__", "."): f"{label}: must be on one line (no line breaks)"
    }


def test_a_control_character_is_refused_but_long_text_keeps_its_lines() -> None:
    data = preapproval(educator__last_name="Oka\x00for")
    assert problems_of("preapproval", data) == {
        "educator.last_name": "Educator last name: contains an invisible control character: "
        "please retype it"
    }
    form, _ = validate_form("preapproval", preapproval(activity__description="Day 1\r\nDay 2"))
    assert form is not None and form.activity.description == "Day 1\nDay 2"


def test_text_is_stripped_and_inner_spaces_of_a_line_are_collapsed() -> None:
    data = preapproval(educator__first_name="  Jane ", activity__title="Trauma   Informed\t")
    form, _ = validate_form("preapproval", data)
    assert form is not None
    assert form.educator.first_name == "Jane" and form.activity.title == "Trauma Informed"


def test_a_required_field_of_only_spaces_is_empty() -> None:
    assert problems_of("preapproval", preapproval(educator__last_name="   ")) == {
        "educator.last_name": "Educator last name: is empty: please fill it in"
    }


def test_text_longer_than_its_cap_is_refused() -> None:
    assert problems_of("preapproval", preapproval(educator__first_name="J" * 101)) == {
        "educator.first_name": "Educator first name: is too long (at most 100 characters)"
    }


def test_an_email_address_is_checked_and_lowercased() -> None:
    form, _ = validate_form("preapproval", preapproval(educator__email=" Jane@School.Example "))
    assert form is not None and form.educator.email == "jane@school.example"
    data = preapproval(educator__email="jane@school.example\r\nBcc: x@example.org")
    assert "educator.email" in problems_of("preapproval", data)


def test_a_license_number_is_required_unless_the_educator_has_none() -> None:
    data = preapproval(educator__license_number=None)
    assert problems_of("preapproval", data) == {
        "educator.license_number": "Educator license number: is required unless the license "
        "status is none"
    }
    data = preapproval(educator__license_number=None, educator__license_status="none")
    assert validate_form("preapproval", data)[1] == []


# --- Provider registration -----------------------------------------------------------------


def test_both_attestations_must_be_true_with_a_plain_message() -> None:
    data = provider(attest_reporting=False, attest_records_five_years=None)
    assert problems_of("provider", data) == {
        "attest_reporting": "Reporting attestation: OPI approves only organizations that can "
        "report every activity before it happens and the number of certificates issued "
        "after it: answer yes to confirm you can",
        "attest_records_five_years": "Records attestation: is required",
    }
    data = provider(attest_records_five_years=False)
    assert problems_of("provider", data) == {
        "attest_records_five_years": "Records attestation: approved providers must keep the "
        "records of every activity for five years: answer yes to confirm you will"
    }


def test_provider_phone_kind_and_website_are_checked_in_plain_words() -> None:
    data = provider(
        manager__phone="call me", organization__kind="charity", organization__website="a b"
    )
    assert problems_of("provider", data) == {
        "organization.kind": "Organization kind: must be one of: school_district, "
        "college_university, government_agency, educational_organization, other",
        "organization.website": "Organization website: must be a web address like "
        "https://www.example.org",
        "manager.phone": "Account manager phone: must be a phone number like 406-555-0134",
    }


# --- Retroactive requests ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "retroactive"),
    [(date(2026, 12, 6), False), (date(2026, 12, 7), False), (date(2026, 12, 8), True)],
)
def test_a_request_is_retroactive_once_the_activity_has_started(
    today: date, retroactive: bool
) -> None:
    form, _ = validate_form("preapproval", preapproval())
    assert form is not None
    assert is_retroactive(form, today) is retroactive


def test_a_retroactive_request_needs_a_reason() -> None:
    form, _ = validate_form("preapproval", preapproval())
    assert form is not None
    late = date(2026, 12, 10)
    assert [p.message for p in retroactive_problems(form, late)] == [
        "Retroactive reason: is required because the activity started on 2026-12-07, before "
        "today: please say why the request comes after the start"
    ]
    assert set(problems_of("preapproval", preapproval(), today=late)) == {"retroactive_reason"}


def test_a_retroactive_request_with_a_reason_is_accepted() -> None:
    data = preapproval(retroactive_reason="The district only told us after it began.")
    form, problems = validate_form("preapproval", data, today=date(2026, 12, 10))
    assert problems == [] and form is not None
    assert retroactive_problems(form, date(2026, 12, 10)) == []


def test_a_late_request_that_triage_will_send_elsewhere_needs_no_reason() -> None:
    data = preapproval(request_type="pir")
    assert validate_form("preapproval", data, today=date(2026, 12, 10))[1] == []


# --- JSON Schema ---------------------------------------------------------------------------


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = list(schema.get("properties", {}).items())
    for definition in schema.get("$defs", {}).values():
        found += list(definition["properties"].items())
    return found


@pytest.mark.parametrize("kind", ["preapproval", "provider"])
def test_the_schema_has_a_title_and_a_description_on_every_field(kind: str) -> None:
    schema = json_schema(kind)
    assert schema["title"] in ("PDU pre-approval request", "PDU provider registration")
    assert schema["additionalProperties"] is False
    for name, prop in _properties(schema):
        assert prop.get("title") and prop.get("description"), name
    assert json.loads(json.dumps(schema)) == schema  # printable as it is


def test_the_schema_gives_the_choices_and_required_fields() -> None:
    schema = json_schema("preapproval")
    activity = schema["$defs"]["Activity"]
    assert activity["properties"]["format"]["enum"] == ["in_person", "virtual", "self_paced"]
    assert activity["properties"]["start_date"]["format"] == "date"
    assert "hours" not in activity["required"] and "title" in activity["required"]
    assert set(schema["required"]) == {"educator", "request_type", "activity"}


# --- The plain-text email form ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "kind"),
    [(FORM_TEMPLATE_PREAPPROVAL, "preapproval"), (FORM_TEMPLATE_PROVIDER, "provider")],
)
def test_the_blank_template_has_one_line_per_field_with_its_label(template: str, kind: str) -> None:
    lines = template.splitlines()
    sections = {"educator", "activity", "organization", "manager"}
    for path, label in field_labels(kind).items():
        if path not in sections:
            assert sum(line.startswith(f"{label}") and ":" in line for line in lines) >= 1, label
    assert parse_field_form(kind, template) == {}  # a blank form carries no answer


@pytest.mark.parametrize(("kind", "source"), [("preapproval", preapproval), ("provider", provider)])
def test_the_field_form_round_trips_to_the_same_form(kind: str, source: Any) -> None:
    data = source()
    text = render_field_form(kind, data)
    parsed = parse_field_form(kind, text)
    assert validate_form(kind, parsed) == validate_form(kind, data)


def test_the_field_form_tolerates_case_spaces_blank_lines_wrapping_and_a_quoted_reply() -> None:
    text = """Hello, here is my request.

  EDUCATOR FIRST NAME :   Jane
educator last name: Okafor

Educator Email: jane@school.example
Educator license number (as on your license): MT-48213
Educator license status: Current
Request type: PDU certificate
Activity title: Trauma-Informed Classrooms
Institute
Activity provider: Big Sky Learning Collaborative
Activity description:
Three days.

Day one covers regulation.
Activity start date: 12/7/2026
Activity end date: December 9, 2026
Activity hours: 18 hours
Activity format: In person
Activity alignment: Planned and structured.
Retroactive reason:

Thanks,
Jane

On Mon, Nov 23, 2026 at 9:00 AM PDU <pdu@opi.example> wrote:
> Employer: Someone Else
> Educator first name:
"""
    data = parse_field_form("preapproval", text)
    assert data == {
        "educator": {
            "first_name": "Jane", "last_name": "Okafor", "email": "jane@school.example",
            "license_number": "MT-48213", "license_status": "current",
        },
        "request_type": "pdu_certificate",
        "activity": {
            "title": "Trauma-Informed Classrooms Institute",
            "provider": "Big Sky Learning Collaborative",
            "description": "Three days.\n\nDay one covers regulation.",
            "start_date": "2026-12-07", "end_date": "2026-12-09", "hours": "18",
            "format": "in_person", "alignment": "Planned and structured.",
        },
    }  # fmt: skip
    form, problems = validate_form("preapproval", data)
    assert problems == [] and form is not None and form.units == Decimal(18)


def test_the_field_form_reads_yes_no_and_human_choices() -> None:
    text = render_field_form("provider", provider()).replace(
        "educational_organization", "Educational organization"
    )
    lines = [
        "Reporting attestation: Yes" if line.startswith("Reporting attestation") else line
        for line in text.splitlines()
    ]
    text = "\n".join(lines)
    data = parse_field_form("provider", text)
    assert data["organization"]["kind"] == "educational_organization"
    assert data["attest_reporting"] is True and data["attest_records_five_years"] is True


def test_a_filled_field_form_with_mistakes_gets_the_same_plain_problems() -> None:
    text = "Educator first name: Jane\nActivity start date: soon\n"
    problems = problems_of("preapproval", parse_field_form("preapproval", text))
    assert problems["activity.start_date"] == "Activity start date: must be a date like 2026-12-07"
    assert problems["educator.last_name"] == "Educator last name: is required"


def test_one_form_is_never_read_as_the_other() -> None:
    assert parse_field_form("provider", render_field_form("preapproval", preapproval())) == {}
    assert parse_field_form("preapproval", render_field_form("provider", provider())) == {}


def test_prose_without_the_form_is_no_form() -> None:
    assert parse_field_form("preapproval", "Hi: can I get PDUs for a conference?\nThanks") == {}


# --- The submission key ------------------------------------------------------------------------


def _key(kind: str, data: dict[str, Any]) -> str:
    form, problems = validate_form(kind, data)
    assert form is not None, problems
    return submission_key(kind, form)


def test_the_same_submission_gives_the_same_key_regardless_of_key_order_and_spacing() -> None:
    data = preapproval()
    reordered = json.loads(json.dumps(data, sort_keys=True))
    reordered["activity"] = dict(reversed(list(reordered["activity"].items())))
    spaced = copy.deepcopy(data)
    spaced["educator"]["email"] = "  JANE@school.example "
    spaced["activity"]["title"] = " Trauma-Informed   Classrooms Institute "
    spaced["activity"]["hours"] = "18.0"
    spaced["employer"] = "Lame Deer Public Schools\t"
    key = _key("preapproval", data)
    assert len(key) == 64 and int(key, 16) >= 0
    assert _key("preapproval", reordered) == key
    assert _key("preapproval", spaced) == key


def test_a_different_submission_gives_a_different_key() -> None:
    assert _key("preapproval", preapproval()) != _key(
        "preapproval", preapproval(activity__hours=17)
    )
    assert _key("provider", provider()) != _key("preapproval", preapproval())
    assert _key("provider", provider()) == _key("provider", provider())
