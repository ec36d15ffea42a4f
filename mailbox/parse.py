"""One raw inbound message to a `ParsedMessage`: pure, and it never raises anything but
`MessageRejected`, whatever the bytes.

The caps in `mailbox.limits` run first; then the stdlib parser with the compat32 policy
(raw header strings, no lazy header objects that parse on access), and our own decoding
of every header, charset and part, so that no malformed value can raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from enum import StrEnum
from mailbox.addresses import extract_addresses, parse_sender
from mailbox.attachments import Attachment, Candidate, RefusedAttachment, vet
from mailbox.charsets import decode_text
from mailbox.compose import LOOP_HEADER
from mailbox.flowed import unflow
from mailbox.headers import decode_header, decode_words, parse_params, raw_text, unfold
from mailbox.html_text import MAX_HTML_CHARS, html_to_text
from mailbox.limits import Limits, check_limits
from typing import cast

_MESSAGE_ID = re.compile(r"<([^<>\s]{1,990})>")
# C0 controls but tab and newline: PostgreSQL text refuses NUL, and none of them is text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")
# Parts that carry no content for us: signatures and the control part of encrypted mail.
_IGNORED_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-encrypted",
}
_RECIPIENT_FIELDS = ("delivered-to", "x-original-to", "envelope-to", "to", "cc")


class TextSource(StrEnum):
    PLAIN = "plain"
    HTML = "html"
    NONE = "none"


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None  # `<id@host>`; None when missing
    in_reply_to: str | None
    references: tuple[str, ...]
    from_address: str | None  # strict: None unless exactly one well-formed address
    from_display: str
    display_name_spoof: bool
    to: tuple[str, ...]
    cc: tuple[str, ...]
    recipients: tuple[str, ...]  # Delivered-To, X-Original-To, Envelope-To, To, Cc
    subject: str
    date: datetime | None  # aware; None when missing or malformed
    content_type: str  # of the whole message, lower case
    report_type: str | None  # multipart/report's report-type
    auto_submitted: str | None
    precedence: str | None
    x_autoreply: str | None
    x_autorespond: str | None
    list_id: str | None
    list_unsubscribe: str | None
    return_path: str | None
    loop: tuple[str, ...]  # values of our X-PDU-Loop header
    authentication_results: tuple[str, ...]  # all of them, topmost first
    text: str  # the best text body
    text_source: TextSource
    attachments: tuple[Attachment, ...]
    refused_attachments: tuple[RefusedAttachment, ...]
    delivery_status: str  # message/delivery-status part(s) as text; "" when none
    size: int


def parse_message(
    raw: bytes, *, max_bytes: int, max_attachment_bytes: int, max_total_attachment_bytes: int
) -> ParsedMessage:
    check_limits(raw, Limits(max_bytes=max_bytes))
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    fields = _Fields(message)
    content_type, params = _content_type(message)
    walk = _Walk()
    body = walk.body(message)
    attachments, refused = vet(
        walk.candidates,
        max_attachment_bytes=max_attachment_bytes,
        max_total_bytes=max_total_attachment_bytes,
    )
    from_values = fields.raw("from")
    sender = parse_sender(raw_text(from_values[0])) if len(from_values) == 1 else None
    to = _addresses(fields, "to")
    cc = _addresses(fields, "cc")
    recipients = tuple(
        dict.fromkeys(a for name in _RECIPIENT_FIELDS for a in _addresses(fields, name))
    )
    return ParsedMessage(
        message_id=_message_id(fields.first("message-id")),
        in_reply_to=_message_id(fields.first("in-reply-to")),
        references=_references(fields.first("references")),
        from_address=sender.address if sender else None,
        from_display=sender.display_name if sender else "",
        display_name_spoof=sender.display_name_spoof if sender else False,
        to=to,
        cc=cc,
        recipients=recipients,
        subject=fields.first("subject") or "",
        date=_date(fields.first("date")),
        content_type=content_type,
        report_type=(
            params.get("report-type", "").lower() if content_type == "multipart/report" else None
        ),
        auto_submitted=fields.first("auto-submitted"),
        precedence=fields.first("precedence"),
        x_autoreply=fields.first("x-autoreply"),
        x_autorespond=fields.first("x-autorespond"),
        list_id=fields.first("list-id"),
        list_unsubscribe=fields.first("list-unsubscribe"),
        return_path=fields.first("return-path"),
        loop=fields.all(LOOP_HEADER.lower()),
        authentication_results=fields.all("authentication-results"),
        text=body.text if body else "",
        text_source=body.source if body else TextSource.NONE,
        attachments=attachments,
        refused_attachments=refused,
        delivery_status="\n\n".join(walk.delivery_status),
        size=len(raw),
    )


class _Fields:
    """Header fields by lower-case name, in message order (topmost first)."""

    def __init__(self, message: Message) -> None:
        self._raw: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self._raw.setdefault(str(name).strip().lower(), []).append(str(value))

    def raw(self, name: str) -> list[str]:
        return self._raw.get(name, [])

    def first(self, name: str) -> str | None:
        values = self._raw.get(name)
        return decode_header(values[0]) if values else None

    def all(self, name: str) -> tuple[str, ...]:
        return tuple(decode_header(value) for value in self._raw.get(name, []))


def _addresses(fields: _Fields, name: str) -> tuple[str, ...]:
    found = (a for value in fields.raw(name) for a in extract_addresses(raw_text(value)))
    return tuple(dict.fromkeys(found))


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _MESSAGE_ID.search(value)
    if match:
        return f"<{match.group(1)}>"
    token = value.split()[0].strip("<>")[:990] if value.split() else ""
    return f"<{token}>" if token else None


def _references(value: str | None) -> tuple[str, ...]:
    found = (f"<{inner}>" for inner in _MESSAGE_ID.findall(value or ""))
    return tuple(dict.fromkeys(found))


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # RFC 5322 "-0000": the time is UTC, the sender's zone unknown.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first_raw(part: Message, name: str) -> str | None:
    for key, value in part.raw_items():
        if str(key).strip().lower() == name:
            return str(value)
    return None


def _content_type(part: Message) -> tuple[str, dict[str, str]]:
    """The type as the stdlib's parser saw it (limits.py checked that call), our parameters."""
    value = _first_raw(part, "content-type")
    params = parse_params(raw_text(unfold(value)))[1] if value is not None else {}
    return part.get_content_type(), params


