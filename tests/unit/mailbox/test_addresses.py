"""Strict From parsing, lenient recipient extraction, plus-tags and redaction."""

from __future__ import annotations

from mailbox.addresses import (
    extract_addresses,
    is_valid,
    normalize,
    parse_from,
    parse_sender,
    redact,
    split_plus,
)


def test_a_single_address_with_a_display_name_is_lower_cased():
    assert parse_from('"Jane Doe" <Jane.Doe@School.example>') == "jane.doe@school.example"


def test_a_bare_address_and_an_obsolete_dotted_name_are_accepted():
    assert parse_from("jane@school.example") == "jane@school.example"
    assert parse_from("John Q. Public <jq@school.example>") == "jq@school.example"


def test_two_addresses_are_refused():
    assert parse_from("a@school.example, b@school.example") is None
    assert parse_from("Doe, Jane <jane@school.example>") is None


def test_empty_or_malformed_from_is_refused():
    assert parse_from("") is None
    assert parse_from("<>") is None
    assert parse_from("jane <jane@school.example") is None
    assert parse_from("undisclosed-recipients:;") is None


def test_the_parser_confusion_of_cve_2023_27043_is_refused():
    assert parse_from("alice@opi.example)<bob@evil.example>") is None


def test_a_quoted_local_part_is_refused():
    assert parse_from('"alice@opi.example"@evil.example') is None


def test_deeply_nested_comments_are_refused_instead_of_crashing():
    assert parse_from("(" * 500 + "a@b.example") is None
    assert parse_from("a:" * 400 + "b@c.example") is None


def test_a_display_name_showing_another_address_is_flagged_as_a_spoof():
    sender = parse_sender('"reviewer@opi.example" <attacker@x.example>')
    assert sender is not None
    assert sender.address == "attacker@x.example"
    assert sender.display_name_spoof


def test_an_encoded_display_name_is_decoded_before_the_spoof_check():
    sender = parse_sender("=?utf-8?q?reviewer=40opi=2Eexample?= <attacker@x.example>")
    assert sender is not None and sender.display_name == "reviewer@opi.example"
    assert sender.display_name_spoof


def test_a_full_width_at_sign_in_the_display_name_is_a_spoof_too():
    sender = parse_sender('"reviewer＠opi.example" <attacker@x.example>')
    assert sender is not None and sender.display_name_spoof


def test_a_display_name_repeating_the_real_address_is_not_a_spoof():
    sender = parse_sender('"Jane.Doe@school.example" <jane.doe@school.example>')
    assert sender is not None and not sender.display_name_spoof


def test_recipients_are_extracted_leniently_from_lists_and_display_names_skipped():
    value = '"Doe, Jane" <Jane@School.example>, pdu+tok@opi.example (the bot), x'
    assert extract_addresses(value) == ("jane@school.example", "pdu+tok@opi.example")


def test_recipient_extraction_survives_hostile_nesting():
    assert extract_addresses("(" * 10_000 + "a@b.example") == ()


def test_a_plus_tag_is_split_from_the_address():
    assert split_plus("PDU+Token123@OPI.example") == ("pdu@opi.example", "token123")
    assert split_plus("pdu@opi.example") == ("pdu@opi.example", None)
    assert split_plus("pdu+@opi.example") == ("pdu@opi.example", None)


def test_an_address_is_redacted_for_logs():
    assert redact("jane.doe@school.example") == "j***@school.example"
    assert redact("not an address") == "***"


def test_normalize_drops_brackets_mailto_and_case():
    assert normalize(" <MAILTO:Jane@School.Example> ") == "jane@school.example"


def test_validity_needs_a_dotted_domain_and_no_quotes():
    assert is_valid("jane.doe@school.example")
    assert not is_valid("jane@localhost")
    assert not is_valid("jane..doe@school.example")
    assert not is_valid('"jane"@school.example')
