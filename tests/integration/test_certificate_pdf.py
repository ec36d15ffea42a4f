"""Real certificates from WeasyPrint, read back with pypdf and poppler's pdftotext."""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML

from templates.pdf import (
    CERTIFICATE_DIR,
    PDF_VARIANT,
    STYLESHEET,
    BlankCertificateError,
    CertificateData,
    CertificateLayoutError,
    CertificateRenderer,
    balanced_lines,
    check_not_blank,
    extract_text,
    metadata,
    parse_html,
    text_layer,
)
from templates.pdf_text import Unreadable

DATA = CertificateData(
    holder_name="Maria Running Crane",
    license_number="123456",
    activity_title="Trauma-Informed Classrooms: A Three-Day Institute",
    provider=None,
    start_date=date(2027, 6, 15),
    end_date=date(2027, 6, 17),
    hours=Decimal("12.50"),
    number="PDU-2027-000042",
    issue_date=date(2027, 6, 28),
    verification_code="K7QM-3XPA-9RTD-WH2C",
    verification_url="https://pdu.opi.example/verify/K7QM-3XPA-9RTD-WH2C",
    issuer_name="Office of Public Instruction",
    issuer_title="Educator Licensure, Professional Development Units",
)
NAME_90 = (
    "Maximiliana Alexandrina Konstantinopoulou-Vanderbilt de la Fuente y Montenegro-Albuquerque"
)
PAGE_WIDTH_PT = 11 * 72
FRAME_INSET_PT = 0.3 * 72 + 9  # the sheet's offset, border and padding: text stays inside


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


@pytest.fixture(scope="module")
def pdf(renderer: CertificateRenderer) -> bytes:
    return renderer.render(DATA)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def without_space(text: str) -> str:
    # Compatibility forms aside: PDFium reads a typed ligature (ﬁ) as the letters it joins.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def words_with_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in points, as poppler lays the page out."""
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(source), "-"], capture_output=True, text=True, check=True
    ).stdout
    pattern = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    )
    return [
        (word, float(x0), float(y0), float(x1), float(y1))
        for x0, y0, x1, y1, word in pattern.findall(html)
    ]


def test_the_certificate_text_holds_the_name_hours_number_license_and_title(pdf: bytes) -> None:
    text = squeeze(extract_text(pdf))
    for expected in (
        "Maria Running Crane",
        "12.5 PDU hours",
        "PDU-2027-000042",
        "123456",
        "Trauma-Informed Classrooms: A Three-Day Institute",
        "Pre-approved by the Office of Public Instruction",
        "June 15–17, 2027",
        "June 28, 2027",
        "K7QM-3XPA-9RTD-WH2C",
    ):
        assert expected in text


