"""PDU certificates as PDF/A-3b: Jinja2 HTML and CSS laid out by WeasyPrint.

A certificate is refused before rendering when a required fact is empty, rendered on
exactly one page, and read back afterwards (`check_not_blank`) so that a blank or
garbled certificate is never issued. Each page is the certificate's particulars drawn
over the stationery every certificate shares, which is drawn once per renderer
(templates/stationery.py).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import cssselect2
import pydyf
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML, Attachment
from weasyprint.pdf.metadata import DocumentMetadata
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, ensure_url

from templates.certificate_data import (
    BlankCertificateError,
    CertificateData,
    CertificateLayoutError,
)
from templates.hours import hours_text as format_hours
from templates.pdf_text import Unreadable, extract_text, text_layer
from templates.qr import qr_data_uri
from templates.render import environment
from templates.stationery import Stationery, serialise_once

CERTIFICATE_DIR = Path(__file__).resolve().parent / "certificate"
STYLESHEET = CERTIFICATE_DIR / "certificate.css"
TEMPLATE = "certificate/certificate.html.j2"
PDF_VARIANT = "pdf/a-3b"

# Names and titles are set in this face (certificate.css); their widths are measured with
# its own advance widths, so the size fits the text, whatever its script.
MEASURE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
LINE_WIDTH_PT = 612.0  # the text column (644pt) less a margin for kerning and rounding

# Font sizes (pt) of the classes in certificate.css.
NAME_SIZES = {"name-xl": 32, "name-l": 26, "name-m": 21, "name-s": 17, "name-xs": 14}
TITLE_SIZES = {"title-l": 18, "title-m": 15, "title-s": 12.5, "title-xs": 10.5}
# (lines, classes largest first): fewer lines win, then the largest size that fits. A
# name of several lines stays smaller than a one-line one, so the page keeps its balance.
NAME_FITS = (
    (1, ("name-xl", "name-l", "name-m", "name-s")),
    (2, ("name-m", "name-s")),
    (3, ("name-s", "name-xs")),
)
TITLE_FITS = (
    (1, ("title-l",)),
    (2, ("title-l", "title-m")),
    (3, ("title-m", "title-s")),
    (4, ("title-s", "title-xs")),
)
PROVIDER_LONG = 90  # characters; a longer provider name is set smaller
# A fixed QR mask pattern: any of the eight decodes, and scoring all eight for the best
# took segno ~4 ms a certificate. Pattern 4 was segno's own choice for our URLs.
MASK = 4
# Pixels a QR module (148 px at 0.95in; printers enlarge it unsmoothed). At one pixel a
# module, viewers scaling the image to screen sizes smeared it and zbar no longer read
# it below 200 dpi; at 4 it reads from 72 dpi up (tests/integration), at 5 and 8 not.
QR_SCALE = 4

# An embedded file: (filename, content, description).
EmbeddedFile = tuple[str, bytes, str]

# Several certificates in one document (`render_many`): each body in a box the size of
# the page, which the sheet (absolutely positioned) takes as its containing block, so a
# page looks exactly as the certificate alone does.
BATCH_PAGE_CSS = ".batch-page { position: relative; width: 11in; height: 8.5in; break-after: page }"

_WHITESPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _advances() -> tuple[dict[int, float], float]:
    """Advance widths in em by code point, and a fallback for characters the font lacks."""
    font = TTFont(MEASURE_FONT, lazy=True)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {cp: metrics[glyph][0] / units for cp, glyph in font.getBestCmap().items()}
    return widths, 0.7


def text_width_em(text: str) -> float:
    widths, fallback = _advances()
    return sum(widths.get(ord(ch), fallback) for ch in text)


def balanced_lines(text: str, count: int) -> list[str]:
    """Split at spaces into at most `count` lines, making the widest as narrow as it can
    be (a long name on two even lines, not one full line and an orphan)."""
    words = text.split()
    count = min(count, len(words))
    if count <= 1:
        return [" ".join(words)]
    space = text_width_em(" ")
    sizes = [text_width_em(word) for word in words]

    def width(i: int, j: int) -> float:  # words[i:j] on one line
        return sum(sizes[i:j]) + space * (j - i - 1)

    n = len(words)
    # best[k][i]: (widest line, break points) setting words[i:] on k lines.
    best: list[dict[int, tuple[float, tuple[int, ...]]]] = [{} for _ in range(count + 1)]
    for i in range(n):
        best[1][i] = (width(i, n), ())
    for k in range(2, count + 1):
        for i in range(n - k + 1):
            best[k][i] = min(
                (max(width(i, j), best[k - 1][j][0]), (j, *best[k - 1][j][1]))
                for j in range(i + 1, n - k + 2)
            )
    breaks = (0, *best[count][0][1], n)
    return [" ".join(words[a:b]) for a, b in pairwise(breaks)]


def fit_text(
    text: str,
    fits: Sequence[tuple[int, Sequence[str]]],
    sizes: Mapping[str, float],
    fallback: str,
) -> tuple[list[str], str]:
    """The lines and size class for `text`: the fewest lines, then the largest size, whose
    widest line fits the column. Failing all, the smallest class, wrapped by the browser
    (a single unbreakable run breaks anywhere: it never overflows)."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    for count, classes in fits:
        lines = balanced_lines(text, count)
        widest = max(text_width_em(line) for line in lines)
        for name in classes:
            if widest * sizes[name] <= LINE_WIDTH_PT:
                return lines, name
    return [text], fallback


