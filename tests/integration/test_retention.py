"""Retention: five years after closing a case goes, held and open ones stay, and nothing of
the educator is left behind, on SQLite and PostgreSQL (`uow`), with the clock moved.
"""

from __future__ import annotations

import csv
import hashlib
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows import cli
from models import clock
from models.cases import Case
from models.certificates import Certificate
from models.data_dir import certificate_path
from models.enums import (
    CaseKind,
    CaseStatus,
    CertificateStatus,
    Channel,
    OutboxStatus,
    ProviderKind,
)
from models.events import Attendee, EventFormat, ProviderEvent
from models.messages import ErrorReply, InboundMessage, OutboxMessage, ReplyToken
from models.providers import Provider
from models.retention import DISPOSED_ANSWER, canonical_json, record_sha256
from models.schema import Base
from models.services import purge, verification
from models.services.attachments import save_attachment
from models.services.context import ServiceContext
from models.services.holds import add_hold
from models.services.intake import submit
from models.services.timeline import Actor, transition
from models.settings import reset_settings
from models.tombstones import PurgeRun, Tombstone
from models.uow import UnitOfWork
from models.workflow import Event
from tests import factories
from tests.e2e.forms import preapproval

CLOSED = datetime(2021, 11, 20, 16, tzinfo=UTC)
SYSTEM = Actor.system(Channel.CLI)
NAME, EMAIL = "Zebulon Quillfeather", "zeb.quill@school.example"
SHARED_FILE = b"%PDF-1.4 agenda shared by two educators"

UowFactory = Callable[[], UnitOfWork]
FOLDERS = ("Processed", "Quarantine")


def at(monkeypatch: pytest.MonkeyPatch, instant: str) -> datetime:
    monkeypatch.setenv("PDU_NOW", instant)
    return clock.now()


def closed_case(
    s: Session,
    reference: str,
    email: str,
    first: str = "Ada",
    last: str = "Example",
    *,
    closed: datetime = CLOSED,
    kind: CaseKind = CaseKind.PREAPPROVAL,
    years: int = 5,
) -> Case:
    """A denied case (a pre-approval unless `kind` says), closed through the transition table
    (retain_until set there, `years` after closing)."""
    person = factories.person(s, email, closed, first_name=first, last_name=last)
    case = factories.case(
        s, reference, now=closed, status=CaseStatus.IN_REVIEW, applicant=person, kind=kind
    )
    case.form = {"educator": {"first_name": first, "last_name": last, "email": email}}
    transition(case, Event.DENY, SYSTEM, closed, f"denied {first} {last}", retain_years=years)
    s.flush()
    return case


def full_case(s: Session, data_dir: Path, reference: str = "PA-2021-00001") -> Case:
    """A closed case with every kind of personal data: mail, token, files, certificate."""
    first, last = NAME.split()
    case = closed_case(s, reference, EMAIL, first, last)
    raw = f"From: {NAME} <{EMAIL}>\r\nMessage-ID: <m1@school.example>\r\n\r\nProof attached."
    inbound = InboundMessage(
        dedupe_key=f"k-{reference}",
        message_id="<m1@school.example>",
        size=len(raw),
        raw=raw.encode(),
        from_address=EMAIL,
        subject=f"Proof from {NAME}",
        received_at=CLOSED,
        case_id=case.id,
    )
    s.add(inbound)
    s.flush()
    for content in (f"Attendance of {NAME}".encode(), SHARED_FILE):
        save_attachment(
            s,
            data_dir,
            filename=f"{last}.pdf",
            content_type="application/pdf",
            data=content,
            sha256=hashlib.sha256(content).hexdigest(),
            now=CLOSED,
            case_id=case.id,
            inbound_id=inbound.id,
        )
    s.add(outbox_row(case.id, EMAIL, f"Dear {NAME}"))
    s.add(
        ReplyToken(
            token_hash=hashlib.sha256(reference.encode()).hexdigest(),
            case_id=case.id,
            recipient=EMAIL,
            allowed="REPLY",
            created_at=CLOSED,
            expires_at=CLOSED,
        )
    )
    number = f"PDU-2021-{case.id:06d}"
    s.add(certificate(case, number, NAME))
    path = certificate_path(data_dir, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f"%PDF-1.4 certificate for {NAME}".encode())
    s.add(ErrorReply(address=EMAIL, reason="case_closed", day=date(2021, 11, 22)))
    s.flush()
    return case


