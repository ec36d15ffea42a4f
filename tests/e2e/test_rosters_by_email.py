"""A provider's roster by real email: a reply to the "activity recorded" email with the CSV
attached gets one answer, every problem by line, then (fixed) the count issued, while each
attendee's own mailbox receives their certificate. Strangers issue nothing; a CSV is read
nowhere else."""

from __future__ import annotations

from devmail import client as mail_client
from tests.e2e.test_provider_requests import BIG_SKY, approved_provider, fields, text_of, write

SUMMIT = {
    "Provider": BIG_SKY,
    "Title": "Fall Literacy Summit",
    "Description": "Two days of structured literacy for K-3 teachers.",
    "Start date": "2026-11-16",
    "End date": "2026-11-17",
    "Hours": "12",
    "Format": "In person",
    "Location": "Helena, MT",
}
HEADER = "first_name,last_name,email,license_number,hours\r\n"


def rows(domain: str) -> str:
    return (
        f"Maria,Running Crane,maria@school.{domain},123456,12\r\n"
        f"Nguyễn Thị,Minh Khai,khai@school.{domain},234567,6.5\r\n"
        f"Александра,Кузнецова,sasha@school.{domain},456789,2\r\n"
    )


def csv_file(text: str) -> list[tuple[str, str, bytes]]:
    return [("roster.csv", "text/csv", text.encode("utf-8-sig"))]


def test_a_reply_with_the_roster_gets_its_problems_by_line_then_the_count_issued(office):
    manager = f"jdoe@bigsky.{office.domain}"
    approved_provider(office, manager)
    write(office, manager, "Activity report", fields(**SUMMIT))
    office.cycle()
    recorded = office.last(manager, "Activity recorded")
    event_id = str(recorded["Subject"]).split("event ")[1].split(":")[0]

    bad = HEADER + rows(office.domain) + "Tom,Little Bear,not-an-address,345678,3\r\n"
    bad += f"Ann,Lee,ann@school.{office.domain},567890,40\r\n"
    office.reply(recorded, manager, "The roster is attached.", files=csv_file(bad))
    office.cycle()
    [refused] = [m for m in office.inbox(manager) if "Roster not accepted" in str(m["Subject"])]
    body = text_of(refused)
    assert "it has 2 problems" in body
    assert "line 5: email 'not-an-address' is not a valid address" in body
    assert "line 6: hours 40 is more than the event's 12" in body
    assert office.inbox(f"maria@school.{office.domain}") == []

    office.reply(refused, manager, "Fixed.", files=csv_file(HEADER + rows(office.domain)))
    office.cycle()
    office.cycle()
    [done] = [m for m in office.inbox(manager) if "certificate(s) issued" in str(m["Subject"])]
    assert str(done["Subject"]).startswith(f"3 certificate(s) issued for event {event_id}")
    assert "3 certificate(s) were issued" in text_of(done)
    for person in ("maria", "khai", "sasha"):
        [award] = office.inbox(f"{person}@school.{office.domain}")
        [(name, pdf)] = mail_client.attachments(award)
        assert name.endswith(".pdf") and pdf.startswith(b"%PDF")


def test_a_roster_from_a_stranger_issues_nothing_and_says_why(office):
    manager = f"jdoe@bigsky.{office.domain}"
    stranger = f"someone@elsewhere.{office.domain}"
    approved_provider(office, manager)
    write(office, manager, "Activity report", fields(**SUMMIT))
    office.cycle()
    recorded = office.last(manager, "Activity recorded")
    forwarded = mail_client.compose_reply(
        recorded, stranger, "Roster", files=csv_file(HEADER + rows(office.domain))
    )
    mail_client.send(office.server.smtp_port, forwarded)
    office.cycle()
    [refused] = office.inbox(stranger)
    assert "is not one for event" in text_of(refused)
    assert office.inbox(f"maria@school.{office.domain}") == []
