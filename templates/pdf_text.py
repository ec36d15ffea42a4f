"""Reading a certificate's text back from its PDF bytes.

`extract_text` is pypdf's general extraction (~25 ms a page). `text_layer` is the fast
reader the never-blank check runs on every certificate (~1 ms): it parses only the
objects the text needs (the page tree, the contents, the fonts' ToUnicode maps, form
XObjects), where pypdf parses every object of an object stream, fonts' width tables
included. It reads what the PDF says, not what WeasyPrint meant: a PDF it does not
understand raises `Unreadable`, and the caller asks pypdf instead.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader


def extract_text(pdf: bytes) -> str:
    """The text of every page as pypdf reads it (general, and slow: ~25 ms a page)."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


class Unreadable(Exception):
    """Something the fast reader does not handle (pypdf may)."""


@dataclass(frozen=True)
class _Ref:
    number: int


@dataclass(frozen=True)
class _Name:
    value: str


_WHITE = b" \t\r\n\f\x00"
_NUMBER_OR_REF = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:\s+(\d+)\s+R(?![^\s/\[\]<>()]))?")
_NAME = re.compile(rb"/([^\s/\[\]<>(){}%]*)")
_KEYWORD = re.compile(rb"true|false|null")
_OBJECT = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_SECTION = re.compile(rb"(\d+)[ \t]+(\d+)")
_XREF_ROW = re.compile(rb"(\d{10}) (\d{5}) ([nf])")


def _skip(data: bytes, pos: int) -> int:
    while pos < len(data):
        if data[pos] in _WHITE:
            pos += 1
        elif data[pos : pos + 1] == b"%":  # a comment, to the end of the line
            while pos < len(data) and data[pos] not in b"\r\n":
                pos += 1
        else:
            break
    return pos


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """A (string) starting at pos; nested parentheses balance, a backslash escapes."""
    depth, out, pos = 1, bytearray(), pos + 1
    while pos < len(data):
        char = data[pos]
        if char == 0x5C:  # backslash: keep the escaped byte (exact decoding is not needed)
            out += data[pos : pos + 2]
            pos += 2
            continue
        depth += (char == 0x28) - (char == 0x29)
        if depth == 0:
            return bytes(out), pos + 1
        out.append(char)
        pos += 1
    raise Unreadable("an unterminated string")


def parse_value(data: bytes, pos: int) -> tuple[Any, int]:
    """One PDF object at pos: dict, array, name, number, reference, string, keyword."""
    pos = _skip(data, pos)
    head = data[pos : pos + 2]
    if head == b"<<":
        result: dict[str, Any] = {}
        pos += 2
        while True:
            pos = _skip(data, pos)
            if data[pos : pos + 2] == b">>":
                return result, pos + 2
            key, pos = parse_value(data, pos)
            if not isinstance(key, _Name):
                raise Unreadable("a dictionary key that is not a name")
            result[key.value], pos = parse_value(data, pos)
    if head[:1] == b"[":
        items: list[Any] = []
        pos += 1
        while True:
            pos = _skip(data, pos)
            if data[pos : pos + 1] == b"]":
                return items, pos + 1
            item, pos = parse_value(data, pos)
            items.append(item)
    if head[:1] == b"/":
        match = _NAME.match(data, pos)
        assert match is not None
        return _Name(match.group(1).decode("latin-1")), match.end()
    if head[:1] == b"<":
        end = data.index(b">", pos)
        return bytes.fromhex(data[pos + 1 : end].decode("ascii")), end + 1
    if head[:1] == b"(":
        return _literal(data, pos)
    match = _NUMBER_OR_REF.match(data, pos)
    if match:
        if match.group(1) is not None:
            return _Ref(int(match.group(0).split()[0])), match.end()
        text = match.group(0)
        return (float(text) if b"." in text else int(text)), match.end()
    match = _KEYWORD.match(data, pos)
    if match:
        return {b"true": True, b"false": False, b"null": None}[match.group(0)], match.end()
    raise Unreadable(f"unexpected bytes at {pos}: {data[pos : pos + 12]!r}")