def test_the_certificate_is_one_letter_landscape_page(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (792.0, 612.0)


def test_the_xmp_metadata_declares_pdf_a_3b(pdf: bytes) -> None:
    xmp = PdfReader(io.BytesIO(pdf)).xmp_metadata
    assert xmp is not None
    assert str(xmp.pdfaid_part) == "3"
    assert xmp.pdfaid_conformance == "B"


def test_the_metadata_dates_come_from_the_issue_date(pdf: bytes) -> None:
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None
    assert info["/CreationDate"].startswith("D:20270628")
    assert info["/Title"] == "PDU Certificate PDU-2027-000042"


def fonts_of(resources: Any) -> list[Any]:
    """The fonts of a page's resources and of every form XObject drawn from them."""
    fonts = list(resources.get("/Font", {}).values())
    for x_object in resources.get("/XObject", {}).values():
        x_object = x_object.get_object()
        if x_object["/Subtype"] == "/Form":
            fonts += fonts_of(x_object["/Resources"])
    return fonts


def test_every_font_is_embedded(pdf: bytes) -> None:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = fonts_of(page["/Resources"])
    assert len(fonts) == 5  # three faces in the particulars, two in the stationery
    for font in fonts:
        font = font.get_object()
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
        assert "Certificate" in font["/BaseFont"]  # ours, not a fontconfig fallback


@pytest.mark.parametrize(
    "name",
    ["Nguyễn Thị Minh Khai", "Αικατερίνη Παπαδοπούλου", "Александра Владимировна Кузнецова"],
)
def test_vietnamese_greek_and_cyrillic_names_come_back_from_the_pdf(
    renderer: CertificateRenderer, name: str
) -> None:
    data = replace(DATA, holder_name=name)
    pdf = renderer.render(data)
    assert unicodedata.normalize("NFC", name) in squeeze(extract_text(pdf))
    assert unicodedata.normalize("NFC", name) in squeeze(text_layer(pdf))
    check_not_blank(pdf, data)


@pytest.mark.parametrize(
    "name", ["Nguyễn Thị Minh Khai", "Αικατερίνη Παπαδοπούλου", NAME_90, "ﬁnn Ǆemal Ḁḁ"]
)
def test_the_fast_read_back_reads_what_pypdf_and_pdftotext_read(
    renderer: CertificateRenderer, name: str
) -> None:
    # check_not_blank trusts text_layer when it finds the facts: it must read the page
    # as the general readers do (whitespace aside), ligatures and all, the stationery's
    # form XObject included. In drawing order: pdftotext's -raw (by default it reorders
    # the text by position).
    pdf = renderer.render(replace(DATA, holder_name=name))
    poppler = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    fast = without_space(text_layer(pdf))
    assert fast == without_space(extract_text(pdf)) == without_space(poppler)
    assert without_space(name) in fast


def test_the_stamped_certificate_looks_exactly_like_the_whole_page_drawn_at_once(
    renderer: CertificateRenderer, tmp_path: Path
) -> None:
    # The stationery is drawn once and stamped under each certificate's particulars;
    # the page must not move by a pixel from the template drawn as one page.
    data = replace(DATA, holder_name=NAME_90, provider="Big Sky Learning Collaborative")
    whole = HTML(
        string=renderer.html(data, stationery=True, particulars=True),
        base_url=str(CERTIFICATE_DIR),
    ).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))], pdf_variant=PDF_VARIANT)
    pages = {}
    for name, pdf in (("stamped", renderer.render(data)), ("whole", whole)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "150", "-singlefile", str(tmp_path / f"{name}.pdf"),
             str(tmp_path / name)],
            check=True,
        )  # fmt: skip
        pages[name] = Image.open(tmp_path / f"{name}.png").convert("RGB")
    assert pages["stamped"].size == pages["whole"].size == (1650, 1275)
    assert ImageChops.difference(pages["stamped"], pages["whole"]).getbbox() is None
    assert len(pages["stamped"].getcolors(maxcolors=1 << 24) or []) > 50  # drawn, not blank


def test_the_template_parsed_as_xml_gives_the_very_pdf_the_html5_parser_gives(
    renderer: CertificateRenderer,
) -> None:
    data = replace(DATA, holder_name="Zoë O'Brien & <Sons>", provider='Big "Sky" Learning')
    markup = renderer.html(data, stationery=True, particulars=True)
    fast = parse_html(markup)
    assert type(fast) is not HTML  # expat took it

    def pdf_of(html: HTML) -> bytes:
        document = html.render(stylesheets=[CSS(filename=str(STYLESHEET))])
        document.metadata = metadata(data)
        return document.write_pdf(pdf_variant=PDF_VARIANT)

    assert pdf_of(fast) == pdf_of(HTML(string=markup, base_url=str(CERTIFICATE_DIR)))


def test_a_control_character_xml_forbids_goes_the_html5_way_and_is_still_drawn(
    renderer: CertificateRenderer,
) -> None:
    data = replace(DATA, provider="Big Sky\x01 Learning Collaborative")
    assert type(parse_html(renderer.html(data, stationery=False, particulars=True))) is HTML
    pdf = renderer.render(data)
    check_not_blank(pdf, data)
    assert "offeredbyBigSky" in without_space(text_layer(pdf))


