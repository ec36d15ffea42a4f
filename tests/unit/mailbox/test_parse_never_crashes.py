"""Property: whatever the bytes, parsing ends in a ParsedMessage or MessageRejected, and
nothing downstream (trimming, the command grammar, classification) raises on the result.

`CommandError` is the command grammar's defined answer to a known verb with a bad
argument, so it counts as an outcome, not a crash.
"""

from __future__ import annotations

import base64
import contextlib
import quopri
from email import policy
from email.message import Message
from email.parser import BytesParser
from mailbox.classify import classify, dmarc_pass
from mailbox.commands import CommandError, parse_command
from mailbox.html_text import html_to_text
from mailbox.limits import Limits, MessageRejected, check_limits
from mailbox.parse import ParsedMessage, parse_message
from mailbox.quoting import trim_reply

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CAPS = {"max_bytes": 200_000, "max_attachment_bytes": 5_000, "max_total_attachment_bytes": 8_000}
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Codecs Python knows but that fail on arbitrary bytes (idna, punycode...) are the
# interesting ones: the stdlib's own get_payload() and get_boundary() raise on them.
CHARSETS = [
    "utf-8", "iso-8859-1", "windows-1252", "big5", "gb2312", "shift_jis", "utf-16", "utf-7",
    "us-ascii", "x-unknown", "bogus-charset", "base64", "rot13", "", "utf-8*en", '"utf-8"',
    "unicode-escape", "idna", "punycode", "idna", "punycode", "a\x00b",
]  # fmt: skip
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "gzip", ""]
TYPES = [
    "text/plain", "text/html", "text/rfc822-headers", "application/pdf", "application/json",
    "image/png", "image/jpeg", "application/zip", "message/delivery-status",
    "application/pgp-signature", "bogus", "text/", "/plain",
]  # fmt: skip
MULTIPART = ["mixed", "alternative", "related", "report", "digest", "signed", "bogus"]
NAMES = [
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Delivered-To", "X-Original-To", "Envelope-To", "Return-Path", "Auto-Submitted",
    "Precedence", "X-Autoreply", "List-Id", "List-Unsubscribe", "X-PDU-Loop",
    "Authentication-Results", "Content-Disposition", "X-Whatever",
]  # fmt: skip
PIECES = [
    "<", ">", "@", '"', "(", ")", ":", ";", ",", "\\", "=?", "?=", "\r\n ", "\n", "\t", " ",
    "a@b.example", "pdu+tok@opi.example", "reviewer@opi.example", "=?utf-8?q?x=40y.z?=",
    "=?bogus?B?////?=", "=?big5?B?pP2k5Q==?=", "mx.opi.example; dmarc=pass", "auto-replied",
    "filename*0*=utf-8''%E2%82", "name=\"../../x.pdf\"", "rfc822; x@y.example", "-0000", "\x00",
    "Mon, 2 Nov 2026 10:00:00 +0000", "31 Feb 99999 99:99", "é", "研", "\udcff", "＠",
]  # fmt: skip
TEXT_LINES = [
    "APPROVE 6", "DENY", "DENY reason", "INFO", "REASSIGN x", "approve six", "> APPROVE",
    "On Mon, Nov 2, 2026 at 9:14 AM PDU <pdu@opi.example> wrote:", "-- ", "--",
    "From: x", "Sent: y", "To: z", "Subject: w", "-----Original Message-----",
    "Sent from my iPhone", "```", "", ">", "2026-11-02 9:14 GMT+01:00 X <", "x@y>:",
    "-- Reply above this line --", "<div class=gmail_quote>", "<blockquote>", "<![<![", "<a",
]  # fmt: skip

header_value = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=12).map(
    "".join
)


# Mostly well-formed fields, so that the MIME structure below is reached.
header_name = st.one_of(
    st.sampled_from(NAMES),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8),
).filter(lambda name: ":" not in name)
one_line_value = header_value.map(lambda value: value.replace("\n", " ").replace("\r", " "))


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    value = one_line_value if draw(st.integers(0, 3)) else header_value
    return draw(st.lists(st.tuples(header_name, value), max_size=8))


# Parameters as senders write them, RFC 2231 forms and hostile charsets included.
PARAMETERS = [
    "charset={cs}", "charset*={cs}''%FF%FE", 'charset="{cs}"', "format=flowed", "delsp=yes",
    "name=\"../x.pdf\"", "name*0*={cs}''%E2%82; name*1*=%AC.pdf", "name==?{cs}?B?////?=",
    "report-type=delivery-status", 'charset="a\x00b"',
]  # fmt: skip


@st.composite
def parameters(draw: st.DrawFn, charset: str) -> str:
    chosen = draw(st.lists(st.sampled_from(PARAMETERS), max_size=3))
    return "".join(f"; {p.format(cs=charset)}" for p in chosen)


