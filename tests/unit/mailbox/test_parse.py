"""parse_message on real clients' messages (tests/fixtures/email) and odd ones."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta, timezone
from mailbox.attachments import JPEG, JSON, PDF, PNG, TYPE_REFUSED
from mailbox.limits import MessageRejected
from mailbox.parse import TextSource

import pytest

from tests.unit.mailbox.support import FIXTURES, fixture, message, parse, raw

TOKEN_ADDRESS = "pdu+k7xq2m4vwp3n5r6s7t2u3v4w5x@opi.example"
OUR_ID = "<3f2a9c1e0b7d4e5f8a6b2c9d1e0f3a4b@opi.example>"


def test_the_committed_fixtures_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for name, data in generator.FIXTURES.items():
        assert raw(name) == data, name


def test_a_gmail_reply_gives_ids_addresses_subject_and_date():
    parsed = fixture("gmail_reply.eml")
    assert parsed.message_id == "<CAJr5Vx1oN0=k2Lz8Wq@mail.gmail.com>"
    assert parsed.in_reply_to == OUR_ID
    assert parsed.references == (OUR_ID,)
    assert parsed.from_address == "jane.reviewer@opi.example"
    assert parsed.from_display == "Jane Reviewer"
    assert parsed.to == (TOKEN_ADDRESS,)
    assert parsed.recipients == (TOKEN_ADDRESS,)
    assert parsed.subject.startswith("Re: [PA-2026-00042]")
    assert parsed.date == datetime(2026, 11, 2, 17, 21, 37, tzinfo=UTC)
    assert parsed.text_source is TextSource.PLAIN
    assert parsed.text.startswith("APPROVE 6\n\nLooks fine")


def test_authentication_results_are_all_kept_in_order():
    parsed = fixture("forged_from.eml")
    assert len(parsed.authentication_results) == 2
    assert "dmarc=none" in parsed.authentication_results[0]


def test_an_outlook_desktop_reply_keeps_its_from_sent_block_in_the_text():
    parsed = fixture("outlook_desktop_reply.eml")
    assert parsed.from_address == "jane.reviewer@opi.example"
    assert parsed.from_display == "Reviewer, Jane"
    assert "\nFrom: PDU Workflows" in parsed.text and "\nSent: Monday" in parsed.text


def test_an_html_only_reply_is_converted_without_its_script():
    parsed = fixture("html_only_reply.eml")
    assert parsed.text_source is TextSource.HTML
    assert parsed.text.startswith("APPROVE\n\nThe agenda matches the request & the provider’s")
    assert "alert" not in parsed.text


def test_iso_8859_1_big5_windows_1252_and_bogus_charsets_are_decoded():
    assert "Café Lewis & Clark" in fixture("iso_8859_1.eml").text
    assert fixture("iso_8859_1.eml").from_display == "Renée Lefèvre"
    assert fixture("big5.eml").text.startswith("研習活動於十一月二十日舉行")
    assert fixture("big5.eml").subject == "Re: 研習活動證明"
    assert "presenter’s slides – “Reading" in fixture("windows_1252.eml").text
    assert fixture("bogus_charset.eml").text == "Café at 10 — see you there.\n"
    assert fixture("bogus_charset.eml").subject == "Re: hello"


def test_base64_and_quoted_printable_utf8_bodies_are_decoded():
    assert "José Müller 📚" in fixture("utf8_base64.eml").text
    assert fixture("utf8_base64.eml").subject == "Re: [PA-2026-00042] agenda 📚"
    qp = fixture("utf8_quoted_printable.eml")
    assert "9:00–12:00 and the résumé" in qp.text


def test_format_flowed_lines_are_rejoined():
    text = fixture("thunderbird_reply.eml").text
    assert text.startswith("DENY the activity is a vendor's product demonstration and does not")
    assert "meet the standards of ARM 10.57.215\n" in text


def test_rfc2047_subject_and_rfc2231_filenames_are_decoded():
    parsed = fixture("rfc2047_subject_rfc2231_filename.eml")
    assert parsed.subject == "Re: [PA-2026-00042] Certificat d’assiduité"
    assert [a.filename for a in parsed.attachments] == [
        "Certificat d’assiduité – Helena.pdf",
        "sign-in sheet ✓.png",
    ]


def test_nested_multipart_gives_plain_text_inline_image_and_attachments():
    parsed = fixture("nested_multipart.eml")
    assert parsed.text == "Proof of completion attached: the certificate and the agenda.\n"
    assert [(a.filename, a.sniffed_type, a.inline) for a in parsed.attachments] == [
        ("attachment.png", PNG, True),
        ("certificate.pdf", PDF, False),
        ("agenda.jpg", JPEG, False),
    ]


def test_a_missing_message_id_is_none():
    assert fixture("missing_message_id.eml").message_id is None


def test_a_display_name_spoof_is_exposed_with_the_real_address():
    parsed = fixture("forged_from.eml")
    assert parsed.from_address == "attacker@evil.example"
    assert parsed.display_name_spoof


def test_a_pdf_is_accepted_with_size_and_hash():
    (attachment,) = fixture("pdf_attachment.eml").attachments
    assert (attachment.filename, attachment.sniffed_type) == ("certificate.pdf", PDF)
    assert attachment.size == len(attachment.data) and len(attachment.sha256) == 64


@pytest.mark.parametrize(
    ("name", "sniffed"),
    [
        ("zip_renamed_pdf.eml", "application/zip"),
        ("exe_renamed_pdf.eml", "application/x-msdownload"),
    ],
)
def test_a_zip_or_exe_renamed_pdf_is_refused(name, sniffed):
    parsed = fixture(name)
    assert parsed.attachments == ()
    (refused,) = parsed.refused_attachments
    assert (refused.filename, refused.reason, refused.sniffed_type) == (
        "certificate.pdf",
        TYPE_REFUSED,
        sniffed,
    )


def test_path_traversal_and_control_characters_leave_filenames():
    assert fixture("path_traversal_filename.eml").attachments[0].filename == "passwd.pdf"
    name = fixture("control_chars_filename.eml").attachments[0].filename
    assert name == "certificatefdp.exe.pdf"


def test_a_json_form_sent_as_octet_stream_is_accepted_by_content():
    (attachment,) = fixture("json_form_attachment.eml").attachments
    assert attachment.sniffed_type == JSON


def test_a_dsn_exposes_its_report_type_and_delivery_status():
    parsed = fixture("dsn_bounce.eml")
    assert parsed.content_type == "multipart/report"
    assert parsed.report_type == "delivery-status"
    assert "Final-Recipient: rfc822; nobody@school.example" in parsed.delivery_status
    assert parsed.refused_attachments == ()  # report parts are not attachments
    assert parsed.return_path == "<>"


def test_robot_and_list_headers_are_exposed():
    assert fixture("out_of_office.eml").auto_submitted == "auto-replied"
    listed = fixture("mailing_list.eml")
    assert listed.list_id == "Montana Literacy Network <mt-literacy.lists.literacy.example>"
    assert listed.list_unsubscribe is not None and listed.precedence == "list"


def test_recipient_candidates_include_envelope_headers_first():
    parsed = parse(
        message(
            "Delivered-To: pdu+tok1@opi.example\nX-Original-To: pdu+tok2@opi.example\n"
            "Envelope-To: pdu+tok3@opi.example\nTo: a@x.example\nCc: b@x.example, A@x.example\n"
            "From: c@x.example"
        )
    )
    assert parsed.recipients == (
        "pdu+tok1@opi.example",
        "pdu+tok2@opi.example",
        "pdu+tok3@opi.example",
        "a@x.example",
        "b@x.example",
    )
    assert parsed.cc == ("b@x.example", "a@x.example")


def test_two_from_fields_leave_no_sender():
    parsed = parse(message("From: a@x.example\nFrom: b@y.example\nSubject: x"))
    assert parsed.from_address is None


def test_a_malformed_date_is_none_and_a_zone_less_one_is_utc():
    assert parse(message("Date: yesterday-ish\nFrom: a@x.example")).date is None
    assert parse(message("Date: 31 Feb 2026 99:99:99 +9999")).date is None
    dated = parse(message("Date: Mon, 2 Nov 2026 10:00:00 -0000"))
    assert dated.date == datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert parse(message("Date: Mon, 2 Nov 2026 10:00:00 -0700")).date == datetime(
        2026, 11, 2, 10, tzinfo=timezone(timedelta(hours=-7))
    )


def test_a_message_id_without_brackets_is_normalised():
    assert parse(message("Message-ID: abc@x.example")).message_id == "<abc@x.example>"


def test_text_loses_nul_and_other_control_characters():
    parsed = parse(b"Content-Type: text/plain\n\nA\x00B\x07C\r\nD\n")
    assert parsed.text == "ABC\nD\n"


def test_a_text_part_marked_as_attachment_is_refused_not_read_as_the_body():
    raw_message = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
        b"Body\n--b\nContent-Type: text/plain\nContent-Disposition: attachment; "
        b"filename=notes.txt\n\nAPPROVE\n--b--\n"
    )
    parsed = parse(raw_message)
    assert parsed.text == "Body"
    assert parsed.refused_attachments[0].filename == "notes.txt"


def test_a_forwarded_message_attachment_is_refused_not_opened():
    raw_message = (
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nFwd\n"
        b"--b\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/plain\n\n"
        b"APPROVE\n--b--\n"
    )
    parsed = parse(raw_message)
    assert parsed.text == "Fwd"
    assert parsed.refused_attachments[0].reason == TYPE_REFUSED


def test_the_caps_reject_an_oversized_message():
    with pytest.raises(MessageRejected) as caught:
        parse(raw("gmail_reply.eml"), max_bytes=100)
    assert caught.value.reason_code == "too_large"


def test_attachment_caps_are_applied():
    parsed = parse(raw("nested_multipart.eml"), max_attachment_bytes=150)
    assert [r.filename for r in parsed.refused_attachments] == ["certificate.pdf"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain; charset=idna",
        "text/plain; charset*=idna''x",
        "application/pdf; charset=punycode",
        'text/plain; charset="a\x00b"',
    ],
)
def test_a_charset_the_stdlib_itself_chokes_on_does_not_crash_the_parse(content_type):
    # Found by the property test: Message.get_payload() without decode= raises on these.
    parsed = parse(f"Content-Type: {content_type}\n\n".encode() + b"\xff\xfe hello\n")
    assert isinstance(parsed.text, str)


def test_an_rfc2231_encoded_boundary_is_rejected_before_the_stdlib_raises_on_it():
    raw_message = b"Content-Type: multipart/mixed; boundary*=idna''%FF%FEab\n\n--ab\n\nhi\n--ab--\n"
    with pytest.raises(MessageRejected) as caught:
        parse(raw_message)
    assert caught.value.reason_code == "mime_malformed"


def test_an_empty_plain_alternative_gives_way_to_the_html_one():
    raw_message = (
        b"Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
        b"\n--b\nContent-Type: text/html\n\n<div>APPROVE</div>\n--b--\n"
    )
    parsed = parse(raw_message)
    assert (parsed.text, parsed.text_source) == ("APPROVE", TextSource.HTML)