def outbox_row(
    case_id: int | None, to: str, body: str, created: datetime = CLOSED
) -> OutboxMessage:
    return OutboxMessage(
        message_id=f"<out-{hashlib.sha256(body.encode()).hexdigest()[:12]}@opi.example>",
        case_id=case_id,
        template="triage_declined",
        to_addresses=[to],
        subject="Your request",
        body_text=body,
        status=OutboxStatus.SENT,
        next_attempt_at=created,
        created_at=created,
    )


def certificate(case: Case, number: str, holder: str) -> Certificate:
    assert case.applicant is not None
    return Certificate(
        number=number,
        verification_code=f"WXYZ-WXYZ-WXYZ-{number[-4:]}",
        case_id=case.id,
        person_id=case.applicant.id,
        holder_name=holder,
        license_number="MT-99887",
        activity_title="Trauma-Informed Classrooms",
        start_date=date(2021, 6, 1),
        end_date=date(2021, 6, 3),
        hours=Decimal(18),
        issued_at=CLOSED,
        status=CertificateStatus.VALID,
    )


def run_purge(uow: UowFactory, **kwargs: object) -> purge.PurgeReport:
    return purge.execute(uow, now=clock.now(), approval="RDA-2026-07", open_mailbox=None, **kwargs)


def status_of(uow: UowFactory, reference: str) -> str:
    with uow() as work:
        return str(work.session.scalar(select(Case.status).where(Case.reference == reference)))


def everything_in_the_database(uow: UowFactory) -> str:
    with uow() as work:
        return "\n".join(
            repr(row)
            for table in Base.metadata.sorted_tables
            for row in work.session.execute(select(table))
        ).lower()


def sqlite_bytes(database_url: str) -> bytes | None:
    """The SQLite file and its WAL, byte for byte; None on PostgreSQL (SQL search only)."""
    if not database_url.startswith("sqlite"):
        return None
    db_file = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in sorted(db_file.parent.glob(db_file.name + "*")))


def test_a_case_closed_on_2021_11_20_is_kept_on_2026_11_19_and_purged_on_2026_11_21(
    uow, monkeypatch
):
    with uow() as work:
        closed_case(work.session, "PA-2021-00001", "ada@school.example")
        work.commit()
    at(monkeypatch, "2026-11-19T16:00:00Z")
    assert run_purge(uow).counts.get("cases", 0) == 0
    assert status_of(uow, "PA-2021-00001") == "denied"
    at(monkeypatch, "2026-11-21T16:00:00Z")
    assert run_purge(uow).counts["cases"] == 1
    assert status_of(uow, "PA-2021-00001") == "purged"


def test_a_held_case_survives_the_purge_and_goes_once_released(uow, monkeypatch):
    with uow() as work:
        closed_case(work.session, "PA-2021-00002", "held@school.example")
        work.commit()
    assert cli.main(["hold", "add", "PA-2021-00002", "--reason", "Records request 2026-14"]) == 0
    at(monkeypatch, "2030-01-01T00:00:00Z")
    report = run_purge(uow)
    assert report.held == ["PA-2021-00002"] and "cases" not in report.counts
    assert status_of(uow, "PA-2021-00002") == "denied"
    assert cli.main(["hold", "release", "PA-2021-00002"]) == 0
    assert run_purge(uow).counts["cases"] == 1


def test_an_open_case_from_2019_is_never_purged(uow, monkeypatch):
    opened = datetime(2019, 3, 1, 16, tzinfo=UTC)
    with uow() as work:
        person = factories.person(work.session, "open@school.example", opened)
        factories.case(
            work.session, "PA-2019-00001", now=opened, status=CaseStatus.IN_REVIEW, applicant=person
        )
        work.commit()
    at(monkeypatch, "2040-01-01T00:00:00Z")
    report = run_purge(uow)
    assert "cases" not in report.counts and not report.summary.lines
    assert status_of(uow, "PA-2019-00001") == "in_review"


