"""Property: whatever arrives, `receive` records an outcome on a real database, and the
outcome is never `error` (an internal error is our bug, never the sender's).

Messages are arbitrary bytes, or plausible replies mangled on purpose: real and
look-alike tokens, spoofed and broken From fields, robots' headers, odd charsets and
transfer encodings, nested multiparts and attachments, then bytes cut or flipped. Every
distinct message adds exactly one InboundMessage row; the same bytes again add none and
give the recorded outcome back.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.enums import InboundOutcome
from tests.inbound_support import JANE, PDF, PNG, RITA, SYSTEM, ZIP, Desk, reply, token_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

CHARSETS = [
    "utf-8", "iso-8859-1", "windows-1252", "big5", "shift_jis", "utf-16", "utf-7", "us-ascii",
    "x-no-such-charset", "", "idna", "punycode", "unicode-escape", "rot13", '"utf-8', "utf-8*en",
]  # fmt: skip
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", ""]
LEAF_TYPES = [
    "text/plain", "text/html", "application/pdf", "application/json", "image/png",
    "application/zip", "message/delivery-status", "text/rfc822-headers", "message/rfc822",
    "application/pgp-signature", "bogus", "text/",
]  # fmt: skip
MULTIPART = ["mixed", "mixed", "alternative", "alternative", "related", "digest", "report"]
FIRST_LINES = [
    "APPROVE", "APPROVE 6", "APPROVE 99999", "approve.", "DENY", "DENY not structured",
    "INFO which days?", "REASSIGN sam@opi.example", "REASSIGN nobody", "ACCEPT", "REJECT x",
    "WITHDRAW", "Thanks!", "", "> APPROVE", "-- Reply above this line --", "\u200bAPPROVE",
    "*APPROVE*", "APPROVE\u00a06", "Educator email: jane@school.example",
]  # fmt: skip
ROBOT_HEADERS = [
    ("Auto-Submitted", "auto-replied"), ("Auto-Submitted", "no"), ("Precedence", "bulk"),
    ("X-Autoreply", "yes"), ("List-Id", "<staff.opi.example>"), ("X-PDU-Loop", "opi.example"),
    ("Return-Path", "<>"), ("Authentication-Results", "mx.opi.example; dmarc=pass"),
    ("Date", "Mon, 99 Foo 99999 99:99:99 +9999"), ("Date", "Mon, 23 Nov 2026 09:12:00 -0700"),
    ("Content-Transfer-Encoding", "base64"), ("MIME-Version", "9.9"),
]  # fmt: skip


def _encoded_word(text: str, charset: str, q: bool) -> str:
    try:
        data = text.encode(charset or "utf-8")
    except (LookupError, UnicodeError):
        data = text.encode("utf-8", "surrogatepass")
    if q:
        return f"=?{charset}?Q?{quopri.encodestring(data, header=True).decode('ascii')}?="
    return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="


words = st.text(max_size=30)
charsets = st.sampled_from(CHARSETS)
encoded_words = st.builds(_encoded_word, words, charsets, st.booleans())


@st.composite
def senders(draw: st.DrawFn) -> str:
    """Mostly the parties the tokens were issued to, in a valid field; sometimes not."""
    people = [RITA, RITA, JANE, JANE, "Rita@OPI.example", "stranger@x.example"]
    robots = ["pdu@opi.example", "mailer-daemon@x.example"]
    address = draw(st.sampled_from(people * 3 + robots))
    if draw(st.booleans()):
        return draw(st.sampled_from([address, f"Rita Reviewer <{address}>"]))
    return draw(
        st.sampled_from(
            [
                f'"{RITA}" <{address}>',
                f"{draw(encoded_words)} <{address}>",
                f"{address}, {JANE}",
                f"<{address}",
                f"{address} (comment (nested (deep)))",
                draw(st.text(max_size=40)),
                "",
            ]
        )
    )


@st.composite
def leaf_parts(draw: st.DrawFn) -> bytes:
    content_type = draw(st.sampled_from(LEAF_TYPES))
    charset = draw(charsets)
    encoding = draw(st.sampled_from(ENCODINGS))
    name = draw(
        st.sampled_from(
            [None, "proof.pdf", "../../etc/passwd.pdf", "form.json", "évaluation.pdf", "a\r\nb"]
        )
    )
    payload = draw(
        st.one_of(
            st.sampled_from([PDF, PNG, ZIP, b'{"educator": {"email": "jane@school.example"}}']),
            st.binary(max_size=200),
            st.lists(st.sampled_from(FIRST_LINES), max_size=4).map(
                lambda lines: "\n".join(lines).encode()
            ),
        )
    )
    if encoding == "base64":
        body = base64.encodebytes(payload)
    elif encoding == "quoted-printable":
        body = quopri.encodestring(payload)
    else:
        body = payload
    head = f"Content-Type: {content_type}; charset={charset}"
    if name is not None:
        style = draw(st.sampled_from(["plain", "rfc2231", "encoded-word"]))
        if style == "plain":
            head += f'; name="{name}"'
        elif style == "rfc2231":
            head += f"; name*=utf-8''{name.encode().hex('%')}"
        else:
            head += f'; name="{_encoded_word(name, charset, False)}"'
        head += "\r\nContent-Disposition: " + draw(st.sampled_from(["attachment", "inline", ""]))
    if encoding:
        head += f"\r\nContent-Transfer-Encoding: {encoding}"
    return head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body


def _multipart(kind: str, boundary: str, children: list[bytes]) -> bytes:
    head = f'Content-Type: multipart/{kind}; boundary="{boundary}"\r\n\r\n'.encode()
    inner = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
    return head + b"preamble\r\n" + inner + b"--" + boundary.encode() + b"--\r\n"


parts = st.recursive(
    leaf_parts(),
    lambda children: st.builds(
        _multipart,
        st.sampled_from(MULTIPART),
        st.sampled_from(["b1", "b2", "=_x", "b1", "", "a b"]),
        st.lists(children, min_size=0, max_size=3),
    ),
    max_leaves=6,
)


@st.composite
def plausible_messages(draw: st.DrawFn, recipients: list[str], references: list[str]) -> bytes:
    fields = [
        ("From", draw(senders())),
        ("To", draw(st.sampled_from(recipients))),
        ("Subject", draw(st.one_of(words, encoded_words, st.just("Re: [PA-2026-00001] Review")))),
    ]
    if draw(st.booleans()):
        fields.append(("Message-ID", draw(st.sampled_from(["<fixed@x.example>", "", "<>"]))))
    if draw(st.booleans()):
        fields.append(("In-Reply-To", draw(st.sampled_from(references))))
    if draw(st.integers(0, 3)) == 0:  # mostly people: the paths past the robot checks
        fields += draw(st.lists(st.sampled_from(ROBOT_HEADERS), max_size=2))
    fields += draw(
        st.lists(st.tuples(st.sampled_from(["X-A", "Cc", "References"]), words), max_size=2)
    )
    head = b"".join(
        f"{name}: {value}\r\n".encode("utf-8", "surrogateescape") for name, value in fields
    )
    raw = head + draw(parts)
    mangle = draw(st.sampled_from(["none", "none", "lf", "cut", "flip", "no-blank-line"]))
    if mangle == "lf":
        raw = raw.replace(b"\r\n", b"\n")
    elif mangle == "cut":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif mangle == "flip" and raw:
        index = draw(st.integers(0, len(raw) - 1))
        raw = raw[:index] + bytes([raw[index] ^ draw(st.integers(1, 255))]) + raw[index + 1 :]
    elif mangle == "no-blank-line":
        raw = raw.replace(b"\r\n\r\n", b"\r\n", 1)
    return raw


class Ledger:
    """What the property checks after each message: one row per distinct message."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.seen: dict[int, tuple[InboundOutcome, str]] = {}

    def check(self, raw: bytes) -> None:
        before = self.desk.inbound_count()
        result = self.desk.receive(raw)
        assert result.outcome is not InboundOutcome.ERROR, (result.reason, result.detail)
        assert isinstance(result.outcome, InboundOutcome) and result.reason
        if result.duplicate:
            assert self.seen[result.inbound_id] == (result.outcome, result.reason)
            assert self.desk.inbound_count() == before
        else:
            assert result.inbound_id not in self.seen
            assert self.desk.inbound_count() == before + 1
            self.seen[result.inbound_id] = (result.outcome, result.reason)
        again = self.desk.receive(raw)
        assert again.duplicate
        assert (again.inbound_id, again.outcome, again.reason) == (
            result.inbound_id,
            result.outcome,
            result.reason,
        )
        assert self.desk.inbound_count() == len(self.seen)
        row = self.desk.inbound(result.inbound_id)
        assert row.outcome == result.outcome.value and row.processed_at is not None


