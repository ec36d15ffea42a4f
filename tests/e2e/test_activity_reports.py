"""A provider reports an activity by real email: it becomes an event, and the sender learns
its id; strangers and incomplete reports record nothing."""

from __future__ import annotations

from models.settings import reset_settings
from tests.e2e.test_provider_requests import (
    BIG_SKY,
    approved_provider,
    fields,
    pdu_json,
    text_of,
    write,
)

INSTITUTE = {
    "Provider": BIG_SKY,
    "Title": "Rural Literacy Coaching Institute",
    "Description": "Three days of structured literacy coaching for K-3 teachers.",
    "Start date": "6/15/2027",
    "End date": "2027-06-17",
    "Hours": "18",
    "Format": "In person",
    "Location": "Billings, MT",
    "Schedule": "Tue-Thu 8:30-15:30",
}


def events() -> list[dict]:
    return pdu_json("provider", "event", "list")


def test_the_account_manager_reports_an_activity_and_gets_one_reply_with_its_event_id(office):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    staff_mail = len(office.inbox(office.staff("rita")))
    write(office, manager, "Activity report", fields(**INSTITUTE))

    [event] = events()
    assert (event["provider"], event["title"]) == ("MTP-00001", INSTITUTE["Title"])
    assert (event["start_date"], event["end_date"], event["hours"]) == (
        "2027-06-15",
        "2027-06-17",
        18,
    )
    assert (event["format"], event["locations"]) == ("in_person", ["Billings, MT"])
    [reply] = [m for m in office.inbox(manager) if "Activity recorded" in str(m["Subject"])]
    assert (
        str(reply["Subject"])
        == f"Activity recorded as event {event['event_id']}: {INSTITUTE['Title']}"
    )
    body = text_of(reply)
    assert f'the subject keeping "event {event["event_id"]}"' in body
    assert "Schedule:  Tue-Thu 8:30-15:30" in body
    # No review: no case besides the registration, nothing for a reviewer.
    assert [c["kind"] for c in pdu_json("case", "list")] == ["provider"]
    assert len(office.inbox(office.staff("rita"))) == staff_mail

    # The same report again (a second send): still one event, and its id once more.
    write(office, manager, "Re: Activity report", fields(**INSTITUTE))
    assert len(events()) == 1
    again = office.last(manager, "Activity recorded")
    assert "already recorded as event" in text_of(again)


def test_a_strangers_report_is_refused_with_one_reply_and_records_nothing(office):
    manager, stranger = f"jdoe@bigsky.{office.domain}", f"someone@elsewhere.{office.domain}"
    approved_provider(office, manager)
    write(office, stranger, "Activity report", fields(**INSTITUTE))
    write(office, stranger, "Activity report", fields(**INSTITUTE))  # the same again
    [refused] = office.inbox(stranger)
    assert str(refused["Subject"]) == "Activity report: one thing to fix before we can act"
    body = text_of(refused)
    assert "nobody can report for someone else by email" in body
    assert "Nothing has been recorded yet" in body
    assert events() == []
    assert [m for m in office.inbox(manager) if "Activity" in str(m["Subject"])] == []


def test_a_report_missing_its_hours_gets_one_reply_and_the_completed_form_is_recorded(office):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    without_hours = {k: v for k, v in INSTITUTE.items() if k != "Hours"}
    write(office, manager, "Activity report", fields(**without_hours))
    [problems] = [m for m in office.inbox(manager) if "Activity report" in str(m["Subject"])]
    assert str(problems["Subject"]) == "Activity report: one thing to fix before we can act"
    body = text_of(problems)
    assert "Hours: is missing (PDU hours of full attendance, like 6 or 6.5" in body
    assert "Before we can record it" in body
    assert "Title: Rural Literacy Coaching Institute" in body  # the form, refilled
    assert events() == []

    completed = body[body.index("PDU provider activity report") :].replace(
        "Hours (PDU hours of full attendance):", "Hours: 18"
    )
    office.reply(problems, manager, completed)
    office.cycle()
    [event] = events()
    assert event["hours"] == 18
    assert f"event {event['event_id']}" in str(office.last(manager, "Activity recorded")["Subject"])


def test_a_self_paced_course_is_reported_without_an_end_date_or_a_location(office):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    course = INSTITUTE | {"Format": "self-paced", "End date": "", "Location": "", "Schedule": ""}
    write(office, manager, "Reporting a new course", fields(**course))
    [event] = events()
    assert (event["format"], event["locations"]) == ("self_paced", ["online"])
    assert event["start_date"] == event["end_date"] == "2027-06-15"
    assert "from the course's start" in text_of(office.last(manager, "Activity recorded"))


def test_without_a_dmarc_pass_even_the_managers_report_records_nothing(office, monkeypatch):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    monkeypatch.setenv("PDU_TRUSTED_AUTHSERV_ID", "mx.opi.example")
    reset_settings()
    write(office, manager, "Activity report", fields(**INSTITUTE))
    assert events() == []
    refused = office.last(manager, "Activity report: one thing to fix")
    assert "could not confirm that this email came from" in text_of(refused)