def test_qpdf_finds_no_structural_error_in_a_certificate_alone_or_from_a_batch(
    renderer: CertificateRenderer, tmp_path: Path
) -> None:
    # The stationery's objects are copied in and renumbered, every object written as
    # bytes: qpdf reads the cross-references, the object streams and every stream.
    batch = renderer.render_many(batch_of_records()[:2])
    for i, pdf in enumerate([renderer.render(DATA), *batch]):
        assert isinstance(pdf, bytes)
        path = tmp_path / f"{i}.pdf"
        path.write_bytes(pdf)
        checked = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "No syntax or stream encoding errors found" in checked.stdout


def test_the_stationery_is_drawn_once_per_renderer_and_read_back(
    renderer: CertificateRenderer,
) -> None:
    renderer.render(DATA)
    first = renderer._stationery_for(DATA)
    renderer.render(replace(DATA, holder_name="Dana Lee", number="PDU-2027-000043"))
    assert renderer._stationery_for(DATA) is first


class WithoutHeading(CertificateRenderer):
    """A stationery that lost its heading, as a broken template might."""

    def html(self, data: CertificateData, *, stationery: bool, particulars: bool) -> str:
        html = super().html(data, stationery=stationery, particulars=particulars)
        return html.replace("Professional Development Unit Certificate</h1>", "</h1>")


def test_a_stationery_without_its_heading_is_never_stamped_under_a_certificate() -> None:
    with pytest.raises(BlankCertificateError, match="stationery lacks the heading"):
        WithoutHeading().render(DATA)


def test_an_incrementally_updated_pdf_is_read_too(pdf: bytes) -> None:
    # A second cross-reference section was beyond the hand-written reader; PDFium reads it.
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_metadata({"/Subject": "updated"})
    updated = io.BytesIO()
    writer.write(updated)
    assert DATA.holder_name in text_layer(updated.getvalue())
    check_not_blank(updated.getvalue(), DATA)


def test_a_file_pdfium_cannot_open_is_unreadable_and_never_a_certificate() -> None:
    with pytest.raises(Unreadable):
        text_layer(b"%PDF-1.7\nnot really a PDF")
    with pytest.raises(BlankCertificateError, match="unreadable PDF"):
        check_not_blank(b"%PDF-1.7\nnot really a PDF", DATA)


def test_a_blank_page_is_never_taken_for_a_certificate() -> None:
    writer = PdfWriter()
    writer.add_blank_page(792, 612)
    blank = io.BytesIO()
    writer.write(blank)
    assert text_layer(blank.getvalue()).strip() == ""
    with pytest.raises(BlankCertificateError, match="lacks the holder name, hours, number"):
        check_not_blank(blank.getvalue(), DATA)


@pytest.mark.parametrize("dpi", [72, 96, 150, 300, 600])
def test_the_qr_code_scans_to_the_verification_url_on_screen_and_paper(
    pdf: bytes, tmp_path: Path, dpi: int
) -> None:
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
    )
    assert scanned.stdout.strip() == DATA.verification_url, scanned.stderr


def test_a_90_character_name_stays_on_one_page_inside_the_frame(
    renderer: CertificateRenderer, tmp_path: Path
) -> None:
    assert len(NAME_90) == 90
    data = replace(DATA, holder_name=NAME_90)
    pdf = renderer.render(data)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    words = words_with_boxes(pdf, tmp_path)
    name_words = [w for w in words if w[0] in NAME_90.split()]
    assert len(name_words) == len(NAME_90.split())
    for word, x0, _, x1, _ in words:
        assert x0 >= FRAME_INSET_PT and x1 <= PAGE_WIDTH_PT - FRAME_INSET_PT, word
    check_not_blank(pdf, data)