@pytest.fixture
def office(uow: object, monkeypatch: pytest.MonkeyPatch) -> tuple[Ledger, list[str], list[str]]:
    """A case in review (its tokens are real targets) and a ledger of what was received."""
    desk = Desk(monkeypatch)
    desk.submit()
    mails = desk.outbox()
    recipients = [SYSTEM, *(m.reply_to for m in mails if m.reply_to)]
    recipients += [f"pdu+{token_of(mails[0])[:-1]}a@opi.example", "pdu+@opi.example", "x@y"]
    references = [m.message_id for m in mails] + ["<unknown@opi.example>", "garbage"]
    return Ledger(desk), recipients, references


@PROPERTY
@given(raw=st.binary(max_size=4096))
def test_arbitrary_bytes_always_end_with_a_recorded_outcome(office, raw):
    ledger, _, _ = office
    ledger.check(raw)


@PROPERTY
@given(data=st.data())
def test_mangled_but_plausible_messages_always_end_with_a_recorded_outcome(office, data):
    ledger, recipients, references = office
    ledger.check(data.draw(plausible_messages(recipients, references)))


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.eml")))
def test_every_message_of_the_fixture_corpus_ends_with_a_recorded_outcome(office, name):
    ledger, _, _ = office
    ledger.check((FIXTURES / name).read_bytes())


def test_the_office_the_properties_run_in_acts_on_a_real_reply(office):
    """Its tokens are real targets, not decoration: a reviewer's APPROVE applies."""
    ledger, _, _ = office
    ledger.check(reply(ledger.desk.last("review_task", RITA), RITA, "APPROVE").as_bytes())
    assert list(ledger.seen.values()) == [(InboundOutcome.APPLIED, "approve")]
