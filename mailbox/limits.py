"""Caps checked on the raw bytes BEFORE the standard library parses a message.

The stdlib's email parser has quadratic paths (parameter parsing of long Content-Type
fields, thousands of header fields), recurses once per MIME level, and raises on some
encoded boundaries (`boundary*=idna''…`). So a linear scan refuses hostile messages
first. It follows `email.feedparser` line by line: a header block ends at the first
empty or non-header line or at an enclosing boundary; a multipart's parts start at
`--boundary` lines (any enclosing boundary also ends inner parts); a `message/*` part
holds a nested message; `message/delivery-status` holds blocks of fields. The type and
boundary of each block come from the stdlib's own `Message` methods on the same field
value, so the scan and the parser cannot disagree about the structure.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from email.message import Message

KIB = 1024

# feedparser's test for "this line is a header field" (headerRE), in bytes.
_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")
_DELIVERY_STATUS = "message/delivery-status"


class MessageRejected(Exception):
    """The message is refused as a whole; `reason_code` is a short snake_case string."""

    def __init__(self, reason_code: str, detail: str = "") -> None:
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_field_bytes: int = 64 * KIB
    # A multipart's Content-Type goes through the stdlib's quadratic parameter parser.
    max_multipart_content_type_bytes: int = 2 * KIB
    max_fields_per_block: int = 1000
    max_depth: int = 20
    max_parts: int = 200


@dataclass
class _Multipart:
    delimiter: bytes | None  # b"--" + boundary; None when no line can match it
    depth: int
    is_digest: bool


@dataclass
class _Block:
    end: int  # index of the first line after the header block
    content_type: str = "text/plain"
    delimiter: bytes | None = None
    is_multipart: bool = False
    content_type_lines: list[bytes] = field(default_factory=list)


def check_limits(raw: bytes, limits: Limits) -> None:
    """Raise MessageRejected when `raw` exceeds a cap; linear in len(raw)."""
    if len(raw) > limits.max_bytes:
        raise MessageRejected(
            "too_large", f"the message is {len(raw)} bytes; the limit is {limits.max_bytes}"
        )
    _Scan(raw.splitlines(), limits).run()


class _Scan:
    def __init__(self, lines: list[bytes], limits: Limits) -> None:
        self.lines = lines
        # Outside a delivery status only a "--" line can change the state of a body.
        self.dash_lines = [i for i, line in enumerate(lines) if line[:2] == b"--"]
        self.limits = limits
        self.open: list[_Multipart] = []  # innermost last
        self.parts = 0

    def run(self) -> None:
        index, depth = 0, 1
        expecting_headers = True
        in_digest = False  # the next header block is a part of a multipart/digest
        in_delivery_status = False
        while index < len(self.lines):
            if expecting_headers:
                self._count_part(depth)
                block = self._header_block(index, in_digest)
                index = block.end
                expecting_headers = in_digest = False
                in_delivery_status = block.content_type == _DELIVERY_STATUS
                if in_delivery_status:
                    self._count_part(depth + 1)  # its first block of fields
                if block.is_multipart:
                    self.open.append(_Multipart(block.delimiter, depth, _is_digest(block)))
                elif block.content_type.startswith("message/") and not in_delivery_status:
                    depth += 1  # a nested message: its header block follows at once
                    expecting_headers = True
                continue
            if not in_delivery_status:  # straight to the next line that can be a boundary
                following = bisect_left(self.dash_lines, index)
                if following == len(self.dash_lines):
                    break
                index = self.dash_lines[following]
            line = self.lines[index]
            index += 1
            found = self._boundary(line)
            if found is not None:
                position, closing = found
                multipart_depth = self.open[position].depth
                del self.open[position + 1 :]
                in_delivery_status = False
                if closing:
                    self.open.pop()
                    depth = multipart_depth
                else:
                    depth = multipart_depth + 1
                    expecting_headers = True
                    in_digest = self.open[position].is_digest
            elif in_delivery_status:
                self._delivery_status_line(line, depth)

    def _count_part(self, depth: int) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise MessageRejected("too_many_parts", f"more than {self.limits.max_parts} MIME parts")
        if depth > self.limits.max_depth:
            raise MessageRejected(
                "mime_too_deep", f"MIME parts nested deeper than {self.limits.max_depth}"
            )

    def _delivery_status_line(self, line: bytes, depth: int) -> None:
        # The stdlib parses each block of a delivery-status as a message of its own:
        # a Content-Type field in one would open yet another level.
        if line[:13].lower() == b"content-type:":
            raise MessageRejected("mime_malformed", "a Content-Type inside a delivery status")
        if not line:
            self._count_part(depth + 1)

    def _boundary(self, line: bytes) -> tuple[int, bool] | None:
        if not self.open or not line.startswith(b"--"):
            return None
        stripped = line.rstrip(b" \t")
        for position in range(len(self.open) - 1, -1, -1):
            delimiter = self.open[position].delimiter
            if delimiter is None:
                continue
            if stripped == delimiter:
                return position, False
            if stripped == delimiter + b"--":
                return position, True
        return None

    def _header_block(self, start: int, in_digest: bool) -> _Block:
        block = _Block(end=start)
        fields = 0
        size = 0
        current: list[bytes] | None = None  # lines of the field being read
        index = start
        while index < len(self.lines):
            line = self.lines[index]
            if not line:
                index += 1  # the empty line belongs to the header block
                break
            if not _HEADER_LINE.match(line) or self._boundary(line) is not None:
                break  # feedparser starts the body (or the next part) here
            if line[:1] in (b" ", b"\t"):
                size += len(line) + 1
                if current is not None:
                    current.append(line)
            elif line.startswith(b"From ") or line.startswith(b":"):
                current = None  # an envelope line or a nameless field: skipped
            else:
                fields += 1
                if fields > self.limits.max_fields_per_block:
                    raise MessageRejected(
                        "header_too_large",
                        f"more than {self.limits.max_fields_per_block} header fields in a block",
                    )
                size = len(line) + 1
                current = [line]
                name = line.partition(b":")[0].lower()
                if name == b"content-type" and not block.content_type_lines:
                    block.content_type_lines = current
            if size > self.limits.max_field_bytes:
                raise MessageRejected(
                    "header_too_large",
                    f"a header field is longer than {self.limits.max_field_bytes} bytes",
                )
            index += 1
        block.end = index
        self._read_type(block, in_digest)
        return block

    def _read_type(self, block: _Block, in_digest: bool) -> None:
        """Ask the stdlib itself, on the field value its parser will store (compat32)."""
        message = Message()
        value = ""
        if in_digest:
            message.set_default_type("message/rfc822")
        if block.content_type_lines:
            first, *continued = (
                line.decode("ascii", "surrogateescape") for line in block.content_type_lines
            )
            name, _, rest = first.partition(":")
            value = "\n".join([rest.lstrip(" \t"), *continued])
            message.set_raw(name, value)
        try:
            block.content_type = message.get_content_type()
            block.is_multipart = message.get_content_maintype() == "multipart"
            if not block.is_multipart:
                return
            if len(value) > self.limits.max_multipart_content_type_bytes:
                raise MessageRejected(
                    "header_too_large",
                    "a multipart Content-Type field is longer than "
                    f"{self.limits.max_multipart_content_type_bytes} bytes",
                )
            boundary = message.get_boundary()
        except MessageRejected:
            raise
        except Exception as exc:  # whatever the stdlib raises here, its parser would too
            raise MessageRejected("mime_malformed", f"unreadable Content-Type ({exc})") from None
        if boundary is not None:
            try:
                block.delimiter = b"--" + boundary.encode("ascii", "surrogateescape")
            except UnicodeEncodeError:
                block.delimiter = None  # decoded to characters no raw line can hold


def _is_digest(block: _Block) -> bool:
    return block.content_type == "multipart/digest"