def test_the_longest_stored_name_title_and_provider_never_reach_the_footer(
    renderer: CertificateRenderer, tmp_path: Path
) -> None:
    # The columns hold 300 characters each; even then the body stays above the footer.
    data = replace(
        DATA,
        holder_name=("Wolfeschlegelsteinhausenbergerdorff " * 9)[:300].strip(),
        activity_title=("Integrating the Essential Understandings Regarding Indians " * 6)[:300],
        provider=("Northern Rocky Mountain Consortium for Rural Education " * 6)[:300],
    )
    pdf = renderer.render(data)
    words = words_with_boxes(pdf, tmp_path)
    footer_top = min(y0 for word, _, y0, _, _ in words if word in {"CERTIFICATE", "Issued"})
    body = [
        w for w in words if w[0].startswith(("Wolfeschlegel", "Integrating", "Consortium", "hours"))
    ]
    assert body and max(y1 for *_, y1 in body) < footer_top
    for word, x0, _, x1, _ in words:
        assert x0 >= FRAME_INSET_PT and x1 <= PAGE_WIDTH_PT - FRAME_INSET_PT, word
    # The last line too: a centring by transform once dropped it (the read-back caught it).
    assert "hours" in {w[0] for w in words}
    check_not_blank(pdf, data)


def test_a_name_with_no_space_to_break_at_wraps_instead_of_overflowing(
    renderer: CertificateRenderer,
) -> None:
    data = replace(DATA, holder_name="X" * 120)
    pdf = renderer.render(data)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    check_not_blank(pdf, data)


def test_a_long_name_is_split_into_even_lines() -> None:
    lines = balanced_lines(NAME_90, 2)
    assert len(lines) == 2 and " ".join(lines) == NAME_90
    assert abs(len(lines[0]) - len(lines[1])) < 20


def test_a_provider_is_named_instead_of_the_pre_approval_line(
    renderer: CertificateRenderer,
) -> None:
    data = replace(DATA, provider="Montana State University Extension")
    text = squeeze(extract_text(renderer.render(data)))
    assert "offered by Montana State University Extension" in text
    assert "Pre-approved by the Office of Public Instruction" not in text


