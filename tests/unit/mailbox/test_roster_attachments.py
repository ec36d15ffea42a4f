"""A roster by email: the CSV is found for the roster rule only; the attachment rules stay
as they are for everything else (a CSV is refused like any other type)."""

from __future__ import annotations

from email.message import EmailMessage
from mailbox.attachments import TYPE_REFUSED
from mailbox.parse import csv_files, parse_message

LIMITS = {"max_bytes": 10_000_000, "max_attachment_bytes": 5_000_000,
          "max_total_attachment_bytes": 8_000_000}  # fmt: skip


def message(*files: tuple[str, str, bytes]) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "a@b.example", "pdu@opi.example", "Roster for event 12"
    m.set_content("Attached.")
    for name, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def test_the_roster_rule_finds_a_csv_by_its_type_or_its_name() -> None:
    raw = message(
        ("roster.csv", "text/csv", b"first_name\r\nA\r\n"),
        ("export.csv", "application/octet-stream", b"x,y\r\n"),
        ("list", "application/vnd.ms-excel", b"a;b\r\n"),
    )
    assert [name for name, _ in csv_files(raw, max_bytes=1000)] == [
        "roster.csv", "export.csv", "list"
    ]  # fmt: skip


def test_a_pdf_or_a_zip_named_csv_is_not_a_roster_and_a_large_one_is_left_out() -> None:
    raw = message(
        ("roster.csv", "text/csv", b"%PDF-1.7 ..."),
        ("zipped.csv", "text/csv", b"PK\x03\x04..."),
        ("big.csv", "text/csv", b"x" * 2000),
    )
    assert csv_files(raw, max_bytes=1000) == []


def test_everywhere_else_a_csv_attachment_is_refused_as_before() -> None:
    parsed = parse_message(message(("roster.csv", "text/csv", b"a,b\r\n")), **LIMITS)
    assert parsed.attachments == ()
    assert [(a.filename, a.reason) for a in parsed.refused_attachments] == [
        ("roster.csv", TYPE_REFUSED)
    ]
