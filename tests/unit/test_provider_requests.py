"""Provider requests, pure: recognition, the text forms, plain-word problems, portal rules,
and the emails about these cases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from models.enums import CaseKind, CaseStatus
from models.provider_requests import (
    SPECS,
    OpportunityRequest,
    RequestType,
    load_request,
    opportunity_flags,
    parse_request_form,
    recognise_request,
    render_request_form,
    request_key,
    request_menu,
    stored_form,
    validate_request,
    when,
)
from models.workflow import Event, advance
from templates.render import render_email

ACCESS, EMAIL, MANAGER, OPPORTUNITY, _ = (SPECS[t] for t in RequestType)
TODAY = date(2026, 11, 20)


# --- Recognition --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Account access", RequestType.ACCESS),
        ("Request: access to our existing provider account", RequestType.ACCESS),
        ("ACCOUNT EMAIL CHANGE", RequestType.EMAIL_CHANGE),
        ("Change of account email - Big Sky", RequestType.EMAIL_CHANGE),
        ("Account manager change", RequestType.MANAGER_CHANGE),
        ("New account manager for Big Sky", RequestType.MANAGER_CHANGE),
        ("Share an opportunity", RequestType.OPPORTUNITY),
        ("Please share our event on the portal", RequestType.OPPORTUNITY),
        ("Re: Share an opportunity: 5 things to fix before we can act", RequestType.OPPORTUNITY),
    ],
)
def test_a_subject_keyword_names_the_request(subject: str, expected: RequestType) -> None:
    spec = recognise_request(subject, "")
    assert spec is not None and spec.type is expected


@pytest.mark.parametrize(
    "subject",
    [
        "Pre-approval request",
        "Question about a learning opportunity",
        "Re: [AR-2026-00001] We received your account access request",
        "",
    ],
)
def test_other_subjects_and_replies_naming_a_case_are_not_new_requests(subject: str) -> None:
    assert recognise_request(subject, "Hello, a question.") is None


def test_the_forms_first_line_in_the_body_wins_over_any_subject() -> None:
    body = render_request_form(EMAIL, {"organization": "Big Sky"})
    spec = recognise_request("Re: How to send your PDU request to OPI", body)
    assert spec is EMAIL
    assert recognise_request("Account access", body) is EMAIL


def test_a_registration_whose_subject_mentions_a_new_account_manager_stays_a_registration() -> None:
    from models.forms import FORM_TEMPLATE_PROVIDER

    body = FORM_TEMPLATE_PROVIDER.replace(
        "Organization name:", "Organization name: Glacier Literacy Partners"
    ).replace("Account manager first name:", "Account manager first name: Kim")
    body = body.replace("Account manager last name:", "Account manager last name: Lee")
    assert recognise_request("Registration, new account manager Kim Lee", body) is None


def test_the_menu_lists_every_request_with_its_subject_and_required_fields() -> None:
    menu = {item["subject"]: item for item in request_menu()}
    assert list(menu) == [
        "Account access",
        "Account email change",
        "Account manager change",
        "Share an opportunity",
        "Activity report",
    ]
    assert menu["Account access"]["fields"] == (
        "organization name, first name, last name, phone, email"
    )
    assert "contact email" in menu["Share an opportunity"]["fields"]


# --- The text forms -----------------------------------------------------------------------


def test_opis_own_words_are_understood_name_of_organization_full_name_phone_number() -> None:
    text = (
        "Hi,\n\nName of organization: Big Sky Learning Collaborative\n"
        "Your full name: Mary Van Der Berg\nPhone number: (406) 555-0101\n"
        "Email address: Mary.VDB@BigSky.example\n\nThanks,\nMary\n"
    )
    form, problems = validate_request(ACCESS, parse_request_form(ACCESS, text))
    assert problems == []
    assert form is not None
    assert (form.first_name, form.last_name) == ("Mary", "Van Der Berg")
    assert form.email == "mary.vdb@bigsky.example"
    assert form.organization == "Big Sky Learning Collaborative"


def test_a_form_reads_back_what_it_rendered_with_long_answers_and_us_dates() -> None:
    data = {
        "organization": "MTP-00001",
        "title": "Rural Literacy Coaching",
        "description": "Line one of the description.\nLine two, after a break.",
        "format": "in_person",
        "start_date": "2027-06-15",
        "contact_name": "John Doe",
        "contact_email": "jdoe@bigsky.example",
    }
    text = render_request_form(OPPORTUNITY, data).replace("2027-06-15", "6/15/2027")
    text = text.replace(
        "Format (in person, virtual, hybrid or self-paced): in_person", "Format: In person"
    )
    parsed = parse_request_form(OPPORTUNITY, text + "\n\n-- \nJohn\n> quoted: stuff")
    form, problems = validate_request(OPPORTUNITY, parsed)
    assert problems == [] and form is not None
    assert form.description == data["description"]
    assert form.start_date == date(2027, 6, 15) and form.format == "in_person"


# An activity report also asks for an end date unless self-paced: test_activity_reports.py.
@pytest.mark.parametrize("request_type", [t for t in RequestType if SPECS[t].reviewed])
def test_an_empty_request_lists_every_required_field_in_form_order_in_plain_words(
    request_type: RequestType,
) -> None:
    spec = SPECS[request_type]
    form, problems = validate_request(spec, parse_request_form(spec, "Hello"))
    assert form is None
    assert [p.label for p in problems] == spec.required_labels
    for problem in problems:
        description = spec.model.model_fields[problem.field].description
        assert problem.message == f"{problem.label}: is missing ({description})"


def test_wrong_values_are_named_field_by_field_next_to_the_missing_ones() -> None:
    data = parse_request_form(
        EMAIL,
        "Organization name: Big Sky\nFirst name: John\nCurrent email: not-an-address\n"
        "New email: jdoe@bigsky.example\nPhone: call me",
    )
    _, problems = validate_request(EMAIL, data)
    assert [p.message for p in problems] == [
        "Last name: is missing (the account holder's last name)",
        "Current email: must be an email address like name@example.org",
        "Phone: must be a phone number like 406-555-0134",
    ]


def test_an_email_change_to_the_same_address_is_refused() -> None:
    data = {
        "organization": "Big Sky",
        "first_name": "John",
        "last_name": "Doe",
        "current_email": "JDoe@bigsky.example",
        "new_email": "jdoe@bigsky.example",
        "phone": "406-555-0134",
    }
    _, problems = validate_request(EMAIL, data)
    assert [p.message for p in problems] == ["New email: is the same as the current email"]


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"end_date": "2027-06-17"}, "Start date: is required when an end date is given"),
        (
            {"start_date": "2027-06-17", "end_date": "2027-06-15"},
            "End date: must be on or after the start date (2027-06-17)",
        ),
    ],
)
def test_opportunity_dates_must_make_sense(dates: dict[str, str], message: str) -> None:
    data = {
        "organization": "Big Sky",
        "title": "Institute",
        "description": "A description.",
        "format": "in_person",
        "contact_name": "John Doe",
        "contact_email": "jdoe@bigsky.example",
    } | dates
    _, problems = validate_request(OPPORTUNITY, data)
    assert [p.message for p in problems] == [message]


def test_a_request_sent_twice_by_the_same_person_has_one_key_and_a_case_keeps_its_type() -> None:
    data = parse_request_form(
        ACCESS,
        "Organization name: Big Sky\nFirst name: Jane\nLast name: Roe\n"
        "Phone: 406-555-0101\nEmail: jane@bigsky.example",
    )
    form, _ = validate_request(ACCESS, data)
    spaced, _ = validate_request(ACCESS, data | {"organization": "Big  Sky "})
    assert form is not None and spaced is not None
    assert request_key(ACCESS, form, "jane@bigsky.example") == request_key(
        ACCESS, spaced, "JANE@bigsky.example"
    )
    assert request_key(ACCESS, form, "jane@bigsky.example") != request_key(
        ACCESS, form, "jdoe@bigsky.example"
    )
    spec, loaded = load_request(stored_form(ACCESS, form))
    assert spec is ACCESS and loaded == form


# --- The portal rules -----------------------------------------------------------------------


def opportunity(**changes: Any) -> OpportunityRequest:
    data: dict[str, Any] = {
        "organization": "Big Sky Learning Collaborative",
        "title": "Rural Literacy Coaching Institute",
        "description": "Three days of structured literacy coaching for K-3 teachers in rural "
        "schools: modelling, co-teaching and feedback cycles, with classroom follow-up.",
        "audience": "K-3 teachers",
        "format": "in_person",
        "start_date": "2027-06-15",
        "end_date": "2027-06-17",
        "location": "Billings, MT",
        "contact_name": "John Doe",
        "contact_email": "jdoe@bigsky.example",
    }
    return OpportunityRequest.model_validate(data | changes)


def codes(form: OpportunityRequest) -> list[str]:
    return [flag.code for flag in opportunity_flags(form, TODAY)]


def test_a_real_workshop_is_not_flagged() -> None:
    assert codes(opportunity()) == []


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        (
            {
                "description": "Order today and get 25% off site licenses for your district "
                "classrooms and teachers, with a free trial for every school."
            },
            "sales_based",
            "'order today', 'site licenses', 'free trial', '25% off'",
        ),
        (
            {
                "title": "Real Estate Investing Weekend",
                "description": "Learn how to flip houses and build wealth through real estate "
                "in just one weekend with our proven system.",
                "audience": None,
            },
            "unrelated_to_education",
            "'real estate'",
        ),
        (
            {
                "title": "Weekend Fly Fishing Retreat",
                "description": "Cast, wade and tie flies on the Madison River with expert "
                "guides; lunch and waders provided for every participant.",
                "audience": "anyone",
            },
            "unrelated_to_education",
            "no word about teaching",
        ),
        (
            {"standards": "We teach this instead of the Montana content standards."},
            "content_standards",
            "'instead of the montana content standards'",
        ),
        (
            {
                "description": "Opt out of Indian Education for All with our alternative unit "
                "for teachers, students and classrooms across the state."
            },
            "content_standards",
            "'opt out of indian education for all'",
        ),
        ({"description": "TBD"}, "missing_description", "(1 word;"),
        ({"description": "Coaching for teachers."}, "missing_description", "(3 words;"),
        ({"contact_email": "no-reply@bigsky.example"}, "missing_contact", "no-reply address"),
        ({"location": None}, "missing_details", "no location"),
        (
            {"start_date": "2026-10-01", "end_date": "2026-10-02"},
            "past",
            "ended 2026-10-02",
        ),
    ],
)
def test_each_portal_rule_flags_what_opi_does_not_post(
    changes: dict[str, Any], code: str, words: str
) -> None:
    flags = opportunity_flags(opportunity(**changes), TODAY)
    [flag] = [f for f in flags if f.code == code]
    assert words in flag.message


def test_undated_opportunities_go_to_the_catalog_dated_ones_to_the_calendar() -> None:
    assert when(opportunity()) == "2027-06-15 to 2027-06-17"
    assert when(opportunity(end_date=None)) == "2027-06-15"
    self_paced = opportunity(format="self_paced", start_date=None, end_date=None)
    assert when(self_paced) == "self-paced"
    assert when(opportunity(start_date=None, end_date=None)) == "on request"
    assert codes(self_paced) == []  # no location needed online


# --- Cases and emails -------------------------------------------------------------------


def test_request_cases_have_their_own_prefixes_and_the_provider_review_path() -> None:
    assert (CaseKind.ACCOUNT_REQUEST.prefix, CaseKind.OPPORTUNITY.prefix) == ("AR", "OP")
    for kind in (CaseKind.ACCOUNT_REQUEST, CaseKind.OPPORTUNITY):
        status = CaseStatus.SUBMITTED
        for event in (Event.TRIAGE_REVIEW, Event.REQUEST_INFO, Event.APPLICANT_REPLIED):
            status = advance(kind, status, event)
        assert advance(kind, status, Event.APPROVE) is CaseStatus.COMPLETED
        assert advance(kind, status, Event.DENY) is CaseStatus.DENIED
        assert advance(kind, status, Event.WITHDRAW) is CaseStatus.WITHDRAWN


DUE = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
REQUEST: dict[str, Any] = {
    "reference": "AR-2026-00001",
    "kind": "account_request",
    "status": "in_review",
    "applicant_name": "Jane Roe",
    "applicant_first_name": "Jane",
    "timezone": "America/Denver",
    "retroactive": False,
    "triage_notes": ["provider MTP-00001 Big Sky (matched by exact name)"],
    "request_type": "access",
    "request_noun": "account access request",
    "request_title": "Jane Roe at Big Sky",
    "organization_name": "Big Sky",
    "activity_title": "Account access: Jane Roe at Big Sky",
    "approve_meaning": "approve; Jane Roe gets a user account",
    "checklist_title": "Checklist (adding a user to a provider account)",
    "checklist_items": ["The person does not already have access."],
    "staff_check": "",
    "assignee_name": "Rita Reviewer",
    "due_at": DUE,
    "form_rows": [("Organization name", "Big Sky"), ("Email", "jane@bigsky.example")],
    "expects_reply": True,
}
SHARED = {
    "acknowledgment": {"answer_by": DUE},
    "review_task": {},
    "info_request": {"question": "Who can confirm?"},
    "applicant_reply_forward": {"reply_text": "Our director.", "attachment_names": []},
    "decision_denied": {"reason": "not an employee", "expects_reply": False},
    "withdrawn": {"expects_reply": False},
    "reminder": {},
    "escalation": {},
    "reassigned": {"previous_assignee": "rita@opi.example"},
    "admin_notice": {
        "previous_assignee": "rita@opi.example",
        "new_assignee": "sam@opi.example",
        "expects_reply": False,
    },
}


@pytest.mark.parametrize("name", sorted(SHARED))
def test_the_shared_review_emails_speak_of_the_request_never_of_hours_or_pre_approval(
    name: str,
) -> None:
    email = render_email(name, **(REQUEST | SHARED[name]))
    text = email.text + email.subject
    assert "pre-approval" not in text.lower() and "PDU hours" not in text
    assert "account access request" in text or "Account access: Jane Roe" in text
    assert "registration" not in text


def test_a_task_to_verify_says_so_above_everything_and_lists_the_request_checklist() -> None:
    check = "the sender is not confirmed as the account manager (see the triage notes)."
    email = render_email("review_task", **(REQUEST | {"staff_check": check}))
    assert f"STAFF VERIFICATION REQUIRED: {check}" in email.text
    assert "Staff verification required" in email.html
    assert "[ ] The person does not already have access." in email.text
    assert "APPROVE            approve; Jane Roe gets a user account" in email.text
    assert "APPROVE hours" not in email.text
    assert "STAFF VERIFICATION" not in render_email("review_task", **REQUEST).text


NEW: dict[str, dict[str, Any]] = {
    "provider_request_problems": {
        "request_subject": "Account access",
        "request_purpose": "be added as a user of your organization's existing provider account",
        "problems": ["Phone: is missing (a number where OPI staff can reach you)"],
        "form_text": render_request_form(ACCESS),
        "reviewed": True,
        "expects_reply": False,
        "reference": None,
    },
    "account_welcome": REQUEST
    | {
        "expects_reply": False,
        "recipient_first_name": "Jane",
        "provider_number": "MTP-00001",
        "username": "JRoe",
        "is_manager": False,
        "new_account": True,
        "setup_code": "abcdefghijklmnopqrstuvwxyz",
        "setup_url": "https://pdu.example/account/setup?code=abcdefghijklmnopqrstuvwxyz",
        "setup_expires_at": DUE,
    },
    "account_changed_notice": REQUEST
    | {
        "expects_reply": False,
        "person_name": "Jane Roe",
        "person_email": "jane@bigsky.example",
        "username": "JRoe",
        "previous_manager": None,
        "opi_contact_name": "Rita Reviewer",
        "opi_contact_email": "rita@opi.example",
    },
    "account_email_changed": REQUEST
    | {
        "expects_reply": False,
        "username": "JDoe",
        "account_holder": "John Doe",
        "old_email": "jdoe@bigsky.example",
        "new_email": "john@newmail.example",
        "opi_contact_name": "Rita Reviewer",
        "opi_contact_email": "rita@opi.example",
    },
    "opportunity_shared": REQUEST
    | {
        "expects_reply": False,
        "reference": "OP-2026-00001",
        "title": "Rural Literacy Coaching Institute",
        "listing": "calendar",
        "when": "2027-06-15 to 2027-06-17",
        "portal_url": "https://pdu.example/opportunities",
        "contact_name": "John Doe",
        "contact_email": "jdoe@bigsky.example",
    },
}
SAYS = {
    "provider_request_problems": "Phone: is missing",
    "account_welcome": "Username: JRoe",
    "account_changed_notice": "Jane Roe (jane@bigsky.example) now has access",
    "account_email_changed": "from: jdoe@bigsky.example",
    "opportunity_shared": "listed in the portal's calendar (2027-06-15 to 2027-06-17)",
}


@pytest.mark.parametrize("name", sorted(NEW))
def test_each_new_email_renders_text_and_html_with_no_remote_content(name: str) -> None:
    email = render_email(name, **NEW[name])
    assert SAYS[name] in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert not re.search(r"src\s*=|url\(|@import", email.html)  # nothing remote to load
    reference = NEW[name].get("reference")
    assert email.subject.startswith(f"[{reference}] ") if reference else "[" not in email.subject


def test_a_problems_reply_keeps_the_keyword_in_its_subject_so_answering_it_is_recognised() -> None:
    email = render_email("provider_request_problems", **NEW["provider_request_problems"])
    assert email.subject == "Account access: one thing to fix before we can act"
    assert recognise_request(f"Re: {email.subject}", "") is ACCESS


def test_a_welcome_for_an_existing_account_has_no_code_and_says_to_sign_in_as_usual() -> None:
    context = NEW["account_welcome"] | {
        "is_manager": True,
        "new_account": False,
        "setup_code": None,
        "setup_url": None,
        "setup_expires_at": None,
    }
    email = render_email("account_welcome", **context)
    assert "You are now the account manager for Big Sky" in email.subject
    assert "one-time" not in email.text and "as usual" in email.text
