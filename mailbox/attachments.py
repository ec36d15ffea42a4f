"""Attachments: type by content (magic bytes), safe file names, the allow-list and caps.

Only PDF, JPEG and PNG (proof of completion) and JSON (forms) are accepted, and the
decision is made on the bytes, never on the name or the declared type: a ZIP or an
executable renamed `certificate.pdf` is refused.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
JSON = "application/json"
ZIP = "application/zip"
EXE = "application/x-msdownload"
ELF = "application/x-executable"
UNKNOWN = "application/octet-stream"
ALLOWED_TYPES = frozenset({PDF, JPEG, PNG, JSON})

TYPE_REFUSED = "attachment_type_refused"
TOO_LARGE = "attachment_too_large"
TOTAL_TOO_LARGE = "attachments_total_too_large"

MAX_FILENAME_CHARS = 120
MAX_FILENAME_BYTES = 200
_EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", JSON: ".json"}
_KNOWN_EXTENSIONS = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    PNG: (".png",),
    JSON: (".json",),
}
_MAGIC = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),
    (b"PK\x07\x08", ZIP),
    (b"MZ", EXE),
    (b"\x7fELF", ELF),
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Attachment:
    filename: str  # sanitised, never empty
    content_type: str  # as declared by the sender
    sniffed_type: str  # from the bytes: one of ALLOWED_TYPES
    size: int
    data: bytes = field(repr=False)
    sha256: str
    inline: bool = False  # shown in the body (pasted photo, signature logo)


@dataclass(frozen=True)
class RefusedAttachment:
    filename: str
    content_type: str
    sniffed_type: str
    size: int
    reason: str  # TYPE_REFUSED, TOO_LARGE or TOTAL_TOO_LARGE
    inline: bool = False  # shown in the body: a signature logo, not something sent to us


@dataclass(frozen=True)
class Candidate:
    """A leaf MIME part that is not body text, as parse.py found it."""

    filename: str | None  # decoded, not yet sanitised
    content_type: str
    data: bytes
    inline: bool = False


def sniff(data: bytes, *, declared_type: str = "", filename: str = "") -> str:
    """The type the bytes really are. JSON is only considered when declared as JSON."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    declared_json = declared_type == JSON or filename.lower().endswith(".json")
    if declared_json and _is_json(data):
        return JSON
    return UNKNOWN


def _is_json(data: bytes) -> bool:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(value, dict | list)


def sanitize_filename(name: str | None, *, sniffed_type: str = UNKNOWN) -> str:
    """A name safe to show and to store: no path, no control or format characters."""
    text = unicodedata.normalize("NFC", name or "")
    # Cc controls, Cf format characters (U+202E turns `gpj.exe` around), surrogates...
    text = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    text = text.replace("\\", "/")
    text = posixpath.basename(text.rstrip("/")) if "/" in text else text
    text = _WINDOWS_FORBIDDEN.sub("_", text)
    text = " ".join(text.split())  # tabs, newlines already gone; runs of spaces
    text = text.strip(". ")
    if _WINDOWS_RESERVED.match(text):
        text = f"_{text}"
    if not text:
        text = "attachment" + _EXTENSIONS.get(sniffed_type, "")
    return _shorten(text)


def with_extension(filename: str, sniffed_type: str) -> str:
    """`certificate.exe` holding a PDF becomes `certificate.exe.pdf`: the name never lies."""
    known = _KNOWN_EXTENSIONS.get(sniffed_type)
    if not known or filename.lower().endswith(known):
        return filename
    return _shorten(filename + _EXTENSIONS[sniffed_type])


def _shorten(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 10:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    stem = stem[: MAX_FILENAME_CHARS - len(suffix)]
    while len((stem + suffix).encode("utf-8")) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip(". ") or "attachment") + suffix


# A provider's attendee roster by email (models.services.email_rosters): the one place a CSV
# is read. It is never accepted as an attachment: `vet` refuses it like any other type.
CSV_TYPES = frozenset(
    {"text/csv", "application/csv", "text/comma-separated-values", "application/vnd.ms-excel"}
)


def is_csv(candidate: Candidate) -> bool:
    """Declared or named as CSV, and not bytes of a type we know to be something else."""
    named = (candidate.filename or "").lower().endswith((".csv", ".txt"))
    declared = candidate.content_type.lower() in CSV_TYPES
    return (named or declared) and sniff(candidate.data) == UNKNOWN


def vet(
    candidates: Iterable[Candidate], *, max_attachment_bytes: int, max_total_bytes: int
) -> tuple[tuple[Attachment, ...], tuple[RefusedAttachment, ...]]:
    """Accept allowed types within the caps, in message order; refuse the rest with a reason."""
    accepted: list[Attachment] = []
    refused: list[RefusedAttachment] = []
    total = 0
    for candidate in candidates:
        sniffed = sniff(
            candidate.data,
            declared_type=candidate.content_type,
            filename=candidate.filename or "",
        )
        filename = sanitize_filename(candidate.filename, sniffed_type=sniffed)
        size = len(candidate.data)
        reason = None
        if sniffed not in ALLOWED_TYPES:
            reason = TYPE_REFUSED
        elif size > max_attachment_bytes:
            reason = TOO_LARGE
        elif total + size > max_total_bytes:
            reason = TOTAL_TOO_LARGE
        if reason:
            refused.append(
                RefusedAttachment(
                    filename, candidate.content_type, sniffed, size, reason, candidate.inline
                )
            )
            continue
        total += size
        accepted.append(
            Attachment(
                filename=with_extension(filename, sniffed),
                content_type=candidate.content_type,
                sniffed_type=sniffed,
                size=size,
                data=candidate.data,
                sha256=hashlib.sha256(candidate.data).hexdigest(),
                inline=candidate.inline,
            )
        )
    return tuple(accepted), tuple(refused)
