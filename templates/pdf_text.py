"""Reading a certificate's text back from its PDF bytes.

`text_layer` is what the never-blank check runs on every certificate: PDFium (Chromium's
PDF engine, through pypdfium2's wheels), ~1.5-4 ms a certificate, as fast as the
hand-written reader it replaced and a maintained one (bench/certificate_steps.py prints
both). `extract_text` is pypdf's general extraction (~25-60 ms a page), the second
opinion when PDFium cannot open a file at all.
"""

from __future__ import annotations

import io

from pypdf import PdfReader


class Unreadable(Exception):
    """PDFium could not open the file."""


def extract_text(pdf: bytes) -> str:
    """The text of every page as pypdf reads it (general, and slow: ~25 ms a page)."""
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def text_layer(pdf: bytes) -> str:
    """The text of every page the way a viewer copies it (PDFium's text page), pages
    separated by a line break; raises `Unreadable` for a file PDFium cannot open."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise Unreadable(str(exc)) from exc
    try:
        out = []
        for page in document:
            text = page.get_textpage()
            out.append(text.get_text_range().replace("\r\n", "\n"))
            text.close()
            page.close()
        return "\n".join(out)
    finally:
        document.close()
