"""Every way a pre-approval request can end, seen from the mailboxes (real IMAP and SMTP)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows import jobs
from models.services.directory import add_provider
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

PDU = str(Path(sys.executable).parent / "pdu")


def case_json(reference: str) -> dict:
    done = subprocess.run(
        [PDU, "case", "show", reference, "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def seed_directory() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with UnitOfWork() as work:
        add_provider(
            work.session,
            "Big Sky Learning Collaborative, Inc.",
            "pd@bigsky.example",
            now,
            "educational_organization",
            "Morgan Hale",
        )
        add_provider(
            work.session,
            "Lame Deer School District No. 6",
            "hr@lamedeer.example",
            now,
            "school_district",
            "Terry Two Moons",
        )
        work.commit()


@pytest.mark.parametrize(
    ("changes", "status", "subject_part", "says"),
    [
        (
            {"educator__license_status": "none", "educator__license_number": None},
            "declined",
            "",
            "only for licensed Montana educators",
        ),
        ({"request_type": "pir"}, "redirected", "", "district"),
        ({"request_type": "micro_credential"}, "declined", "", "micro-credential"),
    ],
    ids=["not-licensed", "pir-goes-to-the-district", "micro-credential"],
)
def test_triage_answers_without_a_reviewer(office, changes, status, subject_part, says):
    result = jobs.intake("preapproval", preapproval(office.applicant, **changes))
    assert result.ok, result.problems
    office.cycle()
    assert case_json(result.reference)["status"] == status
    [answer] = office.inbox(office.applicant)
    assert result.reference in answer["Subject"]
    assert says.lower() in text_of(answer).lower()
    assert office.inbox(office.staff("rita")) == []  # never reached a reviewer


def test_an_approved_provider_gets_the_request_redirected_naming_its_contact(office):
    seed_directory()
    result = jobs.intake("preapproval", preapproval(office.applicant, employer="Harlem Schools"))
    office.cycle()
    view = case_json(result.reference)
    assert view["status"] == "redirected"
    assert any("Big Sky Learning Collaborative" in e["detail"] for e in view["timeline"])
    body = text_of(office.inbox(office.applicant)[0])
    assert "Morgan Hale" in body and "pd@bigsky.example" in body
    assert office.inbox(office.staff("rita")) == []


def test_a_district_that_is_an_approved_provider_gets_the_request(office):
    seed_directory()
    form = preapproval(
        office.applicant,
        employer="Lame Deer Public Schools",
        activity__provider="Northern Plains Teaching Institute",
    )
    result = jobs.intake("preapproval", form)
    office.cycle()
    assert case_json(result.reference)["status"] == "redirected"
    body = text_of(office.inbox(office.applicant)[0])
    assert "Terry Two Moons" in body and "hr@lamedeer.example" in body


def test_a_retroactive_request_is_flagged_for_the_reviewer(office):
    office.at("2026-12-08T16:00:00Z")  # the activity started 12-07
    form = preapproval(
        office.applicant, retroactive_reason="Our district approved it late; I applied at once."
    )
    result = jobs.intake("preapproval", form)
    assert result.ok, result.problems
    office.cycle()
    task = office.last(office.staff("rita"), "Review")
    assert "retroactive" in task["Subject"].lower()
    assert "approved it late" in text_of(task)
    assert case_json(result.reference)["retroactive"] is True


def test_a_denial_reaches_the_applicant_with_the_reason(office):
    result = jobs.intake("preapproval", preapproval(office.applicant))
    office.cycle()
    task = office.last(office.staff("rita"), "Review")
    office.reply(task, office.staff("rita"), "Deny: the institute is a sales presentation.")
    office.cycle()
    view = case_json(result.reference)
    assert view["status"] == "denied"
    denial = office.last(office.applicant, "")
    assert "the institute is a sales presentation" in text_of(denial)
    assert view["due_at"] is None and view["closed_at"] is not None


def test_the_applicant_can_withdraw_by_replying(office):
    result = jobs.intake("preapproval", preapproval(office.applicant))
    office.cycle()
    acknowledgment = office.last(office.applicant, result.reference)
    office.reply(acknowledgment, office.applicant, "WITHDRAW\n\nI can no longer attend.")
    office.cycle()
    assert case_json(result.reference)["status"] == "withdrawn"
    assert "withdrawn" in office.last(office.applicant, "")["Subject"].lower()
    # the reviewer's task is gone: a late APPROVE changes nothing
    office.reply(office.last(office.staff("rita"), "Review"), office.staff("rita"), "APPROVE")
    office.cycle()
    assert case_json(result.reference)["status"] == "withdrawn"


def test_an_approved_request_without_proof_is_reminded_then_expires(office):
    result = jobs.intake("preapproval", preapproval(office.applicant))
    office.cycle()
    office.reply(office.last(office.staff("rita"), "Review"), office.staff("rita"), "APPROVE")
    office.cycle()
    assert case_json(result.reference)["status"] == "awaiting_proof"
    # the activity ends Wed 12-09; five business days later: Wed 12-16, end of day
    office.at("2026-12-16T23:59:00Z")
    assert jobs.sweep().fired == {}
    office.at("2026-12-17T00:00:00Z")
    assert jobs.sweep().fired == {"proof_reminder": 1}
    assert jobs.sweep().fired == {}
    # expiry: 60 days after 17:00 MST on 12-09 (2026-12-10T00:00Z); last reminder a week before
    office.at("2027-01-31T23:59:00Z")
    assert jobs.sweep().fired == {}
    office.at("2027-02-01T00:00:00Z")
    assert jobs.sweep().fired == {"proof_last_reminder": 1}
    office.at("2027-02-07T23:59:00Z")
    assert jobs.sweep().fired == {}
    office.at("2027-02-08T00:00:00Z")
    assert jobs.sweep().fired == {"expired": 1}
    jobs.send()
    assert case_json(result.reference)["status"] == "expired"
    subjects = [m["Subject"] for m in office.inbox(office.applicant)]
    assert sum("proof" in s.lower() for s in subjects) >= 2
    assert "expired" in subjects[-1].lower()


def test_a_submission_by_email_with_a_json_form_is_acknowledged_with_the_answer_by_date(office):
    from email.message import EmailMessage

    from devmail import client as mail_client

    message = EmailMessage()
    message["From"] = office.applicant
    message["To"] = office.system
    message["Subject"] = "Pre-approval request"
    message["Message-ID"] = f"<form-1@school.{office.domain}>"
    message.set_content("Please find my request attached.")
    form = json.dumps(preapproval(office.applicant)).encode()
    message.add_attachment(form, maintype="application", subtype="json", filename="request.json")
    mail_client.send(office.server.smtp_port, message)
    mail_client.send(office.server.smtp_port, message)  # sent twice by mistake
    office.cycle()
    [ack] = office.inbox(office.applicant)
    assert "December 2, 2026" in text_of(ack)
    reference = ack["Subject"].split("]")[0].lstrip("[")
    assert case_json(reference)["status"] == "in_review"
    listed = subprocess.run(
        [PDU, "case", "list", "--json"], capture_output=True, text=True, check=True
    )
    assert len(json.loads(listed.stdout)) == 1
