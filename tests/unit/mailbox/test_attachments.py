"""Attachments are judged by their bytes, named safely and capped."""

from __future__ import annotations

import hashlib
from mailbox.attachments import (
    EXE,
    JPEG,
    JSON,
    PDF,
    PNG,
    TOO_LARGE,
    TOTAL_TOO_LARGE,
    TYPE_REFUSED,
    UNKNOWN,
    ZIP,
    Candidate,
    sanitize_filename,
    sniff,
    vet,
)

PDF_BYTES = b"%PDF-1.4\n%%EOF\n"


def test_magic_bytes_decide_the_type():
    assert sniff(PDF_BYTES) == PDF
    assert sniff(b"\xff\xd8\xff\xe0rest") == JPEG
    assert sniff(b"\x89PNG\r\n\x1a\nrest") == PNG
    assert sniff(b"PK\x03\x04rest") == ZIP
    assert sniff(b"MZ\x90\x00rest") == EXE
    assert sniff(b"plain text") == UNKNOWN


def test_json_is_recognised_only_when_declared_and_well_formed():
    assert sniff(b'{"a": 1}', declared_type=JSON) == JSON
    assert sniff(b"\xef\xbb\xbf[1, 2]", filename="form.JSON") == JSON
    assert sniff(b'{"a": 1}') == UNKNOWN
    assert sniff(b"{not json", filename="form.json") == UNKNOWN
    assert sniff(b"[" * 100_000, filename="form.json") == UNKNOWN


def test_paths_are_stripped_from_filenames():
    assert sanitize_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert sanitize_filename("C:\\Users\\jane\\cert.pdf") == "cert.pdf"


def test_control_and_bidi_characters_are_removed_from_filenames():
    assert sanitize_filename("cert\x07ifi\r\ncate\u202efdp.exe") == "certificatefdp.exe"


def test_a_filename_is_never_empty_nor_hidden_nor_reserved():
    assert sanitize_filename(None, sniffed_type=PDF) == "attachment.pdf"
    assert sanitize_filename("..", sniffed_type=PNG) == "attachment.png"
    assert sanitize_filename(".bashrc") == "bashrc"
    assert sanitize_filename("CON.pdf") == "_CON.pdf"


def test_a_long_filename_is_cut_but_keeps_its_extension():
    name = sanitize_filename("é" * 500 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name) <= 120 and len(name.encode()) <= 200


def test_allowed_files_are_accepted_with_their_hash_and_a_truthful_extension():
    accepted, refused = vet(
        [Candidate("cert.exe", "application/pdf", PDF_BYTES)],
        max_attachment_bytes=1000,
        max_total_bytes=1000,
    )
    assert refused == ()
    assert accepted[0].filename == "cert.exe.pdf"
    assert accepted[0].sniffed_type == PDF
    assert accepted[0].sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


def test_a_zip_named_pdf_is_refused_by_content():
    _, refused = vet(
        [Candidate("cert.pdf", "application/pdf", b"PK\x03\x04zip")],
        max_attachment_bytes=1000,
        max_total_bytes=1000,
    )
    assert (refused[0].filename, refused[0].reason, refused[0].sniffed_type) == (
        "cert.pdf",
        TYPE_REFUSED,
        ZIP,
    )


def test_size_caps_apply_per_file_then_in_total_in_message_order():
    big = PDF_BYTES + b"x" * 100
    candidates = [
        Candidate("a.pdf", PDF, big),
        Candidate("b.pdf", PDF, big + b"x" * 1000),
        Candidate("c.pdf", PDF, big),
        Candidate("d.pdf", PDF, PDF_BYTES),
    ]
    accepted, refused = vet(candidates, max_attachment_bytes=500, max_total_bytes=200)
    assert [a.filename for a in accepted] == ["a.pdf", "d.pdf"]
    assert [(r.filename, r.reason) for r in refused] == [
        ("b.pdf", TOO_LARGE),
        ("c.pdf", TOTAL_TOO_LARGE),
    ]