def test_after_the_purge_nothing_of_the_educator_is_left_in_the_database_or_the_data_directory(
    uow, database_url, isolated_environment, monkeypatch, capsys
):
    data_dir = isolated_environment
    with uow() as work:
        case = full_case(work.session, data_dir)
        recent = CLOSED.replace(year=2026)
        live = closed_case(work.session, "PA-2026-00001", "live@school.example", closed=recent)
        shared = hashlib.sha256(SHARED_FILE).hexdigest()
        save_attachment(
            work.session,
            data_dir,
            filename="agenda.pdf",
            content_type="application/pdf",
            data=SHARED_FILE,
            sha256=shared,
            now=CLOSED,
            case_id=live.id,
            inbound_id=None,
        )
        stranger = InboundMessage(  # tied to no case: goes by its own date
            dedupe_key="stray",
            message_id="<stray@school.example>",
            size=10,
            raw=f"From: {EMAIL}\r\n\r\nHello from {NAME}".encode(),
            from_address=EMAIL,
            received_at=CLOSED,
        )
        work.session.add_all([stranger, outbox_row(None, EMAIL, f"Hello {NAME}")])
        work.commit()
        number = f"PDU-2021-{case.id:06d}"
    needles = [NAME.split()[0], NAME.split()[1], EMAIL]
    before = everything_in_the_database(uow)
    assert all(n.lower() in before for n in needles)
    on_disk = sqlite_bytes(database_url)
    assert on_disk is None or all(n.encode() in on_disk for n in needles)

    at(monkeypatch, "2026-11-21T16:00:00Z")
    report = run_purge(uow)

    assert report.counts["cases"] == 1 and report.counts["people"] == 1
    assert report.counts["mail_messages"] == 1 and report.counts["mail_outbox"] == 1
    after = everything_in_the_database(uow)
    assert not [n for n in needles if n.lower() in after]
    # SQLite: secure_delete zeroes freed space and the run checkpoints the WAL (no VACUUM).
    on_disk = sqlite_bytes(database_url)
    assert on_disk is None or not [n for n in needles if n.encode() in on_disk]
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [shared]  # the live case's copy of the shared file
    assert not [p for p in files for n in needles if n.encode() in p.read_bytes()]

    with uow() as work:
        s = work.session
        assert verification.verification_answer(s, number) == DISPOSED_ANSWER
        code = f"wxyzwxyzwxyz{number[-4:]}"  # typed from paper: any case, no dashes
        assert verification.verification_answer(s, code) == DISPOSED_ANSWER
        tombstone = s.scalar(select(Tombstone))
        assert tombstone is not None
        stone = tombstone.as_dict()
        assert (stone["reference"], stone["final_status"], stone["certificate_numbers"]) == (
            "PA-2021-00001",
            "denied",
            [number],
        )
        assert (stone["messages"], stone["attachments"], stone["certificates"]) == (1, 2, 1)
        assert len(stone["record_sha256"]) == 64
        run = s.get(PurgeRun, report.run_id)
        assert run is not None and run.executed and run.approval == "RDA-2026-07"
        assert run.finished_at is not None and run.counts == report.counts
    capsys.readouterr()
    assert cli.main(["certificate", "verify", f"WXYZ-WXYZ-WXYZ-{number[-4:]}"]) == 4  # not valid
    assert capsys.readouterr().out == f"{number}: disposed under the retention schedule\n"


