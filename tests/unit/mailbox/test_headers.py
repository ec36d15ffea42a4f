"""Header values to text: unfolding, 8-bit bytes, encoded-words, parameters."""

from __future__ import annotations

from mailbox.headers import decode_header, decode_words, parse_params, raw_text, unfold


def test_folded_lines_are_joined():
    assert unfold("Re: a long\r\n subject") == "Re: a long subject"


def test_encoded_words_in_two_charsets_are_decoded():
    text = "=?utf-8?B?Q2Fmw6k=?= and =?iso-8859-1?q?caf=E9_au_lait?="
    assert decode_words(text) == "Café and café au lait"


def test_whitespace_between_adjacent_encoded_words_is_dropped():
    assert decode_words("=?utf-8?q?Jos?= =?utf-8?q?=C3=A9?=") == "José"


def test_a_character_split_across_two_encoded_words_survives():
    assert decode_words("=?UTF-8?B?5L2g5Q==?= =?UTF-8?B?pb0=?=") == "你好"


def test_a_bogus_charset_or_broken_base64_does_not_fail():
    assert decode_words("=?x-bogus?q?caf=C3=A9?=") == "café"
    assert decode_words("=?utf-8?B?####?=") == ""


def test_decoded_control_characters_cannot_break_a_header_line():
    assert decode_header("=?utf-8?q?a=0D=0ABcc:_evil@x.example?=") == "a  Bcc: evil@x.example"


def test_raw_8bit_utf8_in_a_header_is_read():
    assert raw_text("Jos\udcc3\udca9") == "José"


def test_parameters_with_quotes_and_escapes_are_parsed():
    main, params = parse_params('text/plain; charset="utf-8"; name="a \\"b\\".txt"; format=flowed')
    assert main == "text/plain"
    assert params == {"charset": "utf-8", "name": 'a "b".txt', "format": "flowed"}


def test_rfc2231_continuations_and_charsets_are_joined():
    value = "attachment; filename*0*=utf-8''%E2%82%AC%20rates; filename*1=\".pdf\""
    assert parse_params(value)[1]["filename"] == "€ rates.pdf"


def test_an_rfc2231_value_wins_over_the_plain_one():
    value = "attachment; filename=\"fallback.pdf\"; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"
    assert parse_params(value)[1]["filename"] == "résumé.pdf"


def test_a_semicolon_inside_quotes_does_not_split_parameters():
    assert parse_params('a/b; name="x;y"; z=1')[1] == {"name": "x;y", "z": "1"}


def test_an_unterminated_quote_takes_the_rest():
    assert parse_params('a/b; name="unterminated; z=1')[1] == {"name": "unterminated; z=1"}
