"""Stationery: the part of a certificate page that every certificate shares (the frame,
the seal, the heading, the signature block), drawn once and stamped under each
certificate's own page as a PDF form XObject.

Laying out and drawing those boxes took about a third of a certificate's CPU, paid again
for every certificate of a roster although they never change. WeasyPrint lays out and
draws the stationery layer of the template once (`capture`, from a `write_pdf` finisher);
every certificate then draws only its particulars and gets the stationery's objects (its
drawing as a form XObject, with its own fonts, the seal and the colour profile) copied
in, renumbered, by another finisher (`stamp`). The template places each layer's boxes
independently of the other's, so the page looks as one drawn whole (a test compares the
pixels). PDF/A-3b allows form XObjects; every font stays embedded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pydyf

NAME = "PDUStationery"  # the form XObject's name in each page's resources
_REFERENCE = re.compile(rb"(\d+) 0 R")
_STREAM = b"\nstream\n"


class _Serialised(pydyf.Object):  # type: ignore[misc]  # pydyf is untyped: Object is Any
    """An object written as known bytes. pydyf computes a stream's data, compressing it at
    level 9, each time it is asked: twice a write when the PDF carries an identifier, as
    PDF/A requires (once for the file, once for the identifier's hash)."""

    def __init__(self, data: bytes, stream: bool) -> None:
        super().__init__()
        self._data = data
        self._stream = stream

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def compressible(self) -> bool:  # streams cannot go into an object stream
        return not self._stream


def _number(reference: Any) -> int:
    return int(bytes(reference).split()[0])


def _pages(pdf: pydyf.PDF) -> list[Any]:
    return [pdf.objects[number] for number in pdf.pages["Kids"][::3]]


def serialise_once(pdf: pydyf.PDF) -> None:
    """Replace every object by its bytes, computed now, once (a finisher's last step)."""
    for number, obj in enumerate(pdf.objects):
        if obj.free == "f" or isinstance(obj, _Serialised):
            continue
        frozen = _Serialised(obj.data, isinstance(obj, pydyf.Stream))
        frozen.number, frozen.generation = number, obj.generation
        pdf.objects[number] = frozen


@dataclass(frozen=True)
class Stationery:
    """The stationery's objects: (number where captured, dictionary bytes, stream bytes),
    the form XObject among them."""

    objects: tuple[tuple[int, bytes, bytes], ...]
    form: int

    @classmethod
    def capture(cls, pdf: pydyf.PDF) -> Stationery:
        """From WeasyPrint's PDF of the stationery layer alone, as a finisher sees it:
        its one page's drawing becomes a form XObject; it and everything it refers to
        (resources, fonts, images) are kept as bytes."""
        (page,) = _pages(pdf)
        contents = pdf.objects[_number(page["Contents"])]
        form = pydyf.Stream(
            list(contents.stream),
            {
                "Type": "/XObject",
                "Subtype": "/Form",
                "BBox": page["MediaBox"],
                "Resources": page["Resources"],
            },
            compress=True,
        )
        pdf.add_object(form)
        outside = {id(page), id(pdf.pages), id(pdf.catalog)}
        kept: dict[int, tuple[bytes, bytes]] = {}
        waiting = [form.number]
        while waiting:
            number = waiting.pop()
            if number in kept:
                continue
            obj = pdf.objects[number]
            if id(obj) in outside:
                raise ValueError("the stationery's drawing refers to its page")
            data = obj.data
            split = data.find(_STREAM) if isinstance(obj, pydyf.Stream) else -1
            head, tail = (data, b"") if split < 0 else (data[:split], data[split:])
            kept[number] = (head, tail)
            waiting.extend(int(found) for found in _REFERENCE.findall(head))
        objects = tuple((number, *kept[number]) for number in sorted(kept))
        return cls(objects, form.number)

    def stamp(self, pdf: pydyf.PDF) -> None:
        """Copy the stationery into `pdf` (a finisher's step) and draw it first on each
        page, under everything else."""
        numbers: dict[int, int] = {}
        copies: list[tuple[_Serialised, bytes, bytes]] = []
        for old, head, tail in self.objects:
            copy = _Serialised(b"", stream=bool(tail))
            pdf.add_object(copy)
            numbers[old] = copy.number
            copies.append((copy, head, tail))

        def renumber(match: re.Match[bytes]) -> bytes:
            return b"%d 0 R" % numbers[int(match.group(1))]

        for copy, head, tail in copies:
            copy._data = _REFERENCE.sub(renumber, head) + tail
        form = b"%d 0 R" % numbers[self.form]
        for page in _pages(pdf):
            resources = pdf.objects[_number(page["Resources"])]
            resources["XObject"][NAME] = form
            contents = pdf.objects[_number(page["Contents"])]
            contents.stream.insert(0, b"q /%s Do Q" % NAME.encode())