@st.composite
def body_bytes(draw: st.DrawFn, charset: str, encoding: str) -> bytes:
    text = "\n".join(draw(st.lists(st.one_of(st.sampled_from(TEXT_LINES), st.text(max_size=30)))))
    data = draw(st.one_of(st.just(text.encode("utf-8", "surrogatepass")), st.binary(max_size=200)))
    if encoding == "base64" and draw(st.booleans()):
        data = base64.encodebytes(data)
    elif encoding == "quoted-printable" and draw(st.booleans()):
        data = quopri.encodestring(data)
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return data[:cut] if draw(st.booleans()) else data


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    content_type = draw(st.sampled_from(TYPES))
    lines = [f"Content-Type: {content_type}{draw(parameters(charset))}"]
    if draw(st.booleans()):
        lines.append(f"Content-Transfer-Encoding: {encoding}")
    if draw(st.booleans()):
        disposition = draw(st.sampled_from(["attachment", "inline", "bogus"]))
        lines.append(f"Content-Disposition: {disposition}{draw(parameters(charset))}")
    head = "\n".join(lines).encode("utf-8", "surrogatepass")
    return head + b"\n\n" + draw(body_bytes(charset, encoding))


def multipart(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        boundary = draw(st.sampled_from(["b", "==b==", "a b", "", "--", "x" * 80]))
        subtype = draw(st.sampled_from(MULTIPART))
        declared = draw(
            st.sampled_from(
                [
                    f'boundary="{boundary}"',
                    f"boundary={boundary}",
                    'boundary="other"',
                    f"boundary*={draw(st.sampled_from(CHARSETS))}''{boundary}",
                    f"boundary*0={boundary}; boundary*1=x",
                ]
            )
        )
        parts = draw(st.lists(children, max_size=4))
        head = f"Content-Type: multipart/{subtype}; {declared}{draw(parameters('utf-8'))}"
        body = b"".join(b"--" + boundary.encode() + b"\n" + part + b"\n" for part in parts)
        closing = b"--" + boundary.encode() + b"--\n" if draw(st.booleans()) else b""
        return head.encode() + b"\n\npreamble\n" + body + closing

    return build()


def nested_message(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return children.map(lambda inner: b"Content-Type: message/rfc822\n\n" + inner)


mime_tree = st.recursive(
    leaf(),
    lambda children: st.one_of(
        multipart(children), multipart(children), multipart(children), nested_message(children)
    ),
    max_leaves=8,
)


@st.composite
def structured_message(draw: st.DrawFn) -> bytes:
    head = "\n".join(f"{name}: {value}" for name, value in draw(headers()))
    data = head.encode("utf-8", "surrogatepass") + b"\n" + draw(mime_tree)
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    return data.replace(b"\n", newline)


def check_downstream(parsed: ParsedMessage) -> None:
    trimmed = trim_reply(parsed.text)
    assert isinstance(trimmed, str)
    try:
        parse_command(trimmed)
    except CommandError as exc:
        assert exc.reason_code and exc.message
    classify(parsed, own_addresses={"pdu@opi.example"}, loop_header_value="opi.example")
    assert dmarc_pass(parsed, "mx.opi.example") in (True, False)


def parse_or_reject(raw: bytes) -> None:
    try:
        parsed = parse_message(raw, **CAPS)
    except MessageRejected as exc:
        assert exc.reason_code
        return
    assert isinstance(parsed, ParsedMessage)
    check_downstream(parsed)


@PROPERTY
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_parse_or_are_rejected(raw):
    parse_or_reject(raw)


@settings(PROPERTY, max_examples=250)
@given(structured_message())
def test_mangled_mime_messages_parse_or_are_rejected(raw):
    parse_or_reject(raw)


@PROPERTY
@given(st.lists(st.one_of(st.sampled_from(TEXT_LINES), st.text(max_size=40)), max_size=40))
def test_trim_reply_and_the_grammar_take_any_text(lines):
    trimmed = trim_reply("\n".join(lines))
    with contextlib.suppress(CommandError):
        parse_command(trimmed)


def shape(message: Message, depth: int = 1) -> tuple[int, int]:
    """(deepest level, number of Message objects) of what the stdlib built."""
    if not message.is_multipart():
        return depth, 1
    deepest, count = depth, 1
    for child in message.get_payload():
        child_depth, child_count = shape(child, depth + 1)
        deepest, count = max(deepest, child_depth), count + child_count
    return deepest, count


@settings(PROPERTY, max_examples=150)
@given(structured_message())
def test_the_scan_never_undercounts_what_the_parser_builds(raw):
    # Small caps so that they bite: when the scan lets a message through, the stdlib's
    # tree must be within them, or the scan and the parser disagree about structure.
    limits = Limits(max_bytes=200_000, max_depth=4, max_parts=10)
    try:
        check_limits(raw, limits)
    except MessageRejected:
        return
    depth, parts = shape(BytesParser(policy=policy.compat32).parsebytes(raw))
    assert depth <= limits.max_depth and parts <= limits.max_parts


MARKUP = [*TEXT_LINES, "<p>", "</div>", "&#", "<!--", "<a href='", "<![CDATA[", "<br/>"]


@PROPERTY
@given(st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=20))))
def test_html_to_text_takes_any_markup(pieces):
    assert isinstance(html_to_text("".join(pieces)), str)
