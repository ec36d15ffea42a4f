"""Caps on raw bytes, checked before the stdlib parser sees them."""

from __future__ import annotations

from mailbox.limits import KIB, Limits, MessageRejected, check_limits

import pytest

from tests.linear import grows_linearly

LIMITS = Limits(max_bytes=1024 * KIB)


def nested(depth: int) -> bytes:
    head = b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n".encode() for i in range(depth)
    )
    tail = b"".join(f"--b{i}--\n".encode() for i in reversed(range(depth)))
    return b"From: a@b.example\n" + head + b"Content-Type: text/plain\n\nhi\n" + tail


def many_parts(count: int) -> bytes:
    parts = b"".join(b"--b\nContent-Type: text/plain\n\nx\n" for _ in range(count))
    return b"Content-Type: multipart/mixed; boundary=b\n\n" + parts + b"--b--\n"


def reason(raw: bytes, limits: Limits = LIMITS) -> str | None:
    try:
        check_limits(raw, limits)
    except MessageRejected as exc:
        return exc.reason_code
    return None


def test_a_message_within_every_cap_passes():
    assert reason(nested(3)) is None


def test_a_message_over_the_byte_cap_is_too_large():
    assert reason(b"x" * 2049, Limits(max_bytes=2048)) == "too_large"


def test_the_rejection_carries_a_reason_code_and_plain_words():
    with pytest.raises(MessageRejected) as caught:
        check_limits(b"x" * 10, Limits(max_bytes=5))
    assert caught.value.reason_code == "too_large"
    assert "limit is 5" in caught.value.detail


def test_one_header_field_over_64_kib_is_refused():
    assert reason(b"Subject: " + b"x" * (64 * KIB) + b"\n\nbody\n") == "header_too_large"


def test_a_field_folded_over_many_lines_counts_as_one_field():
    folded = b"Subject: start\n" + b" more words\n" * 7000
    assert reason(folded + b"\nbody\n") == "header_too_large"


def test_a_long_line_in_the_body_is_not_a_header():
    assert reason(b"Subject: x\n\n" + b"y" * (100 * KIB) + b"\n") is None


def test_too_many_header_fields_in_one_block_are_refused():
    assert reason(b"X-A: 1\n" * 1001 + b"\nbody\n") == "header_too_large"


def test_a_header_field_inside_a_part_is_checked_too():
    part = b"--b\nContent-Type: text/plain\nX-Junk: " + b"j" * (65 * KIB) + b"\n\nx\n--b--\n"
    assert reason(b"Content-Type: multipart/mixed; boundary=b\n\n" + part) == "header_too_large"


def test_a_long_multipart_content_type_is_refused_before_the_quadratic_parser_sees_it():
    field = b'Content-Type: multipart/mixed; boundary=b; x="' + b";" * 3000 + b'"\n'
    assert reason(field + b"\n--b\n\nx\n--b--\n") == "header_too_large"


def test_nesting_deeper_than_twenty_levels_is_refused():
    assert reason(nested(19)) is None
    assert reason(nested(20)) == "mime_too_deep"


def test_messages_attached_inside_messages_count_as_nesting():
    inner = b"Content-Type: message/rfc822\n\n" * 25
    assert reason(b"From: a@b.example\n" + inner + b"Subject: deep\n\nbody\n") == "mime_too_deep"


def test_more_than_two_hundred_parts_are_refused():
    assert reason(many_parts(198)) is None
    assert reason(many_parts(200)) == "too_many_parts"


def test_an_inner_part_ends_at_an_outer_boundary():
    raw = (
        b"Content-Type: multipart/mixed; boundary=outer\n\n"
        b"--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
        b"--inner\nContent-Type: text/plain\n\nx\n"
        b"--outer\nContent-Type: text/plain\n\ny\n--outer--\n"
    )
    # Three parts at most: had the scan kept "inner" open, depth would keep growing.
    assert reason(raw, Limits(max_bytes=KIB, max_parts=4, max_depth=3)) is None


def test_the_scan_is_linear_on_a_hostile_message():
    def scan(size: int) -> None:
        hostile = b"Content-Type: multipart/mixed; boundary=b\n\n" + b"--b\n\n" * 150
        assert reason(hostile + b"--c\n" * size, Limits(max_bytes=10 * 1024 * KIB)) is None

    assert grows_linearly(scan, 50_000)


def test_a_boundary_the_stdlib_cannot_decode_is_refused_as_malformed():
    raw = b"Content-Type: multipart/mixed; boundary*=idna''%FF%FEab\n\n--ab\n\nhi\n--ab--\n"
    assert reason(raw) == "mime_malformed"


def test_an_empty_boundary_still_opens_parts_whose_headers_are_checked():
    # Found by the property test: boundary="" makes "--" lines part separators.
    raw = (
        b'Content-Type: multipart/mixed; boundary=""\n\npreamble\n--\n'
        b"Content-Type: multipart/mixed; boundary*=idna''b\n\n"
    )
    assert reason(raw) == "mime_malformed"


def test_a_boundary_containing_a_colon_is_not_taken_for_a_header():
    part = b"--a:b\nContent-Type: multipart/mixed; boundary*=idna''x\n"
    raw = b'Content-Type: multipart/mixed; boundary="a:b"\n\n--a:b\nX: y\n' + part + b"\n--a:b--\n"
    assert reason(raw) == "mime_malformed"


def test_delivery_status_blocks_cannot_open_more_levels():
    # The stdlib parses each block as a message: a Content-Type there nests again.
    raw = (
        b"Content-Type: message/delivery-status\n\n"
        + b"Content-Type: message/delivery-status\n\n" * 3
    )
    assert reason(raw) == "mime_malformed"


def test_delivery_status_blocks_count_as_parts():
    raw = (
        b"Content-Type: message/delivery-status\n\n"
        + b"Final-Recipient: rfc822; a@b.example\n\n" * 250
    )
    assert reason(raw) == "too_many_parts"


def test_a_digests_parts_are_nested_messages_by_default():
    raw = b"Content-Type: multipart/digest; boundary=d\n\n" + b"--d\n\n" * 1 + b"--d--\n"
    nested = (
        b"Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
        + b"Content-Type: message/rfc822\n\n" * 25
    )
    assert reason(raw) is None
    assert reason(nested) == "mime_too_deep"