def test_a_dry_run_deletes_nothing_and_lists_counts_per_kind_and_year_and_held_cases(
    uow, monkeypatch, tmp_path, capsys
):
    with uow() as work:
        closed_case(
            work.session, "PA-2020-00001", "a@school.example", closed=CLOSED.replace(year=2020)
        )
        closed_case(work.session, "PA-2021-00003", "b@school.example")
        held = closed_case(work.session, "PA-2021-00004", "c@school.example")
        add_hold(work.session, held.reference, "Litigation 2026-CV-77", SYSTEM, CLOSED)
        work.commit()
    at(monkeypatch, "2026-12-01T16:00:00Z")
    assert cli.main(["purge", "--csv", str(tmp_path / "request.csv")]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "PA-2020-00001, PA-2021-00003" in out
    assert "kept by a legal hold (1): PA-2021-00004" in out
    assert "pdu purge --execute --approval REF --cutoff 2026-12-01T09:00:00-07:00" in out
    rows = list(csv.DictReader((tmp_path / "request.csv").open()))
    assert [(r["reference"], r["action"]) for r in rows] == [
        ("PA-2020-00001", "purge"),
        ("PA-2021-00003", "purge"),
        ("PA-2021-00004", "kept: legal hold"),
    ]
    assert cli.main(["purge", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert [(r["year"], r["records"], r["held"]) for r in summary] == [(2020, 1, 0), (2021, 1, 1)]
    assert summary[1]["oldest"] == "2021-11-20"
    with uow() as work:
        assert work.session.scalar(select(func.count(Tombstone.id))) == 0
        assert [r.executed for r in work.session.scalars(select(PurgeRun))] == [False, False]
    assert status_of(uow, "PA-2021-00003") == "denied"


def test_purging_past_an_approved_cutoff_takes_only_what_the_dry_run_listed(uow, monkeypatch):
    with uow() as work:
        closed_case(work.session, "PA-2021-00005", "early@school.example")
        closed_case(
            work.session, "PA-2021-00006", "late@school.example", closed=CLOSED.replace(month=12)
        )
        work.commit()
    at(monkeypatch, "2027-01-15T16:00:00Z")
    report = run_purge(uow, cutoff=datetime(2026, 12, 1, tzinfo=UTC))
    assert report.counts["cases"] == 1
    assert status_of(uow, "PA-2021-00006") == "denied"


def test_an_interrupted_purge_is_finished_by_the_next_run_and_a_third_run_does_nothing(
    uow, isolated_environment, monkeypatch
):
    with uow() as work:
        for n in range(1, 4):
            closed_case(work.session, f"PA-2021-0010{n}", f"p{n}@school.example")
        full_case(work.session, isolated_environment, "PA-2021-00104")
        work.commit()
    at(monkeypatch, "2026-11-21T16:00:00Z")
    real = purge._delete_files
    calls = []

    def crash_in_the_second_batch(*args: object) -> int:
        calls.append(1)
        deleted = real(*args)  # type: ignore[arg-type]
        if len(calls) == 2:
            raise ConnectionError("power cut before the commit")
        return deleted

    monkeypatch.setattr(purge, "_delete_files", crash_in_the_second_batch)
    with pytest.raises(ConnectionError):
        run_purge(uow, batch_size=2)
    monkeypatch.setattr(purge, "_delete_files", real)
    with uow() as work:
        statuses = work.session.scalars(select(Case.status).order_by(Case.id)).all()
        assert [str(s) for s in statuses] == ["purged", "purged", "denied", "denied"]
        assert work.session.scalar(select(func.count(Tombstone.id))) == 2
        interrupted = work.session.scalar(select(PurgeRun))
        assert interrupted is not None and interrupted.finished_at is None

    assert run_purge(uow, batch_size=2).counts["cases"] == 2
    assert "cases" not in run_purge(uow, batch_size=2).counts
    with uow() as work:
        assert work.session.scalar(select(func.count(Tombstone.id))) == 4
    assert NAME.lower() not in everything_in_the_database(uow)
    assert [p for p in isolated_environment.rglob("*") if p.is_file()] == []


def test_an_applicant_with_another_live_case_is_kept_and_only_the_old_case_goes(uow, monkeypatch):
    now = at(monkeypatch, "2026-11-21T16:00:00Z")
    with uow() as work:
        old = closed_case(work.session, "PA-2021-00007", "twice@school.example")
        ctx = ServiceContext.of(work, now)
        form = preapproval(
            "twice@school.example", educator__license_status="none", educator__license_number=None
        )
        assert submit(ctx, CaseKind.PREAPPROVAL, form, SYSTEM).status == "declined"  # closed today
        old_id = old.id
        work.commit()
    assert run_purge(uow).counts.get("people", 0) == 0
    assert "twice@school.example" in everything_in_the_database(uow)
    with uow() as work:
        assert work.session.get(Case, old_id).applicant_id is None  # type: ignore[union-attr]


def test_the_period_is_configured_per_kind_and_a_lengthened_one_protects_closed_cases(
    uow, monkeypatch
):
    now = at(monkeypatch, "2026-11-21T16:00:00Z")
    with uow() as work:
        closed_case(work.session, "PA-2021-00020", "pa@school.example")
        closed_case(work.session, "PR-2021-00020", "pr@school.example", kind=CaseKind.PROVIDER)
        work.commit()
    # Registrations are now kept ten years: the one closed under five stays too.
    monkeypatch.setenv("PDU_RETENTION_YEARS_BY_KIND", '{"provider": 10, "preapproval": 7}')
    reset_settings()
    with uow() as work:  # a case closing now gets its kind's period (intake -> transition)
        form = preapproval(
            "new@school.example", educator__license_status="none", educator__license_number=None
        )
        declined = submit(ServiceContext.of(work, now), CaseKind.PREAPPROVAL, form, SYSTEM)
        work.commit()
        until = work.session.scalar(
            select(Case.retain_until).where(Case.reference == declined.reference)
        )
        assert until == now.replace(year=2033)
    assert run_purge(uow).counts.get("cases", 0) == 0  # preapproval: 7 years now
    monkeypatch.setenv("PDU_RETENTION_YEARS_BY_KIND", '{"provider": 10}')
    reset_settings()
    report = run_purge(uow)
    assert report.counts["cases"] == 1
    assert status_of(uow, "PA-2021-00020") == "purged"
    assert status_of(uow, "PR-2021-00020") == "denied"
    at(monkeypatch, "2031-11-21T16:00:00Z")
    assert run_purge(uow).counts["cases"] == 1
    assert status_of(uow, "PR-2021-00020") == "purged"


@pytest.mark.parametrize("kind", list(CaseKind))
def test_every_case_kind_is_listed_and_purged_with_its_tombstone(uow, monkeypatch, capsys, kind):
    reference = f"{kind.prefix}-2021-00030"
    with uow() as work:
        closed_case(work.session, reference, "k@school.example", kind=kind)
        work.commit()
    at(monkeypatch, "2026-11-21T16:00:00Z")
    assert cli.main(["purge"]) == 0
    out = capsys.readouterr().out
    assert f"cases (1): {reference}" in out and f"{kind.value} " in out
    assert cli.main(["purge", "--execute", "--approval", "RDA-2026-07", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["cases"] == 1
    with uow() as work:
        stone = work.session.scalar(select(Tombstone).where(Tombstone.reference == reference))
        assert stone is not None and stone.kind is kind and stone.final_status == "denied"
    assert "k@school.example" not in everything_in_the_database(uow)


KILL_IN_THE_SECOND_BATCH = """
import os, signal, sys
from models.services import purge, verification
real, calls = purge._delete_files, []
def die(*args):
    calls.append(1)
    deleted = real(*args)
    if len(calls) == 2:  # files of the second batch gone, its transaction not committed
        os.kill(os.getpid(), signal.SIGKILL)
    return deleted
purge._delete_files = die
from flows import cli
sys.exit(cli.main(["purge", "--execute", "--approval", "RDA-2026-07", "--batch-size", "2"]))
"""


def test_a_purge_killed_mid_batch_is_finished_by_the_next_run_with_nothing_left_behind(
    uow, database_url, isolated_environment, monkeypatch, mail_server
):
    system = f"pdu-{hashlib.sha256(database_url.encode()).hexdigest()[:10]}@retention.example"
    for name, value in {
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": str(mail_server.imap_port),
        "IMAP_USER": system,
        "IMAP_PASSWORD": mail_server.password,
    }.items():
        monkeypatch.setenv(f"PDU_{name}", value)
    with uow() as work:
        for n in range(1, 4):
            closed_case(work.session, f"PA-2021-0020{n}", f"k{n}@school.example")
        full_case(work.session, isolated_environment, "PA-2021-00204")
        raw = work.session.scalar(select(InboundMessage.raw))
        work.commit()
    assert raw is not None
    for folder in FOLDERS:  # where the gateway filed its copies
        mail_server.append(system, raw, folder)
    at(monkeypatch, "2026-11-21T16:00:00Z")
    root = Path(__file__).resolve().parents[2]
    killed = subprocess.run(
        [sys.executable, "-c", KILL_IN_THE_SECOND_BATCH], cwd=root, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with uow() as work:
        statuses = work.session.scalars(select(Case.status).order_by(Case.id)).all()
        assert [str(s) for s in statuses] == ["purged", "purged", "denied", "denied"]
        assert work.session.scalar(select(func.count(Tombstone.id))) == 2
    # The second batch's certificate PDF went before the kill; its rows and tombstone did not.
    assert not [p for p in isolated_environment.rglob("*.pdf") if "certificates" in p.parts]

    assert pdu("purge", "--execute", "--approval", "RDA-2026-07").returncode == 0
    assert pdu("purge", "--execute", "--approval", "RDA-2026-07").stdout.count("cases") == 0
    with uow() as work:
        s = work.session
        assert set(s.scalars(select(Case.status))) == {CaseStatus.PURGED}
        assert s.scalar(select(func.count(Tombstone.id))) == 4
        stone = s.scalar(select(Tombstone).where(Tombstone.reference == "PA-2021-00204"))
        assert stone is not None and stone.certificate_numbers and stone.messages == 1
        runs = s.scalars(select(PurgeRun).order_by(PurgeRun.id)).all()
        assert [r.finished_at is not None for r in runs] == [False, True, True]
    needles = [*NAME.split(), EMAIL, "k1@school.example"]
    after = everything_in_the_database(uow)
    assert not [n for n in needles if n.lower() in after]
    on_disk = sqlite_bytes(database_url)
    assert on_disk is None or not [n for n in needles if n.encode() in on_disk]
    assert [p for p in isolated_environment.rglob("*") if p.is_file()] == []
    assert [mail_server.messages(system, folder) for folder in FOLDERS] == [[], []]


def pdu(*args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-c", "import sys; from flows import cli; sys.exit(cli.main())"]
    return subprocess.run([*command, *args], cwd=root, capture_output=True, text=True)


def test_an_event_whose_certificates_were_issued_later_is_kept_from_the_last_issue(
    uow, isolated_environment, monkeypatch
):
    with uow() as work:
        event = provider_event(work.session)
        issued = event_certificate(work.session, event, datetime(2021, 9, 1, 16, tzinfo=UTC))
        work.commit()
    at(monkeypatch, "2026-06-03T16:00:00Z")  # five years after the event's last day
    assert run_purge(uow).counts.get("events", 0) == 0
    at(monkeypatch, "2026-09-02T16:00:00Z")  # and after the certificate's issue
    assert run_purge(uow).counts["events"] == 1
    with uow() as work:
        assert verification.verification_answer(work.session, issued) == DISPOSED_ANSWER


def test_an_sql_error_names_no_address_in_its_text(uow):
    from sqlalchemy.exc import IntegrityError

    with uow() as work:
        factories.person(work.session, EMAIL, CLOSED)
        with pytest.raises(IntegrityError) as raised:
            factories.person(work.session, EMAIL, CLOSED)
    # The statement's values stay out (hide_parameters); PostgreSQL's own DETAIL line is
    # its server's text and may still quote the key (see docs/retention.md).
    assert "hidden due to hide_parameters" in str(raised.value)
    assert EMAIL not in str(raised.value).split("DETAIL")[0]


def test_verification_answers_valid_revoked_disposed_or_not_found(uow):
    with uow() as work:
        s = work.session
        case = closed_case(s, "PA-2021-00008", "v@school.example")
        s.add(certificate(case, "PDU-2021-000001", "V"))
        revoked = certificate(case, "PDU-2021-000002", "V")
        revoked.status = CertificateStatus.REVOKED
        s.add(revoked)
        s.flush()
        assert verification.verification_answer(s, "pdu-2021-000001") == "valid"
        assert verification.verification_answer(s, " WXYZ-WXYZ-WXYZ-0002 ") == "revoked"
        assert verification.verification_answer(s, "PDU-1999-000001") == "not found"


def test_a_purged_case_cannot_be_put_on_hold_and_an_executed_purge_needs_an_approval(
    uow, monkeypatch, capsys
):
    with uow() as work:
        closed_case(work.session, "PA-2021-00009", "h@school.example")
        work.commit()
    at(monkeypatch, "2026-11-21T16:00:00Z")
    assert cli.main(["purge", "--execute"]) == 2
    assert "needs the approval reference" in capsys.readouterr().err
    assert cli.main(["purge", "--execute", "--approval", "RDA-2026-07"]) == 0
    assert "purged" in capsys.readouterr().out
    assert cli.main(["hold", "add", "PA-2021-00009", "--reason", "late"]) == 4  # refused
    assert "already purged" in capsys.readouterr().err
    assert cli.main(["case", "show", "PA-2021-00009"]) == 0
    assert "purged" in capsys.readouterr().out


def provider_event(s: Session) -> ProviderEvent:
    """Big Sky's Reading Institute (ended 2021-06-02), Zebulon on its roster."""
    provider = Provider(
        number="MTP-00001",
        name="Big Sky Learning",
        normalized_name="big sky learning",
        kind=ProviderKind.OTHER,
        contact_email="info@bigsky.example",
        approved_at=CLOSED,
        created_at=CLOSED,
    )
    s.add(provider)
    s.flush()
    event = ProviderEvent(
        provider_id=provider.id,
        title="Reading Institute",
        start_date=date(2021, 6, 1),
        end_date=date(2021, 6, 2),
        hours=Decimal(12),
        format=EventFormat.IN_PERSON,
        locations=["Helena"],
        channel=Channel.WEB,
        reported_at=CLOSED,
        reported_late=False,
    )
    s.add(event)
    s.flush()
    person = factories.person(s, EMAIL, CLOSED, first_name="Zebulon", last_name="Quillfeather")
    s.add(
        Attendee(
            event_id=event.id,
            line=2,
            first_name="Zebulon",
            last_name="Quillfeather",
            email=EMAIL,
            license_number="MT-99887",
            hours=Decimal(12),
            person_id=person.id,
            created_at=CLOSED,
        )
    )
    s.flush()
    return event


EVENT_ENDED = datetime(2021, 6, 2, 22, tzinfo=UTC)


def event_certificate(s: Session, event: ProviderEvent, issued: datetime = EVENT_ENDED) -> str:
    attendee = event.attendees[0]
    s.add(
        Certificate(
            number="PDU-2021-000900",
            verification_code="EVNT-EVNT-EVNT-0900",
            event_id=event.id,
            person_id=attendee.person_id,
            holder_name=NAME,
            license_number="MT-99887",
            activity_title="Reading Institute",
            provider_name="Big Sky Learning",
            start_date=date(2021, 6, 1),
            end_date=date(2021, 6, 2),
            hours=Decimal(12),
            issued_at=issued,
            status=CertificateStatus.VALID,
        )
    )
    s.flush()
    return "PDU-2021-000900"


def test_a_provider_event_past_retention_loses_its_attendees_and_certificate_holders(
    uow, isolated_environment, monkeypatch
):
    with uow() as work:
        number = event_certificate(work.session, provider_event(work.session))
        work.commit()
    pdf = certificate_path(isolated_environment, number)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(f"%PDF certificate for {NAME}".encode())

    at(monkeypatch, "2026-06-01T16:00:00Z")
    assert run_purge(uow).counts.get("events", 0) == 0  # ended 2021-06-02: kept until then
    at(monkeypatch, "2026-06-03T16:00:00Z")
    counts = run_purge(uow).counts
    assert (counts["events"], counts["attendees"], counts["people"]) == (1, 1, 1)
    assert not pdf.exists()
    assert "quillfeather" not in everything_in_the_database(uow)
    assert "reading institute" in everything_in_the_database(uow)  # the provider's report stays
    with uow() as work:
        answer = verification.verification_answer(work.session, number)
        assert answer == DISPOSED_ANSWER
    assert "events" not in run_purge(uow).counts


def test_a_held_provider_event_keeps_its_attendees_and_certificates_until_released(
    uow, isolated_environment, monkeypatch, capsys
):
    with uow() as work:
        event = provider_event(work.session)
        number = event_certificate(work.session, event)
        reference = f"event:{event.id}"
        work.commit()
    pdf = certificate_path(isolated_environment, number)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(f"%PDF certificate for {NAME}".encode())
    assert cli.main(["hold", "add", reference, "--reason", "Provider audit 2026-03"]) == 0
    assert f"{reference} is on legal hold" in capsys.readouterr().out
    assert cli.main(["hold", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"reference": reference, "status": "event", "reason": "Provider audit 2026-03"}
    ]
    at(monkeypatch, "2030-01-01T16:00:00Z")
    rehearsal = purge.rehearse(uow, now=clock.now())
    assert rehearsal.held == [reference] and "events" not in rehearsal.counts
    report = run_purge(uow)
    assert report.held == [reference] and "events" not in report.counts
    assert pdf.exists() and "quillfeather" in everything_in_the_database(uow)
    with uow() as work:
        assert verification.verification_answer(work.session, number) == verification.VALID_ANSWER
    assert cli.main(["hold", "release", reference]) == 0
    assert run_purge(uow).counts["events"] == 1
    assert not pdf.exists() and "quillfeather" not in everything_in_the_database(uow)


def test_a_hold_on_an_event_that_does_not_exist_or_without_a_reason_is_refused(uow):
    assert cli.main(["hold", "add", "event:999", "--reason", "audit"]) == 3  # not found
    with uow() as work:
        event = provider_event(work.session)
        work.commit()
    assert cli.main(["hold", "add", f"event:{event.id}", "--reason", "  "]) == 2
    assert cli.main(["hold", "release", f"event:{event.id}"]) == 4  # refused: not on hold


def test_every_table_that_refers_to_a_case_is_purged_or_disposed_of_with_it():
    referring = {
        table.name
        for table in Base.metadata.sorted_tables
        for column in table.columns
        for fk in column.foreign_keys
        if fk.column.table.name == "cases"
    }
    # certificates are disposed of (kept as tombstones); a portal listing is deleted by its
    # approving case (purge: "A portal listing approved by one of these cases goes with it")
    handled = {"certificates", "opportunities"}
    assert referring == {table.name for _key, table in purge._CASE_TABLES} | handled


def test_the_record_hash_is_the_sha256_of_its_canonical_json():
    record = {"b": [1, "é"], "a": {"y": None, "x": 1.5}}
    assert canonical_json(record) == '{"a":{"x":1.5,"y":null},"b":[1,"é"]}'.encode()
    assert record_sha256(record) == hashlib.sha256(canonical_json(record)).hexdigest()


@pytest.mark.slow  # a Prefect test server: 15-25 s
def test_the_prefect_flow_rehearses_by_default_and_leaves_no_personal_data_in_prefect(
    uow, monkeypatch
):
    from prefect.client.orchestration import get_client
    from prefect.testing.utilities import prefect_test_harness

    from flows.intake import intake
    from flows.retention import (
        ARTIFACT_KEY,
        HELD_ARTIFACT_KEY,
        REFERENCES_ARTIFACT_KEY,
        retention_purge,
    )

    with uow() as work:
        closed_case(work.session, "PA-2021-00011", EMAIL, *NAME.split())
        held = closed_case(work.session, "PA-2021-00012", "held@school.example", "Held", "Person")
        add_hold(work.session, held.reference, f"Complaint by {NAME}", SYSTEM, CLOSED)
        work.commit()
    at(monkeypatch, "2026-11-21T16:00:00Z")
    with prefect_test_harness(server_startup_timeout=60):
        counts = retention_purge()
        executed = retention_purge(execute=True, approval="RDA-2026-07")
        # A paper form keyed in from the UI arrives as parameters: they are replaced.
        first, last = NAME.split()
        typed = preapproval(  # declined at triage: no reviewer needed here
            EMAIL,
            educator__first_name=first,
            educator__last_name=last,
            educator__license_status="none",
            educator__license_number=None,
        )
        created = intake("preapproval", typed)
        with pytest.raises(ValueError, match="problem"):
            intake("preapproval", typed | {"activity": {"title": f"{NAME}'s own course"}})
        with get_client(sync_client=True) as client:
            # Plain filter requests: this Prefect/FastAPI pair answers 422 to the client
            # methods' explicit nulls (see the report), and an empty body means "all".
            def read(path: str) -> list[dict]:
                return client.request("POST", path, json={"limit": 200}).json()  # type: ignore[arg-type]

            every = read("/artifacts/filter")
            artifacts = {
                a["key"]: a["data"] for a in every if "dry run" in (a["description"] or "")
            }
            logs = " ".join(log["message"] for log in read("/logs/filter"))
            runs = [(r["name"], r["parameters"]) for r in read("/flow_runs/filter")]
            events = client.request("POST", "/events/filter", json={"limit": 50}).json()
    assert counts == {"preapproval": 1, "held": 1}  # a dry run unless told to execute
    assert executed["cases"] == 1 and status_of(uow, "PA-2021-00011") == "purged"
    assert status_of(uow, "PA-2021-00012") == "denied"
    summary = json.loads(artifacts[ARTIFACT_KEY])
    assert [(r["kind"], r["year"], r["records"], r["held"]) for r in summary] == [
        ("preapproval", 2021, 1, 1)
    ]
    assert json.loads(artifacts[HELD_ARTIFACT_KEY]) == [{"reference": "PA-2021-00012"}]
    listed = json.loads(artifacts[REFERENCES_ARTIFACT_KEY])
    assert [(r["reference"], r["action"]) for r in listed] == [
        ("PA-2021-00011", "purge"),
        ("PA-2021-00012", "kept: legal hold"),
    ]
    assert "hold_reason" not in listed[1]  # the reason names people: it stays in the database
    names = sorted(name for name, _parameters in runs if not name.startswith("intake"))
    assert names == ["purge-2026-11-21T09:00"] * 2
    parameters = {name: p for name, p in runs if name.startswith("intake")}
    case = {"kind": "preapproval", "form": {"case": created["reference"]}}
    assert parameters[f"intake-{created['reference']}"] == case
    assert parameters["intake-refused"] == {"kind": "preapproval", "form": {}}
    assert "purged with approval RDA-2026-07" in str(every)
    # Prefect's event log (state changes of the runs above), all of it on one page.
    assert events["events"] and events["next_page"] is None
    in_prefect = f"{every} {logs} {runs} {events}".lower()
    assert not [n for n in (*NAME.lower().split(), EMAIL, "held person") if n in in_prefect]
