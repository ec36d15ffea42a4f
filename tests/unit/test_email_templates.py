"""Every email renders from a realistic context; escaping and headers stay safe."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError
from markupsafe import escape

from templates.hours import hours_text as hours
from templates.render import (
    REPLY_MARKER,
    date_long,
    date_range,
    datetime_local,
    one_line,
    render_email,
)
from tests.unit.test_provider_requests import NEW as PROVIDER_REQUEST_EMAILS
from tests.unit.test_provider_requests import SAYS as PROVIDER_REQUEST_SAYS

EMAIL_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"

DUE = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 5:00 PM MST on Wednesday, December 2
PREAPPROVAL: dict[str, Any] = {
    "reference": "PA-2026-00042",
    "kind": "preapproval",
    "status": "in_review",
    "applicant_name": "Maria Running Crane",
    "applicant_first_name": "Maria",
    "timezone": "America/Denver",
    "retroactive": False,
    "activity_title": "Trauma-Informed Classrooms: A Three-Day Institute",
    "provider_name": "Big Sky Learning Collaborative",
    "start_date": date(2027, 6, 15),
    "end_date": date(2027, 6, 17),
    "hours_requested": Decimal("12"),
    "hours_granted": None,
}
PROVIDER: dict[str, Any] = {
    "reference": "PR-2026-00007",
    "kind": "provider",
    "status": "in_review",
    "applicant_name": "Tom Baker",
    "applicant_first_name": "Tom",
    "timezone": "America/Denver",
    "retroactive": False,
    "organization_name": "Flathead Valley Educators' Network",
}
FORM_ROWS = [
    ("Educator: First name", "Maria"),
    ("Educator: Last name", "Running Crane"),
    ("Educator: License number", "123456"),
    ("Activity: Title", "Trauma-Informed Classrooms: A Three-Day Institute"),
    ("Activity: Provider", "Big Sky Learning Collaborative"),
    ("Activity: Description", "Three days on trauma-informed practice.\nDay 1: foundations."),
    ("Activity: Contact hours", "12"),
]
TASK = {"assignee_name": "Dana Whitfield", "due_at": DUE, "form_rows": FORM_ROWS}
FORM_TEXT = "Educator first name: Maria\nEducator last name: Running Crane\nLicense number: \n"
HELP_TEXT = "Reply with one of these commands on the first line:\n\n  APPROVE\n  DENY <reason>\n"


def ctx(base: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**base, **extra}


CONTEXTS: dict[str, dict[str, Any]] = {
    "account_access": {
        "purpose": "reset",
        "recipient_first_name": "Tom",
        "username": "TBaker",
        "organization_name": "Flathead Valley Educators' Network",
        "provider_number": "MTP-00042",
        "code": "abcdefghijklmnopqrstuvwxyz",
        "link": "https://pdu.opi.example/account/setup?code=abcdefghijklmnopqrstuvwxyz",
        "sign_in_url": "https://pdu.opi.example/provider/sign-in",
        "until": DUE,
        "timezone": "America/Denver",
        "expects_reply": False,
    },
    "email_change": {
        "purpose": "confirm",
        "target": "account",
        "recipient_first_name": "Tom",
        "username": "TBaker",
        "organization_name": "Flathead Valley Educators' Network",
        "provider_number": "MTP-00042",
        "old_email": "tom@flathead.example",
        "new_email": "tom.baker@newmail.example",
        "link": "https://pdu.opi.example/provider/confirm-email?code=abcdefghijklmnopqrstuvwxyz",
        "until": DUE,
        "sign_in_url": "https://pdu.opi.example/provider/sign-in",
        "timezone": "America/Denver",
        "expects_reply": False,
    },
    "acknowledgment": ctx(PREAPPROVAL, expects_reply=True, answer_by=DUE),
    "review_task": ctx(
        PREAPPROVAL,
        **TASK,
        expects_reply=True,
        retroactive=True,
        triage_notes=["provider not in the approved directory", "activity already started"],
    ),
    "info_request": ctx(
        PREAPPROVAL, expects_reply=True, question="Could you send the agenda?\nWith times."
    ),
    "applicant_reply_forward": ctx(
        PREAPPROVAL,
        **TASK,
        expects_reply=True,
        reply_text="Here is the agenda.\n\nBest,\nMaria",
        attachment_names=["agenda.pdf", "flyer.png"],
    ),
    "decision_approved": ctx(
        PREAPPROVAL,
        expects_reply=True,
        status="awaiting_proof",
        hours_granted=Decimal("10.5"),
        fewer=True,
    ),
    "decision_denied": ctx(
        PREAPPROVAL, expects_reply=False, reason="The activity is a vendor sales presentation."
    ),
    "triage_declined": ctx(
        PREAPPROVAL,
        expects_reply=False,
        reason="the pre-approval process is only for licensed Montana educators.",
    ),
    "triage_redirected": ctx(
        PREAPPROVAL,
        expects_reply=False,
        reason="Big Sky Learning Collaborative is an OPI-approved provider.",
        redirect_name="Big Sky Learning Collaborative",
        contact_name="Jo Ellen Hart",
        contact_email="pd@bigsky.example",
    ),
    "proof_reminder": ctx(
        PREAPPROVAL,
        expects_reply=True,
        hours_granted=Decimal("12"),
        final=True,
        expires_at=datetime(2027, 8, 16, 23, 0, tzinfo=UTC),
    ),
    "expired": ctx(PREAPPROVAL, expects_reply=False),
    "proof_task": ctx(
        PREAPPROVAL,
        **TASK,
        status="proof_review",
        expects_reply=True,
        hours_granted=Decimal("12"),
        reply_text="My certificate of attendance is attached.",
        attachment_names=["certificate-of-attendance.pdf"],
    ),
    "proof_rejected": ctx(
        PREAPPROVAL, expects_reply=True, reason="The sign-in sheet does not show your name."
    ),
    "certificate_issued": ctx(
        PREAPPROVAL,
        expects_reply=False,
        hours=Decimal("12.00"),
        certificate_number="PDU-2026-000042",
        verification_code="K7QM-3XPA-9RTD-WH2C",
    ),
    "certificate_awarded": {
        "first_name": "Maria",
        "activity_title": "Montana Literacy Summit 2026",
        "provider_name": "Big Sky Learning Collaborative",
        "hours": Decimal("6.50"),
        "certificate_number": "PDU-2026-000043",
        "verification_code": "K7QM-3XPA-9RTD-WH2C",
        "verification_url": "https://pdu.opi.example/verify/K7QM-3XPA-9RTD-WH2C",
        "replaces": None,
        "reason": None,
        "expects_reply": False,
    },
    "certificate_revoked": {
        "first_name": "Maria",
        "certificate_number": "PDU-2026-000043",
        "activity_title": "Montana Literacy Summit 2026",
        "reason": "Attendance not confirmed by the sign-in sheet.",
        "revoked_at": DUE,
        "timezone": "America/Denver",
        "expects_reply": False,
    },
    "certificate_not_issued": {
        "event_id": 3,
        "event_title": "Montana Literacy Summit 2026",
        "provider_name": "Big Sky Learning Collaborative",
        "problems": ["line 7 (license 123456): the PDF text lacks the holder name"],
        "expects_reply": False,
    },
    "reminder": ctx(PREAPPROVAL, **TASK, expects_reply=True),
    "escalation": ctx(PREAPPROVAL, **TASK, expects_reply=True),
    "reassigned": ctx(
        PREAPPROVAL, **TASK, expects_reply=True, previous_assignee="dana@opi.example"
    ),
    "handed_over": ctx(
        PREAPPROVAL,
        **TASK,
        expects_reply=True,
        previous_assignee="rita@opi.example",
        why="rita@opi.example is away until Monday, December 28, 2026",
    ),
    "staff_away": {
        "supervisor_name": "Sam Supervisor",
        "staff_name": "Rita Reviewer",
        "staff_email": "rita@opi.example",
        "until": date(2026, 12, 28),
        "how": "their out-of-office reply",
        "moved": [("PA-2026-00042", "sam@opi.example")],
        "expects_reply": False,
    },
    "away_recorded": {
        "staff_name": "Rita Reviewer",
        "until": date(2026, 12, 28),
        "moved": 2,
        "expects_reply": False,
    },
    "provider_status": {
        "provider_name": "Big Sky Learning Collaborative",
        "provider_number": "MTP-00001",
        "contact_name": "Pat Lee",
        "status": "must_reapply",
        "until": date(2027, 3, 31),
        "reason": "every provider reapplies under the new process",
        "apply_url": "https://pdu.opi.example/apply/provider",
        "expects_reply": False,
    },
    "case_reopened": ctx(
        PREAPPROVAL,
        expects_reply=False,
        reason="the hours were entered wrongly",
        answer_by=DUE,
        certificate_number="OPI-2026-000042",
    ),
    "admin_notice": ctx(
        PREAPPROVAL,
        expects_reply=False,
        due_at=DUE,
        previous_assignee="dana@opi.example",
        new_assignee="lee@opi.example",
    ),
    "command_error": {
        "reference": "PA-2026-00042",
        "problem": "the first line of your reply is not a command we know",
        "help_text": HELP_TEXT,
        "expects_reply": False,
        "subject": "Re: [PA-2026-00042] Review: Trauma-Informed Classrooms",
    },
    "already_decided": {
        "reference": "PA-2026-00042",
        "problem": "this task was already decided",
        "help_text": HELP_TEXT,
        "expects_reply": False,
        "subject": "Re: [PA-2026-00042] Review: Trauma-Informed Classrooms",
    },
    "form_problems": {
        "problems": [
            "License number: is missing",
            "Activity start date: must be a date like 2027-06-15",
        ],
        "form_text": FORM_TEXT,
        "expects_reply": True,
        "reference": None,
    },
    "form_template": {
        "form_text": FORM_TEXT,
        "provider_form_text": "Organization name: \nAccount manager email: \n",
        "expects_reply": False,  # overridden: a filled-in form always comes back as a reply
    },
    "withdrawn": ctx(PREAPPROVAL, expects_reply=False),
    "provider_exists": ctx(
        PROVIDER,
        expects_reply=False,
        provider_name="Flathead Valley Educators Network, Inc.",
        contact_name="Pat Lee",
        contact_email="pd@flathead.example",
        access_address="pdu@opi.example",
    ),
    "provider_welcome": ctx(
        PROVIDER,
        expects_reply=False,
        provider_number="MTP-00042",
        username="TBaker",
        setup_url="https://pdu.opi.example/account/setup?code=abc",
        setup_code="abc",
        setup_expires_at=DUE,
    ),
    "bounce_notice": {
        "addresses": ["maria@school.example"],
        "cases": [("PA-2026-00042", "in_review")],
        "expects_reply": False,
        "reference": None,
    },
    "confirm_command": {
        "reference": "PA-2026-00042",
        "command_line": "APPROVE 6",
        "expects_reply": True,
    },
    # Account requests and shared opportunities: their contexts live with their tests.
    **PROVIDER_REQUEST_EMAILS,
    "activity_recorded": {
        "event_id": 12,
        "title": "Rural Literacy Coaching Institute",
        "provider_name": "Big Sky Learning Collaborative",
        "provider_number": "MTP-00001",
        "start_date": date(2027, 6, 15),
        "end_date": date(2027, 6, 17),
        "hours": Decimal("18.00"),
        "format_label": "in person",
        "issue_during": False,
        "locations": ["Billings, MT"],
        "schedule": "Tue-Thu 8:30-15:30",
        "reported_late": False,
        "already_recorded": False,
        "expects_reply": False,
        "reference": None,
    },
    "sign_in_link": {
        "link": "https://pdu.example/me/sign-in/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "minutes": 15,
        "expects_reply": False,
    },
    "roster_issued": {
        "first_name": "Tom",
        "event_id": 12,
        "event_title": "Rural Literacy Coaching Institute",
        "provider_name": "Big Sky Learning Collaborative",
        "issued": 41,
        "failed": ["line 7 (license 123456): the PDF text lacks the holder name"],
        "skipped": 2,
        "rejected": 0,
        "certificates_issued": 43,
        "portal_url": "https://pdu.opi.example/provider/events/12",
        "by_email": True,
        "expects_reply": False,
    },
    "roster_problems": {
        "event_label": "event 12: Rural Literacy Coaching Institute",
        "problems": ["line 5: hours is empty", "line 9: email 'x' is not a valid address"],
        "expects_reply": False,
        "reference": None,
    },
}

EXPECTED_TEXT = {
    "account_access": "It works once, until",
    "email_change": "Nothing changes until the link is opened",
    "acknowledgment": "Wednesday, December 2, 2026",
    "review_task": "APPROVE hours",
    "info_request": "Could you send the agenda?",
    "applicant_reply_forward": "agenda.pdf",
    "decision_approved": "fewer than the 12 hours",
    "decision_denied": "vendor sales presentation",
    "triage_declined": "licensed Montana educators",
    "triage_redirected": "pd@bigsky.example",
    "proof_reminder": "last reminder",
    "expired": "has expired",
    "proof_task": "REJECT reason",
    "proof_rejected": "does not show your name",
    "certificate_issued": "PDU-2026-000042",
    "certificate_awarded": "offered by Big Sky Learning Collaborative",
    "certificate_revoked": "Wednesday, December 2, 2026",
    "certificate_not_issued": "line 7 (license 123456)",
    "reminder": "December 2, 2026 5:00 PM MST",
    "escalation": "overdue",
    "reassigned": "dana@opi.example",
    "handed_over": "now comes to you: rita@opi.example is away",
    "staff_away": "PA-2026-00042  now with sam@opi.example",
    "away_recorded": "away until Monday, December 28, 2026",
    "provider_status": "keeps your provider number",
    "case_reopened": "Certificate OPI-2026-000042 issued for it has been revoked",
    "admin_notice": "lee@opi.example",
    "command_error": "not a command we know",
    "already_decided": "this task was already decided",
    "form_problems": "Activity start date: must be a date like 2027-06-15",
    "form_template": "Educator first name: Maria",
    "withdrawn": "withdrawn",
    "provider_exists": "full name",
    "provider_welcome": "Username: TBaker",
    "bounce_notice": "PA-2026-00042 (in review)",
    "confirm_command": "CONFIRM",
    **PROVIDER_REQUEST_SAYS,
    "sign_in_link": "https://pdu.example/me/sign-in/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "activity_recorded": 'the subject keeping "event 12"',
    "roster_issued": "41 certificate(s) were issued",
    "roster_problems": "line 5: hours is empty",
}


def email_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".txt.j2")
        for p in EMAIL_DIR.glob("*.txt.j2")
        if not p.name.startswith("_")
    )


def test_every_email_template_has_a_text_and_an_html_part_and_a_test_context() -> None:
    names = email_names()
    html = sorted(
        p.name.removesuffix(".html.j2")
        for p in EMAIL_DIR.glob("*.html.j2")
        if not p.name.startswith("_")
    )
    assert names == html
    assert names == sorted(CONTEXTS)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_email_renders_a_subject_a_text_and_an_html_part(name: str) -> None:
    email = render_email(name, **CONTEXTS[name])
    assert email.subject and "\n" not in email.subject
    assert EXPECTED_TEXT[name] in email.text
    assert email.text.endswith("\n") and "\n\n\n" not in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert f"<title>{escape(email.subject)}</title>" in email.html
    # No remote content: nothing for a mail client to block or a tracker to count.
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", email.html)
    reference = CONTEXTS[name].get("reference")
    if reference:
        assert email.subject.startswith(f"[{reference}] ")


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_reply_marker_heads_exactly_the_emails_that_expect_a_reply(name: str) -> None:
    email = render_email(name, **CONTEXTS[name])
    expects = CONTEXTS[name]["expects_reply"] or name == "form_template"
    assert email.text.startswith(REPLY_MARKER + "\n") is expects
    assert (REPLY_MARKER in email.html) is expects


# One variable each body needs: StrictUndefined must fail loudly without it.
REQUIRED = {
    "acknowledgment": "answer_by",
    "review_task": "triage_notes",
    "info_request": "question",
    "applicant_reply_forward": "reply_text",
    "decision_approved": "fewer",
    "decision_denied": "reason",
    "triage_declined": "reason",
    "triage_redirected": "contact_email",
    "proof_reminder": "expires_at",
    "expired": "activity_title",
    "proof_task": "attachment_names",
    "proof_rejected": "reason",
    "certificate_issued": "verification_code",
    "certificate_awarded": "verification_url",
    "certificate_revoked": "reason",
    "certificate_not_issued": "problems",
    "reminder": "due_at",
    "escalation": "applicant_name",
    "reassigned": "previous_assignee",
    "handed_over": "why",
    "staff_away": "moved",
    "away_recorded": "until",
    "provider_status": "reason",
    "case_reopened": "answer_by",
    "admin_notice": "new_assignee",
    "command_error": "help_text",
    "already_decided": "problem",
    "form_problems": "problems",
    "form_template": "form_text",
    "withdrawn": "kind",
    "provider_exists": "access_address",
    "provider_welcome": "setup_code",
    "bounce_notice": "addresses",
    "confirm_command": "command_line",
    "provider_request_problems": "problems",
    "account_welcome": "username",
    "account_access": "username",
    "email_change": "new_email",
    "account_changed_notice": "person_email",
    "account_email_changed": "new_email",
    "opportunity_shared": "title",
    "activity_recorded": "event_id",
    "sign_in_link": "link",
    "roster_issued": "issued",
    "roster_problems": "problems",
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_a_missing_context_variable_fails_the_render(name: str) -> None:
    context = dict(CONTEXTS[name])
    del context[REQUIRED[name]]
    with pytest.raises(UndefinedError):
        render_email(name, **context)


@pytest.mark.parametrize("name", sorted(set(CONTEXTS) - {"form_template"}))
def test_the_reply_flag_is_required_so_no_email_silently_drops_the_marker(name: str) -> None:
    context = dict(CONTEXTS[name])
    del context["expects_reply"]
    with pytest.raises(UndefinedError):
        render_email(name, **context)


def test_review_task_shows_the_form_triage_notes_retroactive_flag_checklist_and_commands() -> None:
    email = render_email("review_task", **CONTEXTS["review_task"])
    for label, _ in FORM_ROWS:
        assert f"{label}: " in email.text
        assert label in email.html
    assert "provider not in the approved directory" in email.text
    assert "(retroactive)" in email.subject and "RETROACTIVE" in email.text
    assert "ARM 10.57.215" in email.text and "ARM 10.55.714" in email.text
    for command in ("APPROVE", "DENY reason", "INFO question", "REASSIGN email"):
        assert command in email.text and command in email.html
    assert "December 2, 2026 5:00 PM MST" in email.text


def test_provider_review_task_offers_a_plain_approve_and_the_registration_checklist() -> None:
    context = ctx(PROVIDER, **TASK, expects_reply=True, triage_notes=[])
    email = render_email("review_task", **context)
    assert "APPROVE hours" not in email.text
    assert "ARM 10.57.216" in email.text
    assert "(none)" in email.text


def test_reminders_for_a_proof_check_offer_accept_and_reject() -> None:
    email = render_email("reminder", **ctx(CONTEXTS["reminder"], status="proof_review"))
    assert "ACCEPT" in email.text and "REJECT reason" in email.text
    assert "APPROVE" not in email.text


def test_approval_with_the_hours_requested_does_not_mention_fewer_hours() -> None:
    context = ctx(CONTEXTS["decision_approved"], hours_granted=Decimal("12"), fewer=False)
    email = render_email("decision_approved", **context)
    assert "fewer" not in email.text
    assert "certificate of attendance, the agenda, or a sign-in sheet" in email.text


def test_redirect_to_the_local_district_names_no_contact() -> None:
    context = ctx(
        CONTEXTS["triage_redirected"], redirect_name=None, contact_name=None, contact_email=None
    )
    email = render_email("triage_redirected", **context)
    assert "Your local school district" in email.text


def test_html_escapes_a_script_tag_that_the_text_part_keeps_literal() -> None:
    attack = '<script>alert("x")</script> & more'
    email = render_email("info_request", **ctx(CONTEXTS["info_request"], question=attack))
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in email.html
    assert attack in email.text


def test_a_form_title_with_markup_is_escaped_in_the_html_part_and_its_title() -> None:
    context = ctx(CONTEXTS["review_task"], activity_title="<b>Bold</b> & <i>brave</i>")
    email = render_email("review_task", **context)
    assert "<b>" not in email.html and "&lt;b&gt;Bold&lt;/b&gt; &amp;" in email.html
    assert "<b>Bold</b> & <i>brave</i>" in email.subject


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\u2028", "\x85", "\x00", "\t\v\f"])
def test_a_line_break_in_a_user_supplied_subject_part_cannot_break_the_subject(
    breaker: str,
) -> None:
    title = f"Classroom Safety{breaker}Bcc: victim@example.com"
    email = render_email(
        "decision_approved", **ctx(CONTEXTS["decision_approved"], activity_title=title)
    )
    assert email.subject == (
        "[PA-2026-00042] Pre-approved: Classroom Safety Bcc: victim@example.com (10.5 PDU hours)"
    )
    assert not re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029]", email.subject)


def test_an_unknown_or_path_like_template_name_is_refused() -> None:
    for name in ("../render", "_layout", "Acknowledgment", "nope"):
        with pytest.raises((ValueError, LookupError)):
            render_email(name, **CONTEXTS["acknowledgment"])


def test_the_caller_timezone_moves_the_due_time_shown() -> None:
    context = ctx(CONTEXTS["reminder"], timezone="America/New_York")
    assert "December 2, 2026 7:00 PM EST" in render_email("reminder", **context).text


def test_date_long_names_the_weekday_and_moves_an_instant_to_its_local_day() -> None:
    assert date_long(date(2026, 12, 2)) == "Wednesday, December 2, 2026"
    # 02:00 UTC on the 3rd is still the evening of the 2nd in Helena.
    assert date_long(datetime(2026, 12, 3, 2, tzinfo=UTC)) == "Wednesday, December 2, 2026"
    assert date_long(datetime(2026, 12, 3, 2, tzinfo=UTC), "UTC") == "Thursday, December 3, 2026"


def test_datetime_local_shows_the_wall_clock_with_its_zone_in_winter_and_summer() -> None:
    assert datetime_local(DUE, "America/Denver") == "December 2, 2026 5:00 PM MST"
    july = datetime(2027, 7, 1, 6, 30, tzinfo=UTC)
    assert datetime_local(july, "America/Denver") == "July 1, 2027 12:30 AM MDT"
    assert datetime_local(datetime(2027, 7, 1, 18, 0, tzinfo=UTC)) == "July 1, 2027 12:00 PM MDT"


def test_datetime_local_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        datetime_local(datetime(2026, 12, 2, 17, 0))


@pytest.mark.parametrize(
    ("value", "shown"),
    [(6, "6"), (6.5, "6.5"), (Decimal("7.50"), "7.5"), (Decimal("60"), "60"),
     (Decimal("12.00"), "12"), (0.25, "0.25"), ("15", "15"), (Decimal("0.00"), "0")],
)  # fmt: skip
def test_hours_drop_trailing_zeros_and_never_use_exponents(value: Any, shown: str) -> None:
    assert hours(value) == shown


def test_hours_refuse_what_is_not_a_number() -> None:
    for bad in (None, True, "six"):
        with pytest.raises((TypeError, ValueError)):
            hours(bad)


def test_date_range_is_compact_within_a_month_and_full_across_years() -> None:
    assert date_range(date(2027, 6, 15), date(2027, 6, 15)) == "June 15, 2027"
    assert date_range(date(2027, 6, 15), date(2027, 6, 17)) == "June 15–17, 2027"
    assert date_range(date(2027, 6, 30), date(2027, 7, 2)) == "June 30 – July 2, 2027"
    assert date_range(date(2026, 12, 30), date(2027, 1, 2)) == "December 30, 2026 – January 2, 2027"


def test_one_line_turns_every_line_break_and_control_character_into_one_space() -> None:
    assert one_line(" a\r\nb\u2028c\x00d\t\te ") == "a b c d e"


def test_a_corrected_certificate_says_which_one_it_replaces_and_why() -> None:
    context = ctx(CONTEXTS["certificate_awarded"], replaces="PDU-2026-000042", reason="name")
    email = render_email("certificate_awarded", **context)
    assert email.subject == "Corrected PDU certificate PDU-2026-000043 (replaces PDU-2026-000042)"
    assert "PDU-2026-000042" in email.text and "(name)" in email.text
    assert "offered by" not in email.text


def test_a_self_paced_course_is_recorded_as_running_from_its_start() -> None:
    context = CONTEXTS["activity_recorded"] | {
        "end_date": date(2027, 6, 15),
        "format_label": "self paced",
        "issue_during": True,
        "locations": ["online"],
        "schedule": None,
    }
    email = render_email("activity_recorded", **context)
    assert "Dates:     from Tuesday, June 15, 2027 (self-paced)" in email.text
    assert "from the course's start" in email.text and "Schedule" not in email.text


def test_a_report_sent_twice_is_answered_with_the_id_it_already_has() -> None:
    context = CONTEXTS["activity_recorded"] | {"already_recorded": True}
    email = render_email("activity_recorded", **context)
    assert "already recorded as event 12; nothing new was recorded" in email.text


@pytest.mark.parametrize(
    ("purpose", "says"),
    [
        ("setup", "choose the password"),
        ("reset", "reset the password"),
        ("username", "Username: TBaker"),
        ("locked", "paused until"),
        ("password_changed", "was changed"),
    ],
)
def test_each_account_access_email_says_its_purpose_and_never_a_password(purpose, says):
    email = render_email("account_access", **ctx(CONTEXTS["account_access"], purpose=purpose))
    assert says in email.text and "password:" not in email.text.lower()


def test_the_email_change_notice_to_the_old_address_names_both_addresses() -> None:
    context = CONTEXTS["email_change"] | {"purpose": "changed", "target": "organisation"}
    email = render_email("email_change", **context)
    assert "Flathead Valley Educators' Network's contact has changed" in email.subject
    assert "from: tom@flathead.example" in email.text and "tom.baker@newmail.example" in email.html
