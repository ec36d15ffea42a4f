"""Bulk issuance from a provider's roster, on SQLite and PostgreSQL, with real PDFs read
back by pypdf: every certificate holds its attendee's name and hours, declares PDF/A-3b and
carries a credential whose signature verifies; revocation and reissue; crash recovery."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from models import credentials
from models.cases import Case
from models.certificates import Certificate
from models.data_dir import certificate_path
from models.enums import StaffRole
from models.events import Attendee, ProviderEvent
from models.messages import OutboxMessage
from models.services import case_certificates
from models.services import provider_events as event_service
from models.services.case_view import case_view
from models.services.certificate_view import certificate_view
from models.services.context import ServiceContext
from models.services.directory import add_provider
from models.services.errors import Conflict, UserError
from models.services.issuing import (
    CertificateNotIssued,
    Corrections,
    InProcess,
    RenderJob,
    WorkerPool,
    credential_of,
    issuer_did,
    reissue,
    revoke,
    transcript,
)
from models.services.staff import add_staff
from models.services.verification import verify
from models.uow import UnitOfWork
from templates.pdf import BlankCertificateError, extract_text
from tests import factories
from tests.integration.test_certificate_pdf import DATA

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
HEADER = "first_name,last_name,email,license_number,hours\n"
ATTENDEES = [
    ("Maria", "Running Crane", "maria@school.example", "123456", "12"),
    ("Nguyễn Thị", "Minh Khai", "khai@school.example", "234567", "6.5"),
    ("Αικατερίνη", "Παπαδοπούλου", "katerina@school.example", "345678", "12"),
    ("Александра Владимировна", "Кузнецова", "sasha@school.example", "456789", "0.25"),
    (
        "Maximiliana Alexandrina",
        "Konstantinopoulou-Vanderbilt de la Fuente y Montenegro-Albuquerque",
        "max@school.example",
        "mt-48213",
        "11.75",
    ),
]

Factory = Callable[[], UnitOfWork]


def roster(rows: list[tuple[str, ...]], header: str = HEADER) -> bytes:
    return (header + "".join(",".join(row) + "\n" for row in rows)).encode()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


@pytest.fixture
def event_id(uow: Factory, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("PDU_PUBLIC_URL", "https://pdu.opi.example")
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        add_staff(work.session, "ada@opi.example", "Ada Admin", StaffRole.ADMIN, NOW)
        add_provider(work.session, "Big Sky Learning Collaborative", "info@bigsky.example", NOW)
        event = event_service.add_event(
            ctx,
            "MTP-00001",
            title="Montana Literacy Summit 2026",
            start=date(2026, 11, 19),
            end=date(2026, 11, 20),
            hours="12",
            locations=["Helena, MT"],
            description="Two days on structured literacy.",
        )
        work.commit()
        return event.id


def issue(
    uow: Factory, event_id: int, content: bytes, *, skip_invalid: bool = False, **batch: Any
) -> event_service.RosterResult:
    result = event_service.accept_roster(uow, event_id, content, NOW, skip_invalid=skip_invalid)
    if result.roster.ok or skip_invalid:
        batch.setdefault("pool", InProcess())
        result.batch = event_service.issue_pending(uow, event_id, clock=lambda: NOW, **batch)
    return result


def certificates(uow: Factory) -> list[Certificate]:
    """The certificates as plain snapshots (detached before the unit of work rolls back)."""
    with uow() as work:
        rows = list(work.session.scalars(select(Certificate).order_by(Certificate.id)))
        work.session.expunge_all()
        return rows


def pdf_of(data_dir: Path, number: str) -> bytes:
    return certificate_path(data_dir, number).read_bytes()


def test_every_certificate_of_a_roster_holds_its_attendees_name_and_hours(
    uow: Factory, event_id: int, isolated_environment: Path
) -> None:
    # Two real worker processes, as a large batch uses them.
    pool = WorkerPool(2)
    try:
        result = issue(uow, event_id, roster(ATTENDEES), pool=pool)
    finally:
        pool.close()
    assert result.issued == len(ATTENDEES)
    issued = certificates(uow)
    assert [c.holder_name for c in issued] == [f"{a[0]} {a[1]}" for a in ATTENDEES]
    for cert, (first, last, _, _, hours) in zip(issued, ATTENDEES, strict=True):
        text = squeeze(extract_text(pdf_of(isolated_environment, cert.number)))
        assert squeeze(f"{first} {last}") in text
        assert squeeze(f"{Decimal(hours).normalize():f} PDU hours") in text
        assert cert.number in text
        assert "offeredbyBigSkyLearningCollaborative" in text
        assert cert.hours == Decimal(hours)


def test_a_worker_batch_stores_each_certificate_and_refuses_only_the_incomplete_one(
    tmp_path: Path,
) -> None:
    names = ("Maria Running Crane", " ", "Αικατερίνη Παπαδοπούλου", "Lee Okafor")
    jobs = [
        RenderJob(
            replace(DATA, holder_name=name, number=f"PDU-2027-00020{i}"),
            f'{{"n": {i}}}'.encode(),
            str(tmp_path / f"{i}.pdf"),
        )
        for i, name in enumerate(names)
    ]
    pool = WorkerPool(1, batch=3)  # a full batch of three, then one asked for alone
    try:
        futures = [pool.submit(job) for job in jobs]
        with pytest.raises(BlankCertificateError, match="holder_name"):
            futures[1].result(timeout=120)
        for i in (0, 2, 3):
            sha256 = futures[i].result(timeout=120)  # the last one's asking sends its batch off
            pdf = (tmp_path / f"{i}.pdf").read_bytes()
            assert sha256 == hashlib.sha256(pdf).hexdigest()
            assert squeeze(names[i]) in squeeze(extract_text(pdf))
            assert PdfReader(io.BytesIO(pdf)).attachments[f"PDU-2027-00020{i}.credential.json"]
    finally:
        pool.close()
    assert not (tmp_path / "1.pdf").exists()


def test_the_pdf_declares_pdf_a_3b_and_carries_a_credential_whose_signature_verifies(
    uow: Factory, event_id: int, isolated_environment: Path
) -> None:
    issue(uow, event_id, roster(ATTENDEES[:1]))
    cert = certificates(uow)[0]
    pdf = pdf_of(isolated_environment, cert.number)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.xmp_metadata is not None
    assert (str(reader.xmp_metadata.pdfaid_part), reader.xmp_metadata.pdfaid_conformance) == (
        "3",
        "B",
    )
    assert list(reader.attachments) == [f"{cert.number}.credential.json"]
    assert len(reader.trailer["/Root"]["/AF"]) == 1
    credential = credential_of(pdf)
    trusted = {issuer_did("dev-insecure-secret-change-me")}
    assert credentials.check(credential, trusted) is None
    assert credential["id"] == f"https://pdu.opi.example/verify/{cert.verification_code}"
    assert credential["credentialSubject"]["creditsEarned"] == 12
    assert credentials.identity_matches(credential, "emailAddress", "maria@school.example")
    assert "maria@school.example" not in json.dumps(credential)

    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["creditsEarned"] = 15
    assert credentials.check(altered, trusted) == (
        "the signature does not match the credential (it was altered)"
    )


def test_each_attendee_gets_their_certificate_by_email_and_the_event_records_the_count(
    uow: Factory, event_id: int
) -> None:
    issue(uow, event_id, roster(ATTENDEES[:3]))
    with uow() as work:
        mails = list(work.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        event = work.session.get(ProviderEvent, event_id)
        assert event is not None and event.certificates_issued == 3
        work.session.expunge_all()
    numbers = [c.number for c in certificates(uow)]
    assert [(m.template, m.to_addresses) for m in mails] == [
        ("certificate_awarded", [a[2]]) for a in ATTENDEES[:3]
    ]
    for mail, number in zip(mails, numbers, strict=True):
        assert number in mail.subject
        assert mail.attachments == [
            {
                "path": f"certificates/{number}.pdf",
                "filename": f"PDU certificate {number}.pdf",
                "content_type": "application/pdf",
            }
        ]


def test_roster_errors_are_reported_by_line_and_nothing_is_issued(
    uow: Factory, event_id: int
) -> None:
    content = roster(
        [
            ATTENDEES[0],
            ("", "Okafor", "jane@school.example", "111111", "6"),
            ("Tom", "Baker", "not-an-address", "222222", "6"),
            ("Ann", "Lee", "ann@school.example", "333333", "13"),
            ("Bo", "Yu", "bo@school.example", "444444", "six"),
            ("Cy", "Ng", "cy@school.example", "", "0"),
            ("Di", "Ro", "di@school.example", "555555"),
        ]
    )
    result = issue(uow, event_id, content)
    assert [(p.line, p.message) for p in result.roster.problems] == [
        (3, "first_name is empty"),
        (4, "email 'not-an-address' is not a valid address"),
        (5, "hours 13 is more than the event's 12"),
        (6, "hours 'six' is not a number like 6 or 6.5 (two decimals at most)"),
        (7, "license_number is empty; hours must be more than 0"),
        (8, "4 fields where the header has 5"),
    ]
    assert result.issued == 0
    assert certificates(uow) == []
    with uow() as work:
        assert work.session.scalars(select(Attendee)).all() == []


def test_skip_invalid_issues_the_valid_lines_and_reports_the_others(
    uow: Factory, event_id: int
) -> None:
    content = roster([ATTENDEES[0], ("Tom", "Baker", "tom@school.example", "222222", "20")])
    result = issue(uow, event_id, content, skip_invalid=True)
    assert result.issued == 1
    assert [str(p) for p in result.roster.problems] == [
        "line 3: hours 20 is more than the event's 12"
    ]
    assert [c.holder_name for c in certificates(uow)] == ["Maria Running Crane"]


def test_duplicates_in_a_roster_and_across_uploads_are_never_issued_twice(
    uow: Factory, event_id: int
) -> None:
    first = issue(uow, event_id, roster([ATTENDEES[0], ATTENDEES[0], ATTENDEES[1]]))
    assert first.issued == 2
    assert [(s.line, s.reason) for s in first.roster.skipped] == [(3, "duplicate of line 2")]
    number = certificates(uow)[0].number

    # The provider uploads the roster again with a late attendee added.
    again = issue(uow, event_id, roster([ATTENDEES[0], ATTENDEES[1], ATTENDEES[2]]))
    assert again.issued == 1
    assert [(s.line, s.reason) for s in again.roster.skipped] == [
        (2, f"already issued ({number})"),
        (3, f"already issued ({certificates(uow)[1].number})"),
    ]
    assert len(certificates(uow)) == 3
    with uow() as work:
        event = work.session.get(ProviderEvent, event_id)
        assert event is not None and event.certificates_issued == 3


def test_the_same_person_twice_with_different_details_is_an_error_not_a_guess(
    uow: Factory, event_id: int
) -> None:
    other_hours = (*ATTENDEES[0][:4], "6")
    other_license = ("Maria", "Running Crane", "maria@school.example", "999999", "12")
    result = issue(uow, event_id, roster([ATTENDEES[0], other_hours, other_license]))
    assert [str(p) for p in result.roster.problems] == [
        "line 3: license number 123456 is also on line 2 with different details: "
        "keep one line per person",
        "line 4: email maria@school.example is also on line 2 for another license number",
    ]
    assert certificates(uow) == []


def test_a_bad_header_is_one_problem_naming_the_expected_columns(
    uow: Factory, event_id: int
) -> None:
    content = roster([ATTENDEES[0]], header="first,last_name,email,license_number,hours\n")
    result = issue(uow, event_id, content)
    assert [str(p) for p in result.roster.problems] == [
        "line 1: missing column(s) first_name; unknown column(s) first "
        "(the header is first_name,last_name,email,license_number,hours)"
    ]


def test_a_roster_saved_in_a_legacy_encoding_is_refused_with_its_line(
    uow: Factory, event_id: int
) -> None:
    content = (HEADER + "Maria,Running Crane,maria@school.example,123456,12\n").encode()
    content += "José,Núñez,jose@school.example,777777,6\n".encode("cp1252")
    with pytest.raises(UserError, match=r"line 3: the roster is not UTF-8"):
        issue(uow, event_id, content)


def test_no_certificate_is_issued_before_the_event_ends(
    uow: Factory, isolated_environment: Path
) -> None:
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        add_provider(work.session, "Big Sky Learning Collaborative", "info@bigsky.example", NOW)
        upcoming = event_service.add_event(
            ctx,
            "MTP-00001",
            title="Winter Institute",
            start=date(2026, 11, 20),
            end=date(2026, 12, 4),
            hours="20",
            locations=["Bozeman, MT"],
        )
        course = event_service.add_event(
            ctx,
            "MTP-00001",
            title="Self-paced: Reading Foundations",
            start=date(2026, 9, 1),
            end=date(2027, 8, 31),
            hours="10",
            format="self_paced",
        )
        work.commit()
        ids = upcoming.id, course.id
    with pytest.raises(UserError, match="ends on 2026-12-04: certificates are issued after it"):
        issue(uow, ids[0], roster(ATTENDEES[:1]))
    # A continuously available course is completed on each attendee's own day.
    assert issue(uow, ids[1], roster([(*ATTENDEES[0][:4], "10")])).issued == 1
    assert certificates(uow)[0].provider_name == "Big Sky Learning Collaborative"


class FailsFor(InProcess):
    """Renders for real, except the certificate of one holder, whose check fails."""

    def __init__(self, holder: str) -> None:
        super().__init__()
        self.holder = holder

    def submit(self, job: RenderJob) -> Future[str]:
        if job.data.holder_name != self.holder:
            return super().submit(job)
        future: Future[str] = Future()
        future.set_exception(
            BlankCertificateError(f"certificate {job.data.number}: the PDF text lacks the hours")
        )
        return future


def test_a_certificate_failing_its_check_is_not_issued_and_the_admins_are_told(
    uow: Factory, event_id: int
) -> None:
    result = issue(uow, event_id, roster(ATTENDEES[:3]), pool=FailsFor("Nguyễn Thị Minh Khai"))
    assert result.issued == 2
    assert result.batch is not None
    assert [line for line, _ in result.batch.failed] == [3]
    with uow() as work:
        mails = list(work.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        failed = work.session.scalar(select(Attendee).where(Attendee.failure.is_not(None)))
        assert failed is not None and failed.license_number == "234567"
        reserved = failed.certificate_number
        event = work.session.get(ProviderEvent, event_id)
        assert event is not None and event.certificates_issued == 2
        work.session.expunge_all()
    notices = [m for m in mails if m.template == "certificate_not_issued"]
    assert [m.to_addresses for m in notices] == [["ada@opi.example"]]
    assert "line 3 (license 234567)" in notices[0].body_text
    assert "khai@school.example" not in [a for m in mails for a in m.to_addresses]

    # Once fixed, uploading a roster with that attendee issues it (the same number).
    again = issue(uow, event_id, roster([ATTENDEES[1]]))
    assert again.issued == 1
    assert certificates(uow)[-1].holder_name == "Nguyễn Thị Minh Khai"
    assert certificates(uow)[-1].number == reserved


def test_a_batch_that_died_mid_way_resumes_with_the_numbers_it_had_reserved(
    uow: Factory, event_id: int
) -> None:
    accepted = event_service.accept_roster(uow, event_id, roster(ATTENDEES[:3]), NOW)
    assert accepted.queued == 3
    # A run claims two attendees, reserves their numbers, and dies before recording.
    claimed = event_service._reserve(uow, event_id, NOW, 2)
    assert claimed is not None
    reserved = [prepared.number for _, prepared in claimed]
    # Meanwhile those two are someone else's: a run now issues only the third.
    first = event_service.issue_pending(uow, event_id, clock=lambda: NOW, pool=InProcess())
    assert first.issued == 1 and first.pending == 2
    # After the lease, the next run takes them over with the same numbers.
    later = NOW + event_service.LEASE + timedelta(minutes=1)
    second = event_service.issue_pending(uow, event_id, clock=lambda: later, pool=InProcess())
    assert second.issued == 2 and second.pending == 0
    assert sorted(second.numbers) == sorted(reserved)
    assert len({c.number for c in certificates(uow)}) == 3


def test_revocation_and_reissue_keep_the_old_certificate_revoked_with_a_pointer(
    uow: Factory, event_id: int
) -> None:
    issue(uow, event_id, roster(ATTENDEES[:2]))
    first, second = (c.number for c in certificates(uow))
    later = NOW + timedelta(days=1)
    with uow() as work:
        ctx = ServiceContext.of(work, later)
        revoke(ctx, second, "Attendance not confirmed by the sign-in sheet")
        _old, new = reissue(
            ctx, first, Corrections(holder_name="Maria Elena Running Crane"), "name misspelled"
        )
        work.commit()
        new_number = new.number
    with uow() as work:
        s = work.session
        answer = verify(s, second)
        assert answer.answer == "revoked"
        assert answer.certificate is not None
        assert answer.certificate.revoked_reason == "Attendance not confirmed by the sign-in sheet"
        assert answer.certificate.revoked_at == later
        replaced = verify(s, first)
        assert replaced.answer == "revoked" and replaced.certificate is not None
        assert replaced.certificate.replaced_by is not None
        assert replaced.certificate.replaced_by.number == new_number
        assert replaced.certificate.revoked_reason == f"replaced by {new_number} (name misspelled)"
        assert verify(s, new_number).answer == "valid"
        attendee = s.scalar(select(Attendee).where(Attendee.license_number == "123456"))
        current = verify(s, new_number).certificate
        assert attendee is not None and current is not None
        assert attendee.certificate_id == current.id
        templates = [
            m.template for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        assert templates[-2:] == ["certificate_revoked", "certificate_awarded"]
        record = transcript(s, "123456", date(2026, 11, 24))
        assert record.total == 12 and record.holder_name == "Maria Elena Running Crane"
    text = squeeze(extract_text(pdf_of(UnitOfWork().settings.data_dir, new_number)))
    assert "MariaElenaRunningCrane" in text

    with uow() as work:
        ctx = ServiceContext.of(work, later)
        with pytest.raises(Conflict, match=f"replaced by {new_number}"):
            revoke(ctx, first, "again")
        with pytest.raises(Conflict, match="already revoked"):
            revoke(ctx, second, "again")
        with pytest.raises(UserError, match="hours must be at most 12"):
            reissue(ctx, new_number, Corrections(hours=Decimal("13")))


def test_a_pre_approval_certificate_is_issued_the_same_way_with_its_credential_and_case_keys(
    uow: Factory, isolated_environment: Path
) -> None:
    with uow() as work:
        applicant = factories.person(work.session, license_number="123456")
        case = factories.case(work.session, now=NOW, applicant=applicant)
        case.form = {
            "activity": {
                "title": "Trauma-Informed Classrooms",
                "start_date": "2026-10-01",
                "end_date": "2026-10-03",
            }
        }
        case.hours_granted = Decimal("10.5")
        number = case_certificates.reserve(ServiceContext.of(work, NOW), case)  # at ACCEPT
        case_id = case.id
        work.commit()
    # Nothing is drawn inside the decision's transaction: after it commits.
    assert not certificate_path(isolated_environment, number).exists()
    assert case_certificates.issue_reserved(uow, NOW, case_id) == [number]
    assert case_certificates.issue_reserved(uow, NOW, case_id) == []  # once only
    with uow() as work:
        certificate = work.session.scalars(select(Certificate)).one()
        case = work.session.get(Case, case_id)
        # `pdu case show` and `pdu certificate list` describe a certificate alike.
        [shown] = case_view(work.session, case, "America/Denver")["certificates"]
        assert shown == certificate_view(certificate, ZoneInfo("America/Denver"))
        assert {"holder", "email", "status"} <= shown.keys()
        [sent] = work.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "certificate_issued")
        )
        assert [a["path"] for a in sent.attachments] == [f"certificates/{number}.pdf"]
    pdf = pdf_of(isolated_environment, number)
    text = squeeze(extract_text(pdf))
    assert "Pre-approvedbytheOfficeofPublicInstruction" in text and "10.5PDUhours" in text
    credential = credential_of(pdf)
    assert credentials.check(credential, {issuer_did("dev-insecure-secret-change-me")}) is None
    creator = credential["credentialSubject"]["achievement"]["creator"]
    assert creator["name"] == "Montana Office of Public Instruction"


def test_an_accepted_certificate_that_fails_after_rendering_is_kept_unissued_and_admins_told(
    uow: Factory, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with uow() as work:
        add_staff(work.session, "ada@opi.example", "Ada Admin", StaffRole.ADMIN, NOW)
        applicant = factories.person(work.session, license_number="123456")
        case = factories.case(work.session, now=NOW, applicant=applicant)
        case.form = {
            "activity": {"title": "T", "start_date": "2026-10-01", "end_date": "2026-10-01"}
        }
        case.hours_granted = Decimal("3")
        case_certificates.reserve(ServiceContext.of(work, NOW), case)
        case_id = case.id
        work.commit()

    def blank(job: Any) -> str:
        raise BlankCertificateError("the PDF text lacks the holder name")

    monkeypatch.setattr(case_certificates, "render_job", blank)
    assert case_certificates.issue_reserved(uow, NOW) == []
    assert case_certificates.issue_reserved(uow, NOW) == []  # not retried: staff decide
    with uow() as work:
        case = work.session.get(Case, case_id)
        assert case.certificate_failure == "the PDF text lacks the holder name"
        assert work.session.scalars(select(Certificate)).all() == []
        [told] = work.session.scalars(select(OutboxMessage))
        assert (told.template, told.to_addresses) == ("certificate_not_issued", ["ada@opi.example"])
        assert f"[{case.reference}] Certificate not issued" in told.subject


def test_a_pre_approval_without_a_license_number_is_refused_so_the_reviewer_is_told(
    uow: Factory, isolated_environment: Path
) -> None:
    with uow() as work:
        applicant = factories.person(work.session, license_number=None)
        case = factories.case(work.session, now=NOW, applicant=applicant)
        case.form = {
            "activity": {"title": "T", "start_date": "2026-10-01", "end_date": "2026-10-01"}
        }
        case.hours_granted = Decimal("3")
        # A UserError: the reviewer's ACCEPT by email is answered with this line.
        with pytest.raises(CertificateNotIssued, match=r"not issued: .*empty license_number"):
            case_certificates.reserve(ServiceContext.of(work, NOW), case)
    assert not (isolated_environment / "certificates").exists()


def test_the_annual_report_lists_each_activity_with_its_participants(
    uow: Factory, event_id: int
) -> None:
    issue(uow, event_id, roster(ATTENDEES[:3]))
    with uow() as work:
        revoke(ServiceContext.of(work, NOW), certificates(uow)[2].number, "Did not attend")
        ctx = ServiceContext.of(work, NOW)
        event_service.add_event(
            ctx,
            "Big Sky Learning Collaborative",
            title='=HYPERLINK("http://evil.example")',
            start=date(2026, 12, 10),
            end=date(2026, 12, 10),
            hours="3",
            format="virtual",
        )
        work.commit()
    with uow() as work:
        report = event_service.annual_report(work.session, "MTP-00001", 2026, NOW)
        table = io.StringIO(event_service.report_csv(report).decode("utf-8-sig"))
        rows = list(csv.DictReader(table))
        pdf = event_service.report_pdf(report, "America/Denver")
    assert report.participants == 2
    summit = [r for r in rows if r["event_id"] == str(event_id)]
    assert [r["participant_name"] for r in summit] == [
        "Nguyễn Thị Minh Khai",
        "Maria Running Crane",
    ]
    assert {r["participants"] for r in summit} == {"2"}
    assert {r["certificates_issued"] for r in summit} == {"3"}
    assert summit[0]["locations"] == "Helena, MT"
    webinar = [r for r in rows if r["event_id"] != str(event_id)]
    assert len(webinar) == 1 and webinar[0]["participants"] == "0"
    assert webinar[0]["title"].startswith("'=")  # a spreadsheet shows it, never runs it
    assert webinar[0]["locations"] == "online"
    text = squeeze(extract_text(pdf))
    assert "AnnualreportofPDUactivities,2026" in text
    assert "MontanaLiteracySummit2026" in text and "ΑικατερίνηΠαπαδοπούλου" not in text
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.xmp_metadata is not None and str(reader.xmp_metadata.pdfaid_part) == "3"


def test_an_event_needs_an_approved_provider_sane_dates_and_a_place(uow: Factory) -> None:
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        add_provider(work.session, "Big Sky Learning Collaborative", "info@bigsky.example", NOW)
        base: dict[str, Any] = {
            "title": "Summit",
            "start": date(2026, 12, 1),
            "end": date(2026, 12, 2),
            "hours": "12",
            "locations": ["Helena, MT"],
        }
        with pytest.raises(UserError, match="not in the approved provider directory"):
            event_service.add_event(ctx, "Unknown Academy", **base)
        with pytest.raises(UserError, match=r"ends .* before it starts"):
            event_service.add_event(ctx, "MTP-00001", **(base | {"end": date(2026, 11, 30)}))
        with pytest.raises(UserError, match="needs a location"):
            event_service.add_event(ctx, "MTP-00001", **(base | {"locations": []}))
        with pytest.raises(UserError, match="at most two decimals"):
            event_service.add_event(ctx, "MTP-00001", **(base | {"hours": "1.125"}))
        with pytest.raises(UserError, match="unknown format"):
            event_service.add_event(ctx, "MTP-00001", **(base | {"format": "podcast"}))
        late = event_service.add_event(ctx, "MTP-00001", **(base | {"start": date(2026, 11, 1)}))
        assert late.reported_late
        on_time = event_service.add_event(ctx, "MTP-00001", **base)
        assert not on_time.reported_late


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_prefect_flow_takes_the_event_id_and_keeps_names_and_addresses_out_of_prefect(
    uow: Factory, event_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.testing.utilities import prefect_test_harness

    from flows.certificates import ARTIFACT_KEY, issue_event_certificates

    monkeypatch.setenv("PDU_NOW", NOW.isoformat())
    accepted = event_service.accept_roster(uow, event_id, roster(ATTENDEES[:3]), NOW)
    assert accepted.queued == 3
    with prefect_test_harness(server_startup_timeout=60):
        counts = issue_event_certificates(event_id)
        with get_client(sync_client=True) as client:

            def read(path: str) -> list[dict[str, Any]]:
                return client.request("POST", path, json={"limit": 200}).json()  # type: ignore[arg-type]

            artifacts = {a["key"]: a["data"] for a in read("/artifacts/filter")}
            logs = " ".join(log["message"] for log in read("/logs/filter"))
            runs = [(r["name"], r["parameters"]) for r in read("/flow_runs/filter")]
    assert counts == {"issued": 3, "failed": 0, "pending": 0}
    assert json.loads(artifacts[ARTIFACT_KEY]) == [
        {"event_id": event_id, "issued": 3, "failed": 0, "pending": 0}
    ]
    assert runs == [("certificates-2026-11-23T09:00", {"event_id": event_id, "workers": None})]
    in_prefect = f"{artifacts} {logs} {runs}".lower()
    for first, last, email, license_number, _ in ATTENDEES[:3]:
        for personal in (*first.lower().split(), *last.lower().split(), email, license_number):
            assert personal not in in_prefect
    assert len(certificates(uow)) == 3