def qr_png(url: str) -> str:
    """The verification URL as a QR code: a PNG data URI that the stylesheet sets at
    0.95in without smoothing (medium error correction: survives a crease or a stamp,
    stays small). One image, not the ~600 subpaths of the SVG form: those made the PDF
    ~30% slower to write and twice as slow to read back."""
    return qr_data_uri(url, scale=QR_SCALE, mask=MASK)


class _WellFormedHTML(HTML):  # type: ignore[misc]  # WeasyPrint is untyped: HTML is Any
    """Our template's HTML, which is also well-formed XML, parsed by expat: ~30 times
    faster than WeasyPrint's HTML5 parser (pure Python, ~2 ms a certificate). Sets what
    `HTML.__init__` sets in the pinned WeasyPrint (tests compare the two parsers' PDFs
    byte for byte)."""

    def __init__(self, root: ElementTree.Element) -> None:
        self.base_url = ensure_url(str(CERTIFICATE_DIR))  # as HTML(base_url=…) makes it
        self.url_fetcher = URLFetcher()
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element


def parse_html(markup: str) -> HTML:
    """A certificate's HTML for WeasyPrint. Text XML forbids (a control character in a
    record, say) goes through the HTML5 parser instead."""
    try:
        return _WellFormedHTML(ElementTree.fromstring(markup))
    except ElementTree.ParseError:
        return HTML(string=markup, base_url=str(CERTIFICATE_DIR))