def test_a_record_with_an_empty_name_is_refused_before_rendering(
    renderer: CertificateRenderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_render(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("rendered a certificate with no name")

    monkeypatch.setattr(renderer, "html", must_not_render)
    with pytest.raises(BlankCertificateError, match="holder_name"):
        renderer.render(replace(DATA, holder_name="   "))


def test_validation_names_every_empty_field_at_once() -> None:
    data = replace(DATA, holder_name="", license_number=" ", number="", verification_url="")
    with pytest.raises(BlankCertificateError) as caught:
        data.validate()
    for field in ("holder_name", "license_number", "number", "verification_url"):
        assert field in str(caught.value)


def test_zero_hours_and_an_end_before_the_start_are_refused() -> None:
    data = replace(DATA, hours=Decimal("0"), end_date=date(2027, 6, 1))
    with pytest.raises(BlankCertificateError, match=r"hours must be positive.*end_date"):
        data.validate()


def test_check_not_blank_refuses_a_pdf_that_lacks_the_holder_name(pdf: bytes) -> None:
    with pytest.raises(BlankCertificateError, match="holder name"):
        check_not_blank(pdf, replace(DATA, holder_name="Someone Else Entirely"))


def test_check_not_blank_refuses_a_pdf_with_other_hours_or_number(pdf: bytes) -> None:
    with pytest.raises(BlankCertificateError, match="hours, number"):
        check_not_blank(pdf, replace(DATA, hours=Decimal("2"), number="PDU-2027-999999"))


def test_check_not_blank_refuses_bytes_that_are_not_a_pdf() -> None:
    with pytest.raises(BlankCertificateError):
        check_not_blank(b"%PDF-1.7 truncated", DATA)


def test_embedded_files_are_attached_once_each(renderer: CertificateRenderer) -> None:
    record = b'{"number": "PDU-2027-000042"}'
    pdf = renderer.render(DATA, attachments=[("record.json", record, "Certificate record")])
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments["record.json"] == [record]
    associated = reader.trailer["/Root"]["/AF"]
    assert len(associated) == 1  # PDF/A-3 associates each embedded file with the document
    check_not_blank(pdf, DATA)


def test_the_same_record_renders_the_same_bytes_so_no_clock_is_read(
    renderer: CertificateRenderer, pdf: bytes
) -> None:
    assert CertificateRenderer().render(DATA) == pdf
    assert renderer.render(DATA) == pdf


def test_the_image_cache_keeps_the_seal_but_not_each_certificates_qr_code() -> None:
    # A batch of thousands must not hold every QR code it drew.
    renderer = CertificateRenderer()
    for code in ("AAAA-BBBB-CCCC-DDDD", "EEEE-FFFF-GGGG-HHHH", "JJJJ-KKKK-LLLL-MMMM"):
        url = f"https://pdu.opi.example/verify/{code}"
        renderer.render(replace(DATA, verification_code=code, verification_url=url))
        cached = list(renderer._image_cache)
        assert [key for key in cached if key.endswith("/seal.svg")]
        assert not [key for key in cached if not key.startswith("file:")], cached


def batch_of_records() -> list[tuple[CertificateData, list[tuple[str, bytes, str]]]]:
    """Certificates that differ in every way a page can: name, script, length, provider."""
    names = ("Maria Running Crane", "Αικατερίνη Παπαδοπούλου", NAME_90, "Nguyễn Thị Minh Khai")
    items = []
    for i, name in enumerate(names):
        number = f"PDU-2027-00010{i}"
        code = f"K7QM-3XPA-9RTD-WH2{i}"
        data = replace(
            DATA,
            holder_name=name,
            number=number,
            verification_code=code,
            verification_url=f"https://pdu.opi.example/verify/{code}",
            provider="Big Sky Learning Collaborative" if i % 2 else None,
            hours=Decimal(("12.50", "3", "6.25", "1")[i]),
        )
        credential = f'{{"number": "{number}"}}'.encode()
        items.append((data, [(f"{number}.credential.json", credential, "Credential")]))
    return items


def test_a_batch_gives_each_certificate_the_very_bytes_it_gets_alone(
    renderer: CertificateRenderer,
) -> None:
    # Byte for byte: the same look, metadata, PDF/A-3b declaration and embedded credential.
    items = batch_of_records()
    drawn = renderer.render_many(items)
    assert drawn == [renderer.render(data, attachments) for data, attachments in items]
    for (data, attachments), pdf in zip(items, drawn, strict=True):
        assert isinstance(pdf, bytes)
        check_not_blank(pdf, data)
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        assert reader.attachments[attachments[0][0]] == [attachments[0][1]]
        assert reader.metadata is not None and data.number in str(reader.metadata.title)


def test_an_incomplete_record_in_a_batch_is_refused_and_the_others_are_drawn(
    renderer: CertificateRenderer,
) -> None:
    items = batch_of_records()
    items[1] = (replace(items[1][0], holder_name=" "), items[1][1])
    drawn = renderer.render_many(items)
    assert isinstance(drawn[1], BlankCertificateError) and "holder_name" in str(drawn[1])
    for i in (0, 2, 3):
        pdf = drawn[i]
        assert isinstance(pdf, bytes)
        check_not_blank(pdf, items[i][0])


class SpillsFor(CertificateRenderer):
    """Draws one certificate with a second page, as an overlong record might."""

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def html(self, data: CertificateData, *, stationery: bool, particulars: bool) -> str:
        html = super().html(data, stationery=stationery, particulars=particulars)
        if particulars and data.number == self.number:
            html = html.replace(
                "</body>", '<p>The record</p><p style="break-before: page">goes on</p></body>'
            )
        return html


def test_a_certificate_spilling_onto_two_pages_in_a_batch_is_named_and_the_others_are_drawn() -> (
    None
):
    items = batch_of_records()
    spilling = items[2][0].number
    drawn = SpillsFor(spilling).render_many(items)
    assert isinstance(drawn[2], CertificateLayoutError) and spilling in str(drawn[2])
    for i in (0, 1, 3):
        pdf = drawn[i]
        assert isinstance(pdf, bytes)
        assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
        check_not_blank(pdf, items[i][0])
