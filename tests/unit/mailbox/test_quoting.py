"""trim_reply keeps what the sender wrote in this reply, nothing quoted."""

from __future__ import annotations

from mailbox.html_text import QUOTE_BOUNDARY
from mailbox.quoting import REPLY_MARKER, trim_reply

from tests.linear import grows_linearly

OURS = "Reply with APPROVE on the first line.\n"


def test_text_above_an_on_date_wrote_attribution_is_kept():
    text = f"APPROVE 6\n\nOn Mon, Nov 2, 2026 at 9:14 AM PDU <pdu@opi.example> wrote:\n> {OURS}"
    assert trim_reply(text) == "APPROVE 6"


def test_approve_inside_the_quote_is_not_part_of_the_new_text():
    text = "I will look tomorrow.\n\nOn Mon, Nov 2, 2026, PDU wrote:\n> APPROVE\n> " + OURS
    assert trim_reply(text) == "I will look tomorrow."


def test_an_attribution_wrapped_over_two_lines_is_recognised():
    text = (
        "DENY late\n\nOn Mon, Nov 2, 2026 at 9:14 AM PDU Workflows <pdu@opi.example>\nwrote:\n\n> x"
    )
    assert trim_reply(text) == "DENY late"


def test_attributions_in_other_languages_are_recognised():
    for attribution in (
        "Am 02.11.2026 um 09:14 schrieb PDU <pdu@opi.example>:",
        "Le lun. 2 nov. 2026 à 09:14, PDU <pdu@opi.example> a écrit :",
        "El lun, 2 nov 2026 a las 9:14, PDU (<pdu@opi.example>) escribió:",
        "Em seg., 2 de nov. de 2026 às 09:14, PDU <pdu@opi.example> escreveu:",
        "Op ma 2 nov. 2026 om 09:14 schreef PDU <pdu@opi.example>:",
        "Den 2 nov. 2026 kl. 09:14 skrev PDU <pdu@opi.example>:",
        "2026年11月2日(月) 9:14 PDU <pdu@opi.example>:",
    ):
        assert trim_reply(f"ACCEPT\n\n{attribution}\n\n> {OURS}") == "ACCEPT", attribution


def test_outlooks_from_sent_to_subject_block_ends_the_reply():
    text = (
        "REJECT the certificate is unsigned\n\nFrom: PDU <pdu@opi.example>\n"
        "Sent: Monday, November 2, 2026 9:14 AM\nTo: Jane\nSubject: [PA-2026-00042]\n\n" + OURS
    )
    assert trim_reply(text) == "REJECT the certificate is unsigned"


def test_original_message_and_forward_separators_end_the_reply():
    assert trim_reply("WITHDRAW\n\n-----Original Message-----\nAPPROVE") == "WITHDRAW"
    assert trim_reply("See below\n\n---------- Forwarded message ---------\nFrom: x") == "See below"


def test_our_own_reply_marker_ends_the_reply():
    assert REPLY_MARKER == "-- Reply above this line --"
    assert trim_reply(f"APPROVE\n{REPLY_MARKER}\nAPPROVE or DENY") == "APPROVE"


def test_the_html_converters_quote_boundary_ends_the_reply():
    assert trim_reply(f"INFO which dates?\n{QUOTE_BOUNDARY}\nOn Mon wrote:") == "INFO which dates?"


def test_a_signature_after_the_dash_dash_space_delimiter_goes():
    assert trim_reply("ACCEPT\n\n-- \nJane Reviewer\nOPI") == "ACCEPT"


def test_phone_signatures_are_removed():
    assert trim_reply("APPROVE\n\nSent from my iPhone") == "APPROVE"
    assert trim_reply("APPROVE\n\nVon meinem iPhone gesendet") == "APPROVE"
    assert trim_reply("APPROVE\n\nGet Outlook for Android") == "APPROVE"


def test_a_reply_written_below_the_quote_is_found():
    text = "On Mon, Nov 2, 2026 at 9:14 AM PDU <pdu@opi.example> wrote:\n> " + OURS + "\nDENY no"
    assert trim_reply(text) == "DENY no"


def test_a_forward_with_nothing_added_and_our_marker_gives_nothing():
    text = (
        "---------- Forwarded message ---------\nFrom: PDU\nDate: Mon\nTo: x\n\n"
        f"{REPLY_MARKER}\nAPPROVE"
    )
    assert trim_reply(text) == ""


def test_a_leading_quote_followed_by_text_is_kept_as_it_was_written():
    assert trim_reply("> question\n\nanswer") == "> question\n\nanswer"


def test_trailing_quotes_under_the_text_go():
    assert trim_reply("Thanks!\n\n> earlier text\n> more") == "Thanks!"


def test_a_code_block_is_not_mistaken_for_delimiters():
    text = "Here:\n```\n----\n> not a quote\n```\nDone"
    assert trim_reply(text) == text


def test_a_sentence_starting_with_on_is_not_an_attribution():
    text = "On Monday I talked to the provider.\nThey wrote the agenda themselves."
    assert trim_reply(text) == text


def test_windows_line_endings_are_normalised():
    assert trim_reply("APPROVE\r\n\r\n> quoted\r\n") == "APPROVE"


def test_empty_and_blank_input_give_empty_output():
    assert trim_reply("") == ""
    assert trim_reply(" \n\t\n") == ""


def test_a_huge_hostile_body_is_trimmed_in_linear_time():
    def trim(size: int) -> None:
        trim_reply(("On 1 2:00 x wrote\n" * size) + ("> " * 7 * size) + "\n" + ("a:" * 10 * size))

    assert grows_linearly(trim, 3000)


def test_header_like_lines_far_apart_are_not_a_header_block():
    text = (
        "To: all reviewers\nplease note\nthe new form\nis live\n"
        "From: Monday on\nit is\nrequired\nand\nDate: soon"
    )
    assert trim_reply(text) == text
