"""Email addresses: strict parsing of From, lenient extraction of recipients, redaction.

A command counts only when From is the party a token was issued to, so `parse_from` is
deliberately strict: one well-formed address or nothing. Two stdlib parsers must agree
(the legacy `getaddresses` has been tricked by crafted headers, CVE-2023-27043, and its
`strict=` fix only exists in newer patch releases), and an address-like display name that
differs from the real address is flagged.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from dataclasses import dataclass
from email.errors import ObsoleteHeaderDefect
from email.headerregistry import AddressHeader, HeaderRegistry
from email.utils import getaddresses
from functools import lru_cache
from mailbox.headers import decode_words, unfold
from typing import cast

MAX_FROM_LENGTH = 998  # RFC 5322's line limit; longer From fields are not mail clients'
MAX_NESTING = 5  # comments nested deeper make the stdlib parsers recurse without bound

_ATEXT = r"[\w!#$%&'*+/=?^`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_ADDR_SPEC = re.compile(rf"{_DOT_ATOM}@{_LABEL}(?:\.{_LABEL})+")
_ADDRESS_CHAR = r"[^\s<>\"'@()\[\],;:\\]"
_LOOKS_LIKE_ADDRESS = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.{_ADDRESS_CHAR}+")
_EXTRACT = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+")
_EXTRACT_IN_TEXT = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.[^\W_][\w-]*")
_STRICT_SUPPORTED = "strict" in inspect.signature(getaddresses).parameters
_REGISTRY = HeaderRegistry()


@dataclass(frozen=True)
class Sender:
    address: str  # lower-cased addr-spec
    display_name: str  # RFC 2047 decoded
    display_name_spoof: bool  # the display name shows an address other than `address`


def is_valid(address: str) -> bool:
    """A plain dot-atom addr-spec with a dotted domain: no quoted local parts, no literals."""
    return len(address) <= 254 and _ADDR_SPEC.fullmatch(address) is not None


def normalize(address: str) -> str:
    """Compare addresses this way: trimmed, angle brackets and mailto: dropped, lower case."""
    text = address.strip().strip("<>").strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.rstrip(".").lower()


def split_plus(address: str) -> tuple[str, str | None]:
    """`pdu+TOKEN@domain` to (`pdu@domain`, `token`); no or empty tag gives None."""
    normalized = normalize(address)
    local, at, domain = normalized.rpartition("@")
    if not at:
        return normalized, None
    base, plus, tag = local.partition("+")
    return f"{base}@{domain}", (tag or None) if plus else None


def redact(address: str) -> str:
    """For logs: `jane@school.example` to `j***@school.example`."""
    local, at, domain = normalize(address).rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def redact_text(text: str) -> str:
    """For logs and failure messages: every address-like word in free text redacted
    (`Key (email)=(jane@school.example)` → `Key (email)=(j***@school.example)`)."""
    return _EXTRACT_IN_TEXT.sub(lambda found: redact(found.group(0)), text)


def parse_sender(header_value: str) -> Sender | None:
    """The From field as received (encoded-words not yet decoded), strictly.

    None unless it holds exactly one well-formed address that both stdlib parsers read
    the same way.
    """
    # The office hears from the same few hundred people all day, and the two stdlib
    # parsers are a fifth of parsing a reply: remembered, for fields of a sane length.
    if len(header_value) <= 2 * MAX_FROM_LENGTH:
        return _remembered_sender(header_value)
    return _sender(header_value)


@lru_cache(maxsize=2048)
def _remembered_sender(header_value: str) -> Sender | None:
    return _sender(header_value)


def _sender(header_value: str) -> Sender | None:
    value = unfold(header_value).strip()
    if not value or len(value) > MAX_FROM_LENGTH or _nesting(value) > MAX_NESTING:
        return None
    legacy = _legacy_parse(value)
    modern = _modern_parse(value)
    if legacy is None or modern is None:
        return None
    address = legacy[1].lower()
    if modern[1].lower() != address or not is_valid(address):
        return None
    display_name = modern[0] or decode_words(legacy[0])
    return Sender(address, display_name, _spoofs(display_name, address))


def parse_from(header_value: str) -> str | None:
    """The single lower-cased address of a From field, or None (see `parse_sender`)."""
    sender = parse_sender(header_value)
    return sender.address if sender else None


def extract_addresses(header_value: str) -> tuple[str, ...]:
    """Every address-like token of an address-list field, normalised, first seen first.

    Lenient and linear: for recipient lists (token lookup, Cc), never for authorship.
    Quoted display names and comments are skipped first.
    """
    text = _strip_quotes_and_comments(unfold(header_value))
    seen: dict[str, None] = {}
    for match in _EXTRACT.finditer(text):
        seen.setdefault(normalize(match.group(0)), None)
    return tuple(seen)


def _legacy_parse(value: str) -> tuple[str, str] | None:
    try:
        # strict=True (3.11.10+) refuses what older releases misread; both are checked.
        pairs = getaddresses([value], strict=True) if _STRICT_SUPPORTED else getaddresses([value])
    except Exception:  # the legacy parser raises assorted errors on hostile input
        return None
    if len(pairs) != 1 or "@" not in pairs[0][1]:
        return None
    return pairs[0]


def _modern_parse(value: str) -> tuple[str, str] | None:
    try:
        header = _REGISTRY("From", value)
        # typeshed says BaseHeader; for "From" the registry makes an AddressHeader too.
        addresses = cast(AddressHeader, header).addresses
        defects = header.defects
    except Exception:  # the header registry raises assorted errors on hostile input
        return None
    # Obsolete syntax is common and harmless (`John Q. Public <jq@example.org>`).
    if any(not isinstance(defect, ObsoleteHeaderDefect) for defect in defects):
        return None
    if len(addresses) != 1:
        return None
    return addresses[0].display_name, addresses[0].addr_spec


def _spoofs(display_name: str, address: str) -> bool:
    # NFKC folds look-alikes such as the full-width ＠ into plain ASCII.
    folded = unicodedata.normalize("NFKC", display_name)
    return any(normalize(m) != address for m in _LOOKS_LIKE_ADDRESS.findall(folded))


def _nesting(value: str) -> int:
    depth = deepest = 0
    for char in value:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(depth - 1, 0)
    return deepest


def _strip_quotes_and_comments(text: str) -> str:
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth:
            pass
        elif char == '"':
            quoted = True
        else:
            out.append(char)
            continue
        out.append(" ")
    return "".join(out)
