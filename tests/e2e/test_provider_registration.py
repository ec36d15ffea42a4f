"""Provider registrations by real email: apply, review, directory, account, welcome."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flows import jobs
from tests.e2e.forms import provider

PDU = str(Path(sys.executable).parent / "pdu")


def pdu_json(*args: str):
    done = subprocess.run([PDU, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def approve(office, reference: str) -> None:
    task = office.last(office.staff("rita"), reference)
    office.reply(task, office.staff("rita"), "APPROVE")
    office.cycle()


def test_an_approved_organisation_enters_the_directory_and_its_manager_gets_jdoe(office):
    manager = f"jdoe@bigsky.{office.domain}"
    result = jobs.intake("provider", provider(manager))
    assert result.ok, result.problems
    office.cycle()
    acknowledgment = office.last(manager, result.reference)
    assert "December 2, 2026" in text_of(acknowledgment)
    approve(office, result.reference)
    assert pdu_json("case", "show", result.reference)["status"] == "completed"
    welcome = office.last(manager, "approved PDU provider")
    body = text_of(welcome)
    assert "Username: JDoe" in body
    assert "password" in body.lower() and "one-time" in body
    [entry] = pdu_json("directory", "list", "--search", "big sky")
    assert (entry["name"], entry["kind"], entry["contact"]) == (
        "Big Sky Learning Collaborative",
        "educational_organization",
        manager,
    )

    second_manager = f"john.doe@yellowstone.{office.domain}"
    second = jobs.intake("provider", provider(second_manager, "Yellowstone Teacher Network"))
    office.cycle()
    approve(office, second.reference)
    assert "Username: JDoe2" in text_of(office.last(second_manager, "approved PDU provider"))


def test_an_organisation_already_in_the_directory_gets_access_instructions_not_a_review(office):
    subprocess.run(
        [
            PDU,
            "directory",
            "add",
            "Big Sky Learning Collaborative, Inc.",
            "--email",
            "pd@bigsky.example",
            "--kind",
            "educational_organization",
        ],
        check=True,
        capture_output=True,
    )
    manager = f"kim@bigsky.{office.domain}"
    result = jobs.intake("provider", provider(manager, "Big Sky Learning Collaborative"))
    office.cycle()
    assert pdu_json("case", "show", result.reference)["status"] == "redirected"
    [answer] = office.inbox(manager)
    body = text_of(answer)
    assert "already an approved" in answer["Subject"]
    for asked in ("name of the organization", "full name", "phone number", "email address"):
        assert asked in body
    assert office.inbox(office.staff("rita")) == []


def test_a_denied_registration_tells_the_manager_why(office):
    manager = f"pat@acme.{office.domain}"
    result = jobs.intake("provider", provider(manager, "Acme Classroom Supplies"))
    office.cycle()
    task = office.last(office.staff("rita"), result.reference)
    office.reply(task, office.staff("rita"), "DENY the sessions are product demonstrations")
    office.cycle()
    assert pdu_json("case", "show", result.reference)["status"] == "denied"
    assert "product demonstrations" in text_of(office.last(manager, result.reference))
    assert pdu_json("directory", "list") == []
