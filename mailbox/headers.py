"""Header values to text: unfolding, 8-bit bytes, RFC 2047 encoded-words, parameters.

Our own linear code rather than the stdlib's `email.header` / `Message.get_param`: those
raise on bogus charsets and the parameter parser is quadratic on hostile input.
"""

from __future__ import annotations

import binascii
import re
from mailbox.charsets import decode_text
from urllib.parse import unquote_to_bytes

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAK = re.compile(r"[\r\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
# Parameter tokens: a quoted string (possibly unterminated), other text, or a separator.
_PARAM_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[^;"]+|;', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_CONTINUATION = re.compile(r"^([^*]+)\*(\d{1,3})(\*?)$")
MAX_PARAMS = 64


def unfold(value: str) -> str:
    """Join folded lines (RFC 5322 §2.2.3); stray line breaks become spaces."""
    return _LINE_BREAK.sub(" ", _FOLD.sub("", value))


def raw_text(value: str) -> str:
    """A header value as the parser stored it (8-bit bytes as surrogates) to real text."""
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = value.encode("utf-8", "replace")
    return decode_text(data)


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded-words; whitespace between adjacent words is dropped.

    Adjacent words in one charset are decoded together: senders split multibyte
    characters across words.
    """
    pieces: list[str] = []
    pending: bytearray = bytearray()
    pending_charset = ""
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            pieces.append(decode_text(bytes(pending), pending_charset))
        pending = bytearray()
        pending_charset = ""

    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        adjacent = bool(pending) and not gap.strip()
        if not adjacent:
            flush()
            pieces.append(gap)
        charset = match.group(1).partition("*")[0].lower()
        if pending and charset != pending_charset:
            flush()
        pending += _decode_word(match.group(2), match.group(3))
        pending_charset = charset
        position = match.end()
    flush()
    pieces.append(text[position:])
    return "".join(pieces)


def _decode_word(encoding: str, payload: str) -> bytes:
    data = payload.encode("utf-8", "replace")
    if encoding in "bB":
        data = _NOT_BASE64.sub(b"", data)
        data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
        data += b"=" * (-len(data) % 4)
        try:
            return binascii.a2b_base64(data)
        except (binascii.Error, ValueError):
            return b""
    data = data.replace(b"_", b" ")
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def decode_header(value: str) -> str:
    """A header value as one line of readable text, control characters removed."""
    text = decode_words(raw_text(unfold(value)))
    return _CONTROL.sub(" ", text).strip()


def parse_params(value: str) -> tuple[str, dict[str, str]]:
    """`type/subtype; name=value; ...` to (main value, {lower-case name: value}).

    Handles quoted strings and RFC 2231 (`name*=charset'lang'%XX`, `name*0*=` pieces).
    Linear in len(value).
    """
    segments: list[str] = []
    current: list[str] = []
    for token in _PARAM_TOKEN.findall(value):
        if token == ";":
            segments.append("".join(current))
            current = []
        else:
            current.append(token)
    segments.append("".join(current))
    main = segments[0].strip()
    plain: dict[str, str] = {}
    extended: dict[str, str] = {}
    pieces: dict[str, dict[int, tuple[str, bool]]] = {}
    for segment in segments[1 : MAX_PARAMS + 1]:
        name, equals, raw_value = segment.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            continue
        text = _unquote(raw_value.strip())
        continued = _CONTINUATION.match(name)
        if continued:
            pieces.setdefault(continued.group(1), {})[int(continued.group(2))] = (
                text,
                bool(continued.group(3)),
            )
        elif name.endswith("*"):
            extended[name[:-1]] = _decode_extended([(text, True)])
        else:
            plain.setdefault(name, text)
    for name, numbered in pieces.items():
        extended.setdefault(name, _decode_extended([numbered[i] for i in sorted(numbered)]))
    return main, {**plain, **extended}


def _unquote(text: str) -> str:
    if text.startswith('"'):
        inner = text[1:-1] if len(text) > 1 and text.endswith('"') else text[1:]
        return _QUOTED_PAIR.sub(r"\1", inner)
    return text


def _decode_extended(pieces: list[tuple[str, bool]]) -> str:
    """RFC 2231 §4: the first encoded piece may start with charset'language'."""
    charset = ""
    data = bytearray()
    for index, (text, encoded) in enumerate(pieces):
        if encoded:
            if index == 0 and text.count("'") >= 2:
                charset, _, rest = text.split("'", 2)
                text = rest
            data += unquote_to_bytes(text.encode("utf-8", "surrogatepass"))
        else:
            data += text.encode("utf-8", "surrogatepass")
    return decode_text(bytes(data), charset or None)
