"""Staff absences by real email (Dovecot IMAP + SMTP): AWAY / BACK to the office address,
and Outlook's and Gmail's out-of-office replies to a task email."""

from __future__ import annotations

import json
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from flows import jobs
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

PDU = str(Path(sys.executable).parent / "pdu")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"


def pdu_json(*args: str) -> object:
    done = subprocess.run([PDU, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def staff(address: str) -> dict:
    return next(r for r in pdu_json("staff", "list") if r["email"] == address)  # type: ignore[union-attr]


def assignee(reference: str) -> str:
    return pdu_json("case", "show", reference)["assignee"]  # type: ignore[index]


@pytest.fixture
def supervised(office):
    from models.services.staff import set_staff

    with UnitOfWork() as work:
        set_staff(work.session, office.staff("rita"), supervisor=office.staff("sam"))
        work.commit()
    return office


def submit(office, instant: str, email: str) -> str:
    office.at(instant)
    form = preapproval(email, activity__start_date="2027-01-11", activity__end_date="2027-01-12")
    result = jobs.intake("preapproval", form)
    assert result.ok, result.problems
    return result.reference


def write(office, sender: str, text: str) -> None:
    """A fresh message (not a reply) to the office address."""
    message = EmailMessage()
    message["From"], message["To"] = sender, office.system
    message["Subject"] = "Leave"
    message["Message-ID"] = make_msgid(domain=office.domain)
    message.set_content(text + "\n")
    with smtplib.SMTP("127.0.0.1", office.server.smtp_port, timeout=10) as client:
        client.send_message(message)


def auto_reply(office, fixture: str, task_email, sender: str) -> None:
    """The fixture, addressed as the reviewer's mail server would answer our task email."""
    raw = (FIXTURES / fixture).read_bytes()
    reference = str(task_email["Subject"]).split("]")[0] + "]"
    for old, new in (
        ("jane.reviewer@opi.example", sender),
        ("pdu+k7xq2m4vwp3n5r6s7t2u3v4w5x@opi.example", str(task_email["Reply-To"])),
        ("<3f2a9c1e0b7d4e5f8a6b2c9d1e0f3a4b@opi.example>", str(task_email["Message-ID"])),
        ("[PA-2026-00042]", reference),
        ("<oof.", f"<oof.{make_msgid()[1:9]}."),  # a new Message-ID for each sending
        ("<CAGm3qMV", f"<CA{make_msgid()[1:9]}"),
    ):
        raw = raw.replace(old.encode(), new.encode())
    with smtplib.SMTP("127.0.0.1", office.server.smtp_port, timeout=10) as client:
        client.sendmail(sender, [str(task_email["Reply-To"])], raw)


@pytest.mark.parametrize(
    ("fixture", "last_day"),
    [("out_of_office_outlook.eml", "2026-12-28"), ("out_of_office_gmail.eml", "2026-12-20")],
)
def test_an_out_of_office_reply_records_the_reviewer_away_and_moves_what_falls_due(
    supervised, fixture, last_day
):
    office = supervised
    rita, sam = office.staff("rita"), office.staff("sam")
    soon = submit(office, "2026-12-07T16:00:00Z", "one@" + office.domain)  # due 12-16
    later = submit(office, "2026-12-18T16:00:00Z", "two@" + office.domain)  # due 12-30
    office.cycle()
    soon_task, later_task = office.last(rita, f"[{soon}]"), office.last(rita, f"[{later}]")
    rita_had = len(office.inbox(rita))

    office.at("2026-12-18T17:00:00Z")
    auto_reply(office, fixture, soon_task, rita)
    office.cycle()
    assert staff(rita)["away_until"] == last_day
    assert (assignee(soon), assignee(later)) == (sam, rita)
    handed = office.last(sam, f"[{soon}] Handed over to you")
    assert f"{rita} is away until {last_day}" in handed.get_body(("plain",)).get_content()
    [notice] = [m for m in office.inbox(sam) if "is away until" in str(m["Subject"])]
    assert "Rita Reviewer" in str(notice["Subject"])

    # Her responder answers the other task email too: nothing more happens.
    office.at("2026-12-18T18:00:00Z")
    auto_reply(office, fixture, later_task, rita)
    office.cycle()
    assert assignee(later) == rita
    assert len([m for m in office.inbox(sam) if "is away until" in str(m["Subject"])]) == 1
    assert len(office.inbox(rita)) == rita_had  # never a reply to an auto-reply
    view = pdu_json("case", "show", soon)
    assert [e["action"] for e in view["timeline"]].count("reassigned") == 1  # type: ignore[index]


def test_away_until_and_back_by_email_to_the_office_address(supervised):
    office = supervised
    rita, sam = office.staff("rita"), office.staff("sam")
    reference = submit(office, "2026-12-07T16:00:00Z", "one@" + office.domain)  # due 12-16
    office.cycle()

    office.at("2026-12-14T16:00:00Z")
    write(office, rita, "AWAY UNTIL 2026-12-28\n\nFamily visit.")
    office.cycle()
    assert staff(rita)["away_until"] == "2026-12-28"
    assert assignee(reference) == sam
    recorded = office.last(rita, "You are recorded as away until")
    assert "1 task(s) due before you return" in recorded.get_body(("plain",)).get_content()
    assert office.last(sam, "is away until")

    office.at("2026-12-15T16:00:00Z")
    write(office, rita, "Back")
    office.cycle()
    assert staff(rita)["away_until"] is None
    assert office.last(rita, "Welcome back")


def test_away_from_someone_not_on_the_staff_or_with_a_bad_date_changes_nothing(supervised):
    office = supervised
    rita = office.staff("rita")
    office.at("2026-12-14T16:00:00Z")
    write(office, "mallory@" + office.domain, "AWAY UNTIL 2026-12-28")
    write(office, rita, "AWAY UNTIL the new year")
    office.cycle()
    assert staff(rita)["away_until"] is None
    error = office.last(rita, "")
    assert "AWAY UNTIL 2026-12-28" in error.get_body(("plain",)).get_content()


def test_without_a_dmarc_pass_away_by_email_is_refused_when_the_office_requires_it(
    supervised, monkeypatch
):
    from models.settings import reset_settings

    office = supervised
    rita = office.staff("rita")
    monkeypatch.setenv("PDU_TRUSTED_AUTHSERV_ID", "mx." + office.domain)
    reset_settings()
    office.at("2026-12-14T16:00:00Z")
    write(office, rita, "AWAY UNTIL 2026-12-28")
    office.cycle()
    assert staff(rita)["away_until"] is None
    assert "DMARC" in office.last(rita, "").get_body(("plain",)).get_content()


def test_a_deactivated_reviewer_can_no_longer_decide_by_email(supervised):
    office = supervised
    rita, sam = office.staff("rita"), office.staff("sam")
    reference = submit(office, "2026-12-07T16:00:00Z", "one@" + office.domain)
    office.cycle()
    task = office.last(rita, f"[{reference}]")
    subprocess.run([PDU, "staff", "deactivate", rita], check=True, capture_output=True)
    office.reply(task, rita, "APPROVE")
    office.cycle()
    view = pdu_json("case", "show", reference)
    assert view["status"] == "in_review"  # type: ignore[index]
    assert view["assignee"] == sam  # type: ignore[index]
