"""Provider requests by real email: account access, email change, manager change, portal."""

from __future__ import annotations

import json
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from devmail import client as mail_client
from flows import jobs
from models import clock
from models.cases import Case
from models.enums import Channel
from models.provider_requests import SPECS, RequestType
from models.services import review
from models.services.context import ServiceContext
from models.services.timeline import Actor
from models.settings import reset_settings
from models.uow import UnitOfWork
from tests.e2e.forms import provider

PDU = str(Path(sys.executable).parent / "pdu")
BIG_SKY = "Big Sky Learning Collaborative"


def pdu_json(*args: str):
    done = subprocess.run([PDU, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def approved_provider(office, manager: str, name: str = BIG_SKY) -> None:
    """A registration approved by Rita: directory entry MTP-00001, manager account JDoe."""
    result = jobs.intake("provider", provider(manager, name))
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == result.reference))
        review.approve(ctx, case, Actor(office.staff("rita"), Channel.CLI), None)
        work.commit()
    office.cycle()


def write(office, sender: str, subject: str, body: str) -> None:
    """A new email to the system's address, as a person writes one (no reply token)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = office.system
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(body)
    mail_client.send(office.server.smtp_port, message)
    office.cycle()


def fields(**values: str) -> str:
    """`Label: value` lines; keyword names are labels with underscores for spaces."""
    return "\n".join(f"{label.replace('_', ' ')}: {value}" for label, value in values.items())


def case_count() -> int:
    return len(pdu_json("case", "list"))


def reference_in(message) -> str:
    return str(message["Subject"]).split("]")[0].split("[")[-1]


def decide(office, reference: str, command: str, reviewer: str = "rita") -> None:
    office.reply(office.last(office.staff(reviewer), reference), office.staff(reviewer), command)
    office.cycle()


def test_an_access_request_missing_fields_gets_one_reply_then_jane_is_added_as_jroe(office):
    manager, jane = f"jdoe@bigsky.{office.domain}", f"jane.roe@bigsky.{office.domain}"
    approved_provider(office, manager)
    write(office, jane, "Account access", f"Name of organization: {BIG_SKY}\nFull name: Jane Roe")
    [problems] = office.inbox(jane)
    assert str(problems["Subject"]) == "Account access: 2 things to fix before we can act"
    body = text_of(problems)
    assert "Phone: is missing (a number where OPI staff can reach you)" in body
    assert "Email: is missing (the address to add to the account; write from it)" in body
    assert "Organization name (or the provider number): Big Sky Learning Collaborative" in body
    assert case_count() == 1  # the registration only: nothing was submitted

    completed = fields(
        Organization_name=BIG_SKY,
        First_name="Jane",
        Last_name="Roe",
        Phone="406-555-0101",
        Email=jane,
    )
    office.reply(problems, jane, completed)
    office.cycle()
    acknowledgment = office.last(jane, "We received your account access request")
    reference = reference_in(acknowledgment)
    assert reference.startswith("AR-2026-")
    assert "December 2, 2026" in text_of(acknowledgment)  # seven business days
    task = text_of(office.last(office.staff("rita"), reference))
    assert "STAFF VERIFICATION REQUIRED" in task
    assert f"confirm it with John Doe ({manager}, 406-555-0134)" in task
    assert "Jane Roe gets a user account" in task

    decide(office, reference, "APPROVE")
    view = pdu_json("case", "show", reference)
    assert view["status"] == "completed"
    assert "account_added" in [entry["action"] for entry in view["timeline"]]
    welcome = text_of(office.last(jane, "Your access to the Big Sky"))
    assert "Username: JRoe" in welcome and "one-time code" in welcome
    notice = text_of(office.last(manager, "A change to the Big Sky"))
    assert f"Jane Roe ({jane}) now has access" in notice and "JRoe" in notice


def test_an_email_change_from_the_account_manager_is_confirmed_and_both_addresses_are_told(
    office,
):
    old, new = f"jdoe@bigsky.{office.domain}", f"john.doe@newmail.{office.domain}"
    approved_provider(office, old)
    form = fields(
        Organization_name="MTP-00001",
        First_name="John",
        Last_name="Doe",
        Current_email=old,
        New_email=new,
        Phone="406-555-0134",
    )
    write(office, old, "Account email change", form)
    reference = reference_in(office.last(old, "We received your account email change request"))
    task = text_of(office.last(office.staff("rita"), reference))
    assert f"sent by the account manager ({old})" in task
    assert "STAFF VERIFICATION" not in task

    decide(office, reference, "APPROVE")
    for address in (old, new):
        told = office.last(address, "has changed")
        assert f"from: {old}" in text_of(told) and f"to:   {new}" in text_of(told)
    [entry] = pdu_json("directory", "list")
    assert entry["contact"] == new


def test_a_manager_change_from_the_new_manager_is_verified_asked_about_then_approved(office):
    old, kim = f"jdoe@bigsky.{office.domain}", f"kim.lee@bigsky.{office.domain}"
    approved_provider(office, old)
    form = fields(
        Organization_name="big sky learning collaborative",
        New_manager_first_name="Kim",
        New_manager_last_name="Lee",
        New_manager_email=kim,
        New_manager_phone="406-555-0188",
        Current_manager="John Doe",
    )
    write(office, kim, "New account manager for Big Sky", form)
    reference = reference_in(office.last(kim, "We received your account manager change request"))
    assert "STAFF VERIFICATION REQUIRED" in text_of(office.last(office.staff("rita"), reference))

    decide(office, reference, "INFO Who at Big Sky can confirm the change?")
    question = office.last(kim, "A question about your account manager change request")
    office.reply(question, kim, "Our director, Ann Smith, at 406-555-0100.")
    office.cycle()
    assert "Ann Smith" in text_of(office.last(office.staff("rita"), "answered"))

    decide(office, reference, "APPROVE")
    welcome = text_of(office.last(kim, "You are now the account manager"))
    assert "Username: KLee" in welcome and "one-time code" in welcome
    notice = text_of(office.last(old, "A change to the Big Sky"))
    assert f"Kim Lee ({kim}) is now the account manager" in notice
    assert "in place of John Doe" in notice
    [entry] = pdu_json("directory", "list")
    assert entry["contact"] == kim


def test_an_answer_written_as_a_new_email_with_the_account_request_tag_reaches_the_reviewer(
    office,
):
    manager, jane = f"jdoe@bigsky.{office.domain}", f"jane.roe@bigsky.{office.domain}"
    approved_provider(office, manager)
    form = fields(
        Organization_name=BIG_SKY,
        First_name="Jane",
        Last_name="Roe",
        Phone="406-555-0101",
        Email=jane,
    )
    write(office, jane, "Account access", form)
    reference = reference_in(office.last(jane, "We received your account access request"))
    decide(office, reference, "INFO Which school do you work at?")
    office.last(jane, "A question about your account access request")

    # Jane writes a fresh email (no In-Reply-To, no token) naming the request in the subject.
    write(office, jane, f"[{reference}] my school", "Billings West High School.")
    assert "Billings West High School" in text_of(office.last(office.staff("rita"), "answered"))
    assert pdu_json("case", "show", reference)["status"] == "in_review"


OPPORTUNITY = {
    "Provider": BIG_SKY,
    "Title": "Rural Literacy Coaching Institute",
    "Description": "Three days of structured literacy coaching for K-3 teachers in rural "
    "schools: modelling, co-teaching and feedback cycles, with follow-up in classrooms.",
    "Audience": "K-3 teachers and instructional coaches",
    "Format": "in person",
    "Start date": "2027-06-15",
    "End date": "2027-06-17",
    "Location": "Billings, MT",
    "Contact name": "John Doe",
    "Contact phone": "406-555-0134",
}


def test_a_sales_pitch_is_flagged_and_denied_and_a_workshop_is_shared_and_listed(office):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    pitch = OPPORTUNITY | {
        "Title": "Smart Tablets for Every Classroom",
        "Description": "Buy now: 20% off our classroom tablets for orders this month.",
        "Contact email": f"noreply@bigsky.{office.domain}",
    }
    write(office, manager, "Share an opportunity", fields(**pitch))
    reference = reference_in(office.last(manager, "We received your request to share"))
    assert reference.startswith("OP-2026-")
    task = text_of(office.last(office.staff("rita"), reference))
    assert "FLAG: looks sales-based: it mentions 'buy now', '20% off'" in task
    assert "FLAG: the description is too thin to publish" in task
    assert "FLAG: the contact email" in task and "no-reply address" in task
    assert "Not sales-based." in task  # OPI's checklist
    decide(office, reference, "DENY a sales pitch: OPI does not share those")
    assert "a sales pitch" in text_of(office.last(manager, "Decision on your request to share"))

    workshop = OPPORTUNITY | {"Contact email": manager}
    write(office, manager, "Please share an event", fields(**workshop))
    reference = reference_in(office.last(manager, "We received your request to share"))
    task = text_of(office.last(office.staff("rita"), reference))
    assert "portal rules: nothing flagged" in task
    assert "listing: calendar (2027-06-15 to 2027-06-17)" in task
    decide(office, reference, "APPROVE")
    assert "calendar" in text_of(office.last(manager, "Approved for the Learning Opportunities"))
    [listed] = pdu_json("directory", "opportunities")
    assert (listed["reference"], listed["title"], listed["listing"]) == (
        reference,
        "Rural Literacy Coaching Institute",
        "calendar",
    )
    assert (listed["provider_number"], listed["contact_email"]) == ("MTP-00001", manager)
    table = subprocess.run(
        [PDU, "directory", "opportunities"], capture_output=True, text=True, check=True
    ).stdout
    print(table)  # the listing as it prints after the tests' data
    assert "Rural Literacy Coaching Institute" in table and "2027-06-15 to 2027-06-17" in table


# An activity report's own problems reply: tests/e2e/test_activity_reports.py.
@pytest.mark.parametrize("request_type", [t for t in RequestType if SPECS[t].reviewed])
def test_every_request_with_missing_fields_gets_one_reply_listing_them_field_by_field(
    office, request_type
):
    spec = SPECS[request_type]
    sender = f"pat@bigsky.{office.domain}"
    organization = spec.labels["organization"]
    write(office, sender, spec.subject, f"{organization}: Big Sky\n\nThanks,\nPat")
    write(office, sender, f"Re: {spec.subject}", f"{organization}: Big Sky")  # the same again
    [reply] = office.inbox(sender)
    missing = [label for label in spec.required_labels if label != organization]
    assert (
        str(reply["Subject"]) == f"{spec.subject}: {len(missing)} things to fix before we can act"
    )
    listed = [line.strip()[2:] for line in text_of(reply).splitlines() if line.startswith("  - ")]
    assert [line.split(":")[0] for line in listed] == missing
    assert all(": is missing (" in line for line in listed)
    assert text_of(reply).count(spec.title) == 1  # the form, ready to complete
    assert case_count() == 0 and office.inbox(office.staff("rita")) == []


def test_the_account_manager_may_ask_for_a_colleague_but_nobody_else_may(office):
    manager, ana = f"jdoe@bigsky.{office.domain}", f"ana@bigsky.{office.domain}"
    approved_provider(office, manager)
    for_ana = fields(
        Organization_name=BIG_SKY,
        First_name="Ana",
        Last_name="Núñez",
        Phone="406-555-0102",
        Email=ana,
    )
    stranger = f"someone@elsewhere.{office.domain}"
    write(office, stranger, "Account access", for_ana)
    [refused] = office.inbox(stranger)
    assert "nobody can ask for someone else by email" in text_of(refused)
    change = fields(
        Organization_name=BIG_SKY,
        First_name="John",
        Last_name="Doe",
        Current_email=manager,
        New_email=stranger,
        Phone="406-555-0134",
    )
    write(office, f"mallory@elsewhere.{office.domain}", "Account email change", change)
    assert "nobody can ask" in text_of(office.last(f"mallory@elsewhere.{office.domain}"))
    assert case_count() == 1  # the registration only

    write(office, manager, "Account access for a colleague", for_ana)
    reference = reference_in(office.last(manager, "We received your account access request"))
    task = text_of(office.last(office.staff("rita"), reference))
    assert f"sent by the account manager ({manager})" in task
    assert "STAFF VERIFICATION" not in task
    decide(office, reference, "APPROVE")
    assert "Username: ANunez" in text_of(office.last(ana, "Your access"))
    assert f"Ana Núñez ({ana}) now has access" in text_of(office.last(manager, "A change"))


def test_without_a_dmarc_pass_even_the_managers_address_is_marked_for_verification(
    office, monkeypatch
):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    monkeypatch.setenv("PDU_TRUSTED_AUTHSERV_ID", "mx.opi.example")
    reset_settings()
    form = fields(
        Organization_name=BIG_SKY,
        First_name="Ana",
        Last_name="Lopez",
        Phone="406-555-0102",
        Email=f"ana@bigsky.{office.domain}",
    )
    write(office, manager, "Account access", form)
    reference = reference_in(office.last(manager, "We received your account access request"))
    task = text_of(office.last(office.staff("rita"), reference))
    assert "STAFF VERIFICATION REQUIRED" in task
    assert f"sent from {manager}, but its From address could not be authenticated" in task


def test_someone_writing_without_a_form_gets_the_forms_and_the_request_subjects(office):
    stranger = f"curious@elsewhere.{office.domain}"
    write(office, stranger, "Question", "How do I get access to our provider account?")
    [answer] = office.inbox(stranger)
    body = text_of(answer)
    assert "Already an approved provider?" in body
    for spec in SPECS.values():
        assert f"  {spec.subject}: to {spec.purpose}" in body


def test_an_open_account_request_is_reminded_and_escalated_like_any_review(office):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    form = fields(
        Organization_name=BIG_SKY,
        First_name="Ana",
        Last_name="Lopez",
        Phone="406-555-0102",
        Email=f"ana@bigsky.{office.domain}",
    )
    write(office, manager, "Account access", form)
    reference = reference_in(office.last(manager, "We received your account access request"))
    office.at("2026-12-01T00:00:00Z")  # Monday 17:00 MST: two business days before it is due
    assert jobs.sweep().fired == {"reminder": 1}
    office.at("2026-12-03T00:00:00Z")  # Wednesday 17:00 MST: due
    assert jobs.sweep().fired == {"escalation": 1}
    jobs.send()
    reminder = office.last(office.staff("rita"), "Reminder")
    assert reference in str(reminder["Subject"]) and "Account access: Ana Lopez" in str(
        reminder["Subject"]
    )
    assert "the review of the account access request (Ana Lopez at Big Sky" in text_of(reminder)
    escalation = office.last(office.staff("rita"), "Overdue")
    assert office.staff("sam") in str(escalation["Cc"])
    assert "APPROVE            approve; Ana Lopez gets a user account" in text_of(escalation)