def _unique_associated_files(document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists each embedded file twice in the catalog's /AF: keep one."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def metadata(data: CertificateData) -> DocumentMetadata:
    """The PDF's info dictionary and XMP: dates from the issue date, never the clock."""
    issued = data.issue_date.isoformat()
    return DocumentMetadata(
        title=f"PDU Certificate {data.number}",
        authors=[data.issuer_name],
        description=(
            f"Professional Development Unit certificate {data.number}: "
            f"{format_hours(data.hours)} PDU hours for {data.holder_name}"
        ),
        keywords=["PDU", data.number],
        generator="PDU workflows",
        created=issued,
        modified=issued,
        lang="en",
    )


def _instant(day: date) -> datetime:
    # Embedded files carry dates; WeasyPrint would otherwise read the wall clock.
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


class CertificateRenderer:
    """Renders certificates with one warm WeasyPrint setup.

    The font configuration (fonts loaded once), the parsed stylesheet, the image cache
    (the seal) and the stationery (per issuer) are reused across renders
    (bench/certificates.py measures the gain against a fresh setup each time).
    WeasyPrint's font configuration is not thread-safe, so renders on one renderer are
    serialised; keep one per process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._font_config = FontConfiguration()
        self._stylesheet = CSS(filename=str(STYLESHEET), font_config=self._font_config)
        self._batch_stylesheet = CSS(string=BATCH_PAGE_CSS, font_config=self._font_config)
        self._image_cache: dict[str, Any] = {}
        self._stationeries: dict[tuple[str, str], Stationery] = {}
        self._template = environment().get_template(TEMPLATE)

    def html(self, data: CertificateData, *, stationery: bool, particulars: bool) -> str:
        """The template's HTML with either layer or both (the whole page)."""
        context: dict[str, Any] = {
            "cert": data,
            "stationery": stationery,
            "particulars": particulars,
        }
        if particulars:
            name_lines, name_class = fit_text(data.holder_name, NAME_FITS, NAME_SIZES, "name-xxs")
            title_lines, title_class = fit_text(
                data.activity_title, TITLE_FITS, TITLE_SIZES, "title-xs"
            )
            context.update(
                qr_png=qr_png(data.verification_url),
                name_lines=name_lines,
                name_class=name_class,
                title_lines=title_lines,
                title_class=title_class,
                provider_class=(
                    "provider-long" if len(data.provider or "") > PROVIDER_LONG else ""
                ),
            )
        return self._template.render(**context)

    def _stationery_for(self, data: CertificateData) -> Stationery:
        """The stationery layer, laid out and drawn once per issuer (call under the lock).
        Its text is read back like every certificate's: a stationery without its heading
        or its issuer is never stamped under anything."""
        key = (data.issuer_name, data.issuer_title)
        if key not in self._stationeries:
            captured: list[Stationery] = []
            document = parse_html(self.html(data, stationery=True, particulars=False)).render(
                font_config=self._font_config,
                pdf_variant=PDF_VARIANT,
                stylesheets=[self._stylesheet],
                cache=self._image_cache,
            )
            if len(document.pages) != 1:
                raise CertificateLayoutError(
                    f"the certificate's stationery laid out on {len(document.pages)} pages"
                )
            pdf = document.write_pdf(
                finisher=lambda _, pdf: captured.append(Stationery.capture(pdf)),
                pdf_variant=PDF_VARIANT,
            )
            assert isinstance(pdf, bytes)
            missing = _missing(
                text_layer(pdf),
                {
                    "heading": "Professional Development Unit Certificate",
                    "issuer": data.issuer_name,
                    "issuer's title": data.issuer_title,
                },
            )
            if missing:
                raise BlankCertificateError(
                    f"the certificate's stationery lacks the {', '.join(missing)}"
                )
            self._stationeries[key] = captured[0]
        return self._stationeries[key]

    @staticmethod
    def _finisher(stationery: Stationery) -> Callable[[Any, Any], None]:
        def finish(document: Any, pdf: Any) -> None:
            _unique_associated_files(document, pdf)
            stationery.stamp(pdf)
            serialise_once(pdf)

        return finish

    def _options(
        self, data: CertificateData, attachments: Sequence[EmbeddedFile] | None
    ) -> dict[str, Any]:
        return {
            "pdf_variant": PDF_VARIANT,
            "stylesheets": [self._stylesheet],
            "cache": self._image_cache,
            "attachments": [
                Attachment(
                    string=content,
                    name=filename,
                    description=description,
                    created=_instant(data.issue_date),
                    modified=_instant(data.issue_date),
                    relationship="Supplement",
                )
                for filename, content, description in attachments or ()
            ],
        }

    def _forget_new_images(self, known: set[str]) -> None:
        # Keep the template's own images; these certificates' QR codes go.
        for key in set(self._image_cache) - known:
            if not key.startswith("file:"):
                del self._image_cache[key]

    def render(
        self, data: CertificateData, attachments: Sequence[EmbeddedFile] | None = None
    ) -> bytes:
        """The certificate as PDF/A-3b bytes; `attachments` are embedded files (PDF/A-3
        allows any type), e.g. a machine-readable copy of the record."""
        data.validate()
        options = self._options(data, attachments)
        with self._lock:
            known = set(self._image_cache)
            try:
                stationery = self._stationery_for(data)
                document = parse_html(self.html(data, stationery=False, particulars=True)).render(
                    font_config=self._font_config, **options
                )
                if len(document.pages) != 1:
                    raise CertificateLayoutError(
                        f"certificate {data.number} laid out on {len(document.pages)} pages"
                    )
                document.metadata = metadata(data)
                pdf = document.write_pdf(finisher=self._finisher(stationery), **options)
            finally:
                self._forget_new_images(known)
        assert isinstance(pdf, bytes)
        return pdf

    def render_many(
        self, items: Sequence[tuple[CertificateData, Sequence[EmbeddedFile]]]
    ) -> list[bytes | BlankCertificateError | CertificateLayoutError]:
        """Each certificate as `render` makes it, for ~20% less CPU: all are laid out as
        one document, a page each (the cascade's and the layout's fixed costs paid once),
        then each page is written as its own PDF/A-3b with its own metadata and embedded
        files. An incomplete record gets its error in its place; if the pages do not come
        out one a certificate (or the batch mixes issuers, whose stationery differs), each
        is rendered alone (which names the one that spills)."""
        results: list[bytes | BlankCertificateError | CertificateLayoutError] = []
        head = ""  # the first certificate's (the batch document's metadata is not used)
        bodies: list[str] = []
        for data, _ in items:
            try:
                data.validate()
            except BlankCertificateError as exc:
                results.append(exc)
                continue
            first, rest = self.html(data, stationery=False, particulars=True).split("<body>", 1)
            head = head or first
            bodies.append(f'<div class="batch-page">{rest.split("</body>", 1)[0]}</div>')
            results.append(b"")
        if not bodies:
            return results
        drawn = [i for i, result in enumerate(results) if isinstance(result, bytes)]
        html = f"{head}<body>{''.join(bodies)}</body></html>"
        pdfs: list[bytes] = []
        with self._lock:
            known = set(self._image_cache)
            try:
                stationery = self._stationery_for(items[drawn[0]][0])
                document = parse_html(html).render(
                    font_config=self._font_config,
                    pdf_variant=PDF_VARIANT,
                    stylesheets=[self._stylesheet, self._batch_stylesheet],
                    cache=self._image_cache,
                )
                issuers = {(items[i][0].issuer_name, items[i][0].issuer_title) for i in drawn}
                if len(document.pages) == len(drawn) and len(issuers) == 1:
                    for i, page in zip(drawn, document.pages, strict=True):
                        data, attachments = items[i]
                        single = document.copy([page])
                        single.metadata = metadata(data)
                        pdf = single.write_pdf(
                            finisher=self._finisher(stationery), **self._options(data, attachments)
                        )
                        assert isinstance(pdf, bytes)
                        pdfs.append(pdf)
            finally:
                self._forget_new_images(known)
        batch: Sequence[bytes | None] = pdfs or [None] * len(drawn)  # None: render it alone
        for i, pdf in zip(drawn, batch, strict=True):
            if pdf is not None:
                results[i] = pdf
                continue
            try:
                results[i] = self.render(*items[i])
            except CertificateLayoutError as exc:
                results[i] = exc
        return results


def _squeeze(text: str) -> str:
    # Compare without whitespace: a long name wraps, and a line break may fall anywhere.
    return _WHITESPACE.sub("", unicodedata.normalize("NFC", text))


def _missing(text: str, expected: dict[str, str]) -> list[str]:
    squeezed = _squeeze(text)
    return [what for what, value in expected.items() if _squeeze(value) not in squeezed]


def check_not_blank(pdf: bytes, data: CertificateData) -> None:
    """Read the PDF back; raise BlankCertificateError unless the holder's name, the hours
    and the certificate number are really in its text. The fast reader (`text_layer`)
    decides when it finds them all; otherwise (or when it cannot parse the file) pypdf's
    general extraction must."""
    expected = {
        "holder name": data.holder_name,
        "hours": f"{format_hours(data.hours)} PDU hours",
        "number": data.number,
    }
    try:
        missing = _missing(text_layer(pdf), expected)
    except Unreadable:
        missing = list(expected)
    if missing:
        try:
            missing = _missing(extract_text(pdf), expected)
        except Exception as exc:  # pypdf raises many types for a broken file
            raise BlankCertificateError(
                f"certificate {data.number}: unreadable PDF ({exc})"
            ) from exc
    if missing:
        raise BlankCertificateError(
            f"certificate {data.number}: the PDF text lacks the {', '.join(missing)}"
        )
