"""Bytes to text under whatever charset a message claims."""

from __future__ import annotations

from mailbox.charsets import codec_for, decode_text


def test_a_declared_charset_is_used_when_the_bytes_fit_it():
    assert decode_text("研習".encode("big5"), "Big5") == "研習"


def test_iso_8859_1_is_read_as_windows_1252_like_browsers_do():
    assert decode_text("“quoted” café".encode("cp1252"), "iso-8859-1") == "“quoted” café"


def test_utf8_mislabelled_as_us_ascii_is_still_read_as_utf8():
    assert decode_text("José".encode(), "us-ascii") == "José"


def test_an_unknown_charset_name_falls_back_without_failing():
    assert decode_text("Café".encode(), "x-made-up") == "Café"
    assert decode_text(b"Caf\xe9", "x-made-up") == "Café"


def test_bytes_to_bytes_codecs_are_not_charsets():
    assert codec_for("base64") is None
    assert codec_for("rot13") is None
    assert decode_text(b"aGVsbG8=", "base64") == "aGVsbG8="


def test_quoted_names_and_rfc2231_language_suffixes_are_understood():
    assert codec_for('"UTF-8"') == "utf-8"
    assert codec_for("utf-8*en") == "utf-8"


def test_bytes_invalid_in_every_candidate_still_decode():
    assert decode_text(b"\x81\x8d\xff", "utf-8")
    assert decode_text(b"\xff\xfe\x00", "idna")