class MiniPDF:
    """The objects of one PDF, parsed on demand: a cross-reference table or stream (one
    section, no incremental updates), object streams, Flate-compressed streams."""

    def __init__(self, pdf: bytes) -> None:
        self.data = pdf
        found = _STARTXREF.search(pdf[-64:])
        if found is None:
            raise Unreadable("no startxref")
        self._where: dict[int, tuple[int, int]] = {}  # number: (0, offset) | (stream, index)
        self._streams: dict[int, tuple[bytes, list[int]]] = {}
        self._objects: dict[int, tuple[Any, bytes | None]] = {}  # each parsed once
        start = int(found.group(1))
        if pdf.startswith(b"xref", start):
            self.trailer = self._read_table(start)
        else:
            self.trailer = self._read_stream_table(start)
        if "Prev" in self.trailer:
            raise Unreadable("an incrementally updated PDF")

    def _read_table(self, start: int) -> dict[str, Any]:
        pos = start + 4
        while True:
            pos = _skip(self.data, pos)
            if self.data.startswith(b"trailer", pos):
                trailer, _ = parse_value(self.data, pos + 7)
                return dict(trailer)
            section = _XREF_SECTION.match(self.data, pos)
            if section is None:
                raise Unreadable("a broken cross-reference table")
            first, count = int(section.group(1)), int(section.group(2))
            pos = section.end()
            for number in range(first, first + count):
                row = _XREF_ROW.match(self.data, _skip(self.data, pos))
                if row is None:
                    raise Unreadable("a broken cross-reference table")
                if row.group(3) == b"n":
                    self._where[number] = (0, int(row.group(1)))
                pos = row.end()

    def _read_stream_table(self, start: int) -> dict[str, Any]:
        xref, raw = self._indirect_at(start)
        if raw is None or not isinstance(xref, dict) or _name(xref.get("Type")) != "XRef":
            raise Unreadable("no cross-reference stream")
        rows = _decode(xref, raw)
        widths = xref["W"]
        index = xref.get("Index", [0, xref["Size"]])
        pos, size = 0, sum(widths)
        for first, count in zip(index[::2], index[1::2], strict=True):
            for number in range(first, first + count):
                fields, at = [], pos
                for width in widths:
                    fields.append(int.from_bytes(rows[at : at + width], "big"))
                    at += width
                kind = fields[0] if widths[0] else 1
                if kind == 1:
                    self._where[number] = (0, fields[1])
                elif kind == 2:
                    self._where[number] = (fields[1], fields[2])
                pos += size
        return xref

    def _indirect_at(self, offset: int) -> tuple[Any, bytes | None]:
        """The object (and its stream's raw bytes, if it is one) at a byte offset."""
        header = _OBJECT.match(self.data, offset)
        if header is None:
            raise Unreadable(f"no object at {offset}")
        value, pos = parse_value(self.data, header.end())
        pos = _skip(self.data, pos)
        if not self.data.startswith(b"stream", pos):
            return value, None
        pos += 6
        pos += 2 if self.data.startswith(b"\r\n", pos) else 1
        length = self.resolve(value["Length"])
        return value, self.data[pos : pos + length]

    def _in_stream(self, stream: int, index: int) -> Any:
        if stream not in self._streams:
            header, raw = self._indirect_at(self._where[stream][1])
            if raw is None:
                raise Unreadable("an object stream without data")
            data = _decode(header, raw)
            numbers = [int(n) for n in data[: header["First"]].split()]
            self._streams[stream] = (data[header["First"] :], numbers[1::2])
        data, offsets = self._streams[stream]
        return parse_value(data, offsets[index])[0]

    def object(self, number: int) -> tuple[Any, bytes | None]:
        """Object `number` (and its stream's raw bytes, if it is one)."""
        if number not in self._objects:
            where = self._where.get(number)
            if where is None:
                raise Unreadable(f"no object {number}")
            if where[0] == 0:
                self._objects[number] = self._indirect_at(where[1])
            else:
                self._objects[number] = (self._in_stream(*where), None)
        return self._objects[number]

    def resolve(self, value: Any) -> Any:
        while isinstance(value, _Ref):
            value = self.object(value.number)[0]
        return value

    def _stream_object(self, value: Any) -> tuple[dict[str, Any], bytes]:
        if not isinstance(value, _Ref):
            raise Unreadable("a stream that is not an indirect object")
        header, raw = self.object(value.number)
        if raw is None or not isinstance(header, dict):
            raise Unreadable(f"object {value.number} is not a stream")
        return header, raw

    def header(self, value: Any) -> dict[str, Any]:
        """A stream's dictionary, its data left undecoded."""
        return self._stream_object(value)[0]

    def stream(self, value: Any) -> tuple[dict[str, Any], bytes]:
        """A stream's dictionary and decoded data."""
        header, raw = self._stream_object(value)
        return header, _decode(header, raw)

    def pages(self) -> list[dict[str, Any]]:
        root = self.resolve(self.trailer["Root"])
        found: list[dict[str, Any]] = []
        waiting = [self.resolve(root["Pages"])]
        while waiting:
            node = waiting.pop(0)
            if _name(node.get("Type")) == "Page" or "Kids" not in node:
                found.append(node)
            else:
                waiting[:0] = [self.resolve(kid) for kid in self.resolve(node["Kids"])]
        return found