def _disposition(part: Message) -> tuple[str, dict[str, str]]:
    value = _first_raw(part, "content-disposition")
    if value is None:
        return "", {}
    main, params = parse_params(raw_text(unfold(value)))
    return main.lower(), params


def _payload(part: Message) -> bytes:
    """The decoded bytes of a leaf part.

    Only `get_payload(decode=True)`: without `decode` the stdlib decodes 8-bit bodies with
    the declared charset itself and raises on some (idna, punycode, RFC 2231 tuples).
    """
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, UnicodeError):  # pragma: no cover - defensive
        return b""
    return data if isinstance(data, bytes) else b""


def _clean(text: str) -> str:
    return _CONTROL.sub("", _NEWLINES.sub("\n", text)).removeprefix("\ufeff")


@dataclass(frozen=True)
class _Body:
    text: str  # for TextSource.HTML not yet rendered: the HTML itself
    source: TextSource
    rendered: bool = True


class _Walk:
    """Visits the MIME tree once: picks the body text, collects attachment candidates."""

    def __init__(self) -> None:
        self.candidates: list[Candidate] = []
        self.delivery_status: list[str] = []
        self.html_budget = MAX_HTML_CHARS

    def body(self, message: Message) -> _Body | None:
        body = self._visit(message, parent_type="")
        return self._render(body) if body else None

    def _visit(self, part: Message, *, parent_type: str) -> _Body | None:
        content_type, params = _content_type(part)
        disposition, disposition_params = _disposition(part)
        name = disposition_params.get("filename") or params.get("name")
        filename = decode_words(name) if name else None
        if part.is_multipart():  # multiparts and nested messages: a list of Messages
            # (get_payload() is read only here: on a leaf it can raise, see _payload)
            children = cast(list[Message | str], part.get_payload())
            return self._visit_container(content_type, children, filename, parent_type)
        if parent_type == "multipart/report" and content_type != "text/plain":
            if content_type.endswith("delivery-status"):
                self.delivery_status.append(_clean(decode_text(_payload(part))))
            return None  # the report's machine-readable parts and returned message
        is_attachment = disposition == "attachment" or filename is not None
        if content_type in ("text/plain", "text/html") and not is_attachment:
            return _text_body(part, content_type, params)
        if content_type in _IGNORED_TYPES:
            return None
        inline = disposition == "inline" or (not disposition and parent_type == "multipart/related")
        self.candidates.append(Candidate(filename, content_type, _payload(part), inline))
        return None

    def _visit_container(
        self,
        content_type: str,
        children: list[Message | str],
        filename: str | None,
        parent_type: str,
    ) -> _Body | None:
        if content_type.endswith("delivery-status"):
            self.delivery_status.append(_flatten_fields(children))
            return None
        if not content_type.startswith("multipart/"):
            # A nested message (forwarded as an attachment, or returned in a report)
            # is neither our body nor opened for attachments.
            if parent_type != "multipart/report":
                self.candidates.append(Candidate(filename, content_type, b""))
            return None
        bodies = [
            body
            for child in children
            if isinstance(child, Message)
            and (body := self._visit(child, parent_type=content_type)) is not None
        ]
        if not bodies:
            return None
        if content_type == "multipart/alternative":
            # Plain text is what the sender typed; HTML only when it is all there is
            # (some clients send an empty plain part next to the real HTML one).
            plain = [b for b in bodies if b.source == TextSource.PLAIN and b.text.strip()]
            html = [b for b in bodies if b.source == TextSource.HTML and b.text.strip()]
            return (plain or html or bodies)[0]
        rendered = [self._render(body) for body in bodies]
        source = (
            TextSource.PLAIN
            if any(b.source == TextSource.PLAIN for b in rendered)
            else TextSource.HTML
        )
        return _Body("\n".join(b.text for b in rendered if b.text), source)

    def _render(self, body: _Body) -> _Body:
        if body.rendered:
            return body
        budget = self.html_budget
        self.html_budget = max(budget - len(body.text), 0)
        return _Body(html_to_text(body.text[:budget]) if budget else "", TextSource.HTML)


def _text_body(part: Message, content_type: str, params: dict[str, str]) -> _Body:
    text = _clean(decode_text(_payload(part), params.get("charset")))
    if content_type == "text/html":
        return _Body(text, TextSource.HTML, rendered=False)
    if params.get("format", "").lower() == "flowed":
        text = unflow(text, delsp=params.get("delsp", "").lower() == "yes")
    return _Body(text, TextSource.PLAIN)


def _flatten_fields(blocks: list[Message | str]) -> str:
    """message/delivery-status: the stdlib parses each block of fields as a Message."""
    texts = []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        lines = [f"{name}: {decode_header(str(value))}" for name, value in block.raw_items()]
        texts.append("\n".join(lines))
        if not block.is_multipart():  # global-delivery-status: later blocks are the body
            rest = _clean(decode_text(_payload(block))).strip()
            if rest:
                texts.append(rest)
    return "\n\n".join(texts)
