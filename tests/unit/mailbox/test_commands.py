"""The command grammar: the first non-blank line of the new text."""

from __future__ import annotations

from decimal import Decimal
from mailbox.commands import HELP_TEXT, Command, CommandError, Verb, parse_command

import pytest


def error(text: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    return caught.value


def test_approve_alone_approves_the_hours_requested():
    assert parse_command("APPROVE") == Command(Verb.APPROVE, None, None, "")


def test_approve_with_hours_accepts_whole_and_decimal_numbers():
    assert parse_command("APPROVE 6").hours == Decimal("6")
    assert parse_command("approve 6.5 hours").hours == Decimal("6.5")
    assert parse_command("Approve 6,5").hours == Decimal("6.5")


def test_case_bold_stars_spaces_and_trailing_punctuation_are_tolerated():
    assert parse_command("  **Approve.**  ").verb is Verb.APPROVE
    assert parse_command("*ACCEPT!*").verb is Verb.ACCEPT
    assert parse_command("\u200bwithdraw").verb is Verb.WITHDRAW
    assert parse_command("DENY: not eligible").argument == "not eligible"
    assert parse_command("*DENY* not eligible").argument == "not eligible"


def test_the_first_non_blank_line_is_the_command_and_the_rest_the_comment():
    command = parse_command(
        "\n\n  \nDENY the activity is a sales presentation\n\nSee ARM 10.57.215."
    )
    assert command == Command(
        Verb.DENY, "the activity is a sales presentation", None, "See ARM 10.57.215."
    )


def test_deny_without_a_reason_is_an_error_in_plain_words():
    caught = error("DENY")
    assert caught.reason_code == "reason_required"
    assert caught.message == "DENY needs a reason, e.g. DENY the activity is a sales presentation"
    assert error("deny.").reason_code == "reason_required"


def test_info_needs_a_question_and_reject_a_reason():
    assert error("INFO").reason_code == "question_required"
    assert error("REJECT ?").reason_code == "reason_required"
    assert parse_command("INFO Which dates?").argument == "Which dates?"
    assert parse_command("REJECT the certificate is unsigned").argument == (
        "the certificate is unsigned"
    )


def test_approve_with_something_other_than_a_number_is_an_error():
    assert error("APPROVE six").reason_code == "hours_invalid"
    assert error("APPROVE 0").reason_code == "hours_invalid"
    assert error("APPROVE -3").reason_code == "hours_invalid"
    assert error("APPROVE 1,000").reason_code == "hours_invalid"
    assert error("APPROVE 5000").reason_code == "hours_invalid"


def test_reassign_takes_an_address_in_any_usual_spelling():
    assert parse_command("REASSIGN jane.doe@opi.example").argument == "jane.doe@opi.example"
    assert parse_command("reassign to <Jane.Doe@OPI.example>.").argument == "jane.doe@opi.example"
    assert parse_command("REASSIGN Jane Doe <jane@opi.example>").argument == "jane@opi.example"


def test_reassign_without_a_valid_address_is_an_error():
    assert error("REASSIGN").reason_code == "address_required"
    assert error("REASSIGN Jane").reason_code == "address_invalid"


def test_a_verb_without_an_argument_followed_by_words_is_a_sentence_not_a_command():
    assert parse_command("Withdraw the second session from the agenda, please") is None
    assert parse_command("Accept my apologies for the delay") is None


def test_an_unknown_first_line_is_not_a_command():
    assert parse_command("Approved!") is None
    assert parse_command("Thanks, looks good") is None
    assert parse_command("") is None


def test_approve_inside_the_quote_is_not_a_command():
    assert parse_command("> APPROVE\n\nI will look tomorrow") is None


def test_the_help_text_lists_every_command():
    for verb in Verb:
        assert verb.value in HELP_TEXT