def _name(value: Any) -> str | None:
    return value.value if isinstance(value, _Name) else None


def _decode(header: dict[str, Any], raw: bytes) -> bytes:
    filters = header.get("Filter")
    filters = filters if isinstance(filters, list) else [filters] if filters else []
    for item in filters:
        if _name(item) != "FlateDecode" or header.get("DecodeParms"):
            raise Unreadable(f"a stream filter the fast reader does not handle: {item}")
        raw = zlib.decompress(raw)
    return raw


# The text operators WeasyPrint writes: a font selection, glyph ids as hex strings in TJ
# arrays (or one Tj string), and form XObjects drawn with Do (the stationery).
_TEXT_OPERATIONS = re.compile(
    rb"/([^\s/\[\]<>()]+)\s+[-+.\d]+\s+Tf|\[([^\]]*)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj"
    rb"|/([^\s/\[\]<>()]+)\s+Do\b"
)
_HEX_STRING = re.compile(rb"<([0-9A-Fa-f]*)>")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_MAX_FORM_DEPTH = 8


def _to_unicode(reader: MiniPDF, font: dict[str, Any]) -> dict[bytes, str]:
    """A font's ToUnicode CMap (the bfchar entries WeasyPrint writes): code to text."""
    if "ToUnicode" not in font:
        return {}
    _, cmap = reader.stream(font["ToUnicode"])
    table: dict[bytes, str] = {}
    for section in cmap.split(b"beginbfchar")[1:]:
        for code, text in _BFCHAR.findall(section.split(b"endbfchar")[0]):
            table[bytes.fromhex(code.decode())] = bytes.fromhex(text.decode()).decode(
                "utf-16-be", "replace"
            )
    return table


def _show(
    reader: MiniPDF, contents: bytes, resources: dict[str, Any], out: list[str], depth: int
) -> None:
    fonts_used = reader.resolve(resources.get("Font", {}))
    x_objects = reader.resolve(resources.get("XObject", {}))
    maps: dict[str, dict[bytes, str]] = {}
    table: dict[bytes, str] = {}
    for match in _TEXT_OPERATIONS.finditer(contents):
        font_name, array, single, form_name = match.groups()
        if form_name is not None:
            name = form_name.decode("latin-1")
            if name in x_objects and depth < _MAX_FORM_DEPTH:
                form = x_objects[name]
                if _name(reader.header(form).get("Subtype")) == "Form":  # not an image
                    header, data = reader.stream(form)
                    form_resources = reader.resolve(header.get("Resources", {}))
                    _show(reader, data, form_resources, out, depth + 1)
            continue
        if font_name is not None:
            name = font_name.decode("latin-1")
            if name not in maps:
                font = reader.resolve(fonts_used.get(name))
                maps[name] = _to_unicode(reader, font) if isinstance(font, dict) else {}
            table = maps[name]
            continue
        strings = _HEX_STRING.findall(array) if array is not None else [single]
        for hex_string in strings:
            codes = bytes.fromhex(hex_string.decode())
            out.extend(table.get(codes[i : i + 2], "\ufffd") for i in range(0, len(codes), 2))
        out.append(" ")


def text_layer(pdf: bytes) -> str:
    """The text of every page the way a viewer copies it: each shown glyph code through
    its font's ToUnicode map, in drawing order, form XObjects included. Made for
    WeasyPrint's output: a glyph it cannot map, or text shown another way, is missing or
    U+FFFD here, never invented; a PDF it cannot parse raises `Unreadable`."""
    try:
        reader = MiniPDF(pdf)
        out: list[str] = []
        for page in reader.pages():
            contents = page.get("Contents")
            if isinstance(contents, _Ref) and reader.object(contents.number)[1] is None:
                contents = reader.resolve(contents)  # an array of streams, held indirectly
            parts = contents if isinstance(contents, list) else [contents]
            data = b"\n".join(reader.stream(part)[1] for part in parts if part is not None)
            _show(reader, data, reader.resolve(page.get("Resources", {})), out, 0)
            out.append("\n")
        return "".join(out)
    except Unreadable:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, zlib.error) as exc:
        raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
