"""The last day away an out-of-office reply states, and the AWAY / BACK office commands."""

from __future__ import annotations

from datetime import date
from mailbox.classify import classify
from mailbox.commands import CommandError, OfficeCommand, parse_office_command
from mailbox.out_of_office import stated_return

import pytest

from tests.unit.mailbox.support import fixture, message, parse

TODAY = date(2026, 12, 14)


@pytest.mark.parametrize(
    ("text", "last_day"),
    [
        ("I am out of the office until November 9 with limited access.", date(2027, 11, 9)),
        ("Out of the office through Monday, December 28, 2026.", date(2026, 12, 28)),
        ("I'm on leave and back on 12/21; I will answer then.", date(2026, 12, 20)),
        ("Returning on Tuesday, January 5th.", date(2027, 1, 4)),
        ("Away until 2026-12-31.", date(2026, 12, 31)),
        ("I will be back in the office on 4 January 2027.", date(2027, 1, 3)),
        ("On leave thru Dec. 23", date(2026, 12, 23)),
        ("Back 01/04/27", date(2027, 1, 3)),
    ],
)
def test_the_return_date_an_auto_reply_states_is_found(text, last_day):
    assert stated_return(text, TODAY) == last_day


@pytest.mark.parametrize(
    "text",
    [
        "I am out of the office with limited access to email.",
        "Thanks for your message of December 10.",  # a date, but not of a return
        "Back on February 30.",  # not a date
    ],
)
def test_no_return_date_when_none_is_stated(text):
    assert stated_return(text, TODAY) is None


def test_outlook_and_gmail_auto_replies_are_auto_replies_not_reports():
    for name in ("out_of_office.eml", "out_of_office_outlook.eml", "out_of_office_gmail.eml"):
        found = classify(fixture(name), own_addresses={"pdu@opi.example"}, loop_header_value="x")
        assert found is not None and found.auto_reply, name


def test_a_read_receipt_or_a_bulk_mailing_is_automatic_but_not_an_auto_reply():
    for headers in ("Precedence: bulk", "Auto-Submitted: auto-generated"):
        parsed = parse(message("From: Jane <jane@school.example>\n" + headers))
        found = classify(parsed, own_addresses={"pdu@opi.example"}, loop_header_value="x")
        assert found is not None and not found.auto_reply


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("AWAY UNTIL 2026-12-28", OfficeCommand(date(2026, 12, 28))),
        ("away until 2026-12-28.\n\nSki trip", OfficeCommand(date(2026, 12, 28))),
        ("*Away through 2026-12-28*", OfficeCommand(date(2026, 12, 28))),
        ("AWAY 2026-12-28", OfficeCommand(date(2026, 12, 28))),
        ("BACK", OfficeCommand(None)),
        ("Back!", OfficeCommand(None)),
        ("\n\nback\n", OfficeCommand(None)),
    ],
)
def test_away_and_back_commands_are_read_from_the_first_line(text, command):
    assert parse_office_command(text) == command


@pytest.mark.parametrize("text", ["Back in a minute", "Hello, is anyone there?", "", "Awayday"])
def test_other_first_lines_are_not_office_commands(text):
    assert parse_office_command(text) is None


@pytest.mark.parametrize("text", ["AWAY", "AWAY UNTIL next week", "AWAY UNTIL 2026-02-30"])
def test_away_without_a_real_date_is_a_plain_words_error(text):
    with pytest.raises(CommandError, match="AWAY UNTIL 2026-12-28"):
        parse_office_command(text)
