"""RFC 3676 format=flowed: soft line breaks are undone."""

from __future__ import annotations

from mailbox.flowed import unflow


def test_a_line_ending_in_a_space_continues_on_the_next():
    assert unflow("DENY the activity is a \nsales pitch\nThanks") == (
        "DENY the activity is a sales pitch\nThanks"
    )


def test_delsp_removes_the_space_at_the_soft_break():
    assert unflow("super\u00adcali \nfragilistic", delsp=True) == "super\u00adcalifragilistic"


def test_quoted_paragraphs_only_join_at_the_same_depth():
    assert unflow("> one \n> two\n>> three") == "> one two\n>> three"


def test_space_stuffing_is_removed_and_the_signature_separator_stays_a_line():
    assert unflow(" >not a quote\n-- \nJane") == ">not a quote\n-- \nJane"
