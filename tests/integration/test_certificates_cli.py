"""`pdu certificate …` and `pdu provider …` as a user runs them, on a real database (SQLite
and PostgreSQL) with real PDFs. The commands run in this process through the `pdu` entry
point's `main` (a new process per command costs ~1.5 s); one test runs the real
executable end to end."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from flows.cli import main
from models.certificates import Certificate
from models.enums import CertificateStatus
from models.services.issuing import credential_of
from models.uow import UnitOfWork
from templates.pdf import extract_text

PDU = str(Path(sys.executable).parent / "pdu")
ROSTER = (
    "first_name,last_name,email,license_number,hours\n"
    "Maria,Running Crane,maria@school.example,123456,12\n"
    "Nguyễn Thị,Minh Khai,khai@school.example,234567,6.5\n"
    "Maria,Running Crane,maria@school.example,123456,12\n"
)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


_capture: pytest.CaptureFixture[str] | None = None


def pdu(*args: str, check: bool = True) -> Done:
    assert _capture is not None
    _capture.readouterr()
    code = main(list(args))
    out, err = _capture.readouterr()
    done = Done(code, out, err)
    if check and code != 0:
        raise AssertionError(f"pdu {' '.join(args)} failed ({code}): {err}")
    return done


def pdu_json(*args: str, check: bool = True) -> Any:
    return json.loads(pdu(*args, "--json", check=check).stdout)


@pytest.fixture(autouse=True)
def _captured(capsys: pytest.CaptureFixture[str]) -> Any:
    global _capture
    _capture = capsys
    yield
    _capture = None


@pytest.fixture
def office(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A provider in the directory and the clock on Monday, November 23, 2026."""
    monkeypatch.setenv("PDU_NOW", "2026-11-23T09:00:00-07:00")
    monkeypatch.setenv("PDU_PUBLIC_URL", "https://pdu.opi.example")
    pdu("directory", "add", "Big Sky Learning Collaborative", "--email", "info@bigsky.example")
    return tmp_path


def add_event(*extra: str) -> int:
    done = pdu_json(
        "provider", "event", "add",
        "--provider", "Big Sky Learning Collaborative",
        "--title", "Montana Literacy Summit 2026",
        "--start", "2026-11-19", "--end", "2026-11-20", "--hours", "12",
        "--location", "Helena, MT", *extra,
    )  # fmt: skip
    assert list(done) == ["event_id", "reported_late"]
    return int(done["event_id"])


def issued(office: Path, roster: str = ROSTER) -> tuple[int, dict[str, Any]]:
    event_id = add_event()
    path = office / "roster.csv"
    path.write_text(roster, encoding="utf-8")
    return event_id, pdu_json("provider", "issue", str(event_id), str(path))


def test_event_add_prints_the_event_id_and_its_json_is_an_object(office: Path) -> None:
    done = pdu(
        "provider", "event", "add", "--provider", "MTP-00001", "--title", "Webinar",
        "--start", "2026-12-01", "--end", "2026-12-01", "--hours", "1.5", "--format", "virtual",
    )  # fmt: skip
    assert done.stdout == "1\n"
    assert add_event("--description", "Two days.") == 2
    listed = pdu_json("provider", "event", "list", "--provider", "MTP-00001")
    assert [(e["event_id"], e["format"], e["locations"]) for e in listed] == [
        (2, "in_person", ["Helena, MT"]),
        (1, "virtual", ["online"]),
    ]


def test_provider_issue_reports_issued_skipped_and_errors_as_json(office: Path) -> None:
    event_id, result = issued(office)
    assert result == {
        "issued": 2,
        "skipped": [{"line": 4, "license_number": "123456", "reason": "duplicate of line 2"}],
        "errors": [],
    }
    rows = pdu_json("certificate", "list", "--event", str(event_id))
    assert [(r["holder"], r["hours"], r["status"]) for r in rows] == [
        ("Maria Running Crane", 12, "valid"),
        ("Nguyễn Thị Minh Khai", 6.5, "valid"),
    ]
    events = pdu_json("provider", "event", "list")
    assert events[0]["certificates_issued"] == 2


def test_an_invalid_roster_lists_every_problem_by_line_and_issues_nothing(office: Path) -> None:
    event_id = add_event()
    path = office / "roster.csv"
    path.write_text(
        "first_name,last_name,email,license_number,hours\n"
        "Maria,Running Crane,maria@school.example,123456,12\n"
        "Tom,,tom@school.example,222222,6\n"
        "Ann,Lee,ann@school,333333,14\n",
        encoding="utf-8",
    )
    done = pdu("provider", "issue", str(event_id), str(path), check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "pdu: the roster has 2 problem(s); nothing was issued (fix them, or --skip-invalid "
        "to issue the valid lines):",
        "  line 3: last_name is empty",
        "  line 4: email 'ann@school' is not a valid address; hours 14 is more than the event's 12",
    ]
    as_json = pdu("provider", "issue", str(event_id), str(path), "--json", check=False)
    assert (as_json.returncode, as_json.stdout) == (2, "")
    error = json.loads(as_json.stderr)  # an error: on stderr, with what a script needs
    assert (error.pop("error"), error.pop("exit_code")) == ("usage", 2)
    assert f"pdu: {error.pop('message')}\n" == done.stderr  # the same words as without --json
    assert error == {
        "issued": 0,
        "skipped": [],
        "errors": [
            {"line": 3, "message": "last_name is empty"},
            {
                "line": 4,
                "message": "email 'ann@school' is not a valid address; "
                "hours 14 is more than the event's 12",
            },
        ],
    }
    assert pdu_json("certificate", "list") == []
    partial = pdu_json("provider", "issue", str(event_id), str(path), "--skip-invalid")
    assert partial["issued"] == 1 and len(partial["errors"]) == 2


def test_certificate_list_uses_the_case_show_keys_and_filters_by_email(office: Path) -> None:
    issued(office)
    rows = pdu_json("certificate", "list", "--email", "KHAI@school.example")
    assert len(rows) == 1
    row = rows[0]
    for key in ("number", "verification_code", "holder", "email", "hours", "status"):
        assert key in row
    assert (row["holder"], row["email"], row["hours"]) == (
        "Nguyễn Thị Minh Khai",
        "khai@school.example",
        6.5,
    )
    table = pdu("certificate", "list").stdout.splitlines()
    assert table[0].split() == [
        "NUMBER",
        "STATUS",
        "HOURS",
        "HOLDER",
        "EMAIL",
        "ISSUED",
        "ACTIVITY",
    ]
    assert len(table) == 3


def test_verify_answers_valid_then_revoked_with_reason_and_date_then_the_replacement(
    office: Path,
) -> None:
    issued(office)
    first = pdu_json("certificate", "list")[0]
    number, code = first["number"], first["verification_code"]
    ok = pdu("certificate", "verify", code.lower().replace("-", ""))
    assert ok.stdout == (
        f"{number}: valid: Maria Running Crane, 12 PDU hours, “Montana Literacy Summit 2026”, "
        "issued 2026-11-23\n"
    )
    revoked = pdu("certificate", "revoke", number, "--reason", "Left after the first hour")
    assert revoked.stdout == (
        f"{number} revoked: Left after the first hour (the holder is told by email)\n"
    )
    answer = pdu("certificate", "verify", code, check=False)
    assert answer.returncode == 4
    assert answer.stdout.splitlines()[1:] == ["  revoked on 2026-11-23: Left after the first hour"]
    reissued = pdu("certificate", "reissue", number, "--hours", "1", "--reason", "one hour")
    new = reissued.stdout.split()[0]
    assert reissued.stdout == f"{new} issued; {number} is revoked and points to it\n"
    answer = pdu_json("certificate", "verify", number, check=False)
    assert (answer["status"], answer["revoked_reason"], answer["replaced_by"]) == (
        "revoked",
        "Left after the first hour",
        new,
    )
    assert pdu_json("certificate", "verify", new)["hours"] == 1
    again = pdu("certificate", "reissue", number, check=False)
    assert (again.returncode, again.stderr) == (
        4,
        f"pdu: {number} was replaced by {new}: act on that one\n",
    )


def test_verify_a_certificate_pdf_checks_its_signature_and_a_tampered_one_fails(
    office: Path, isolated_environment: Path
) -> None:
    issued(office)
    number = pdu_json("certificate", "list")[0]["number"]
    pdf = isolated_environment / "certificates" / f"{number}.pdf"
    done = pdu("certificate", "verify", str(pdf))
    lines = done.stdout.splitlines()
    assert lines[0].startswith("signature: verified (issuer did:key:z6Mk")
    assert lines[1].startswith(f"{number}: valid: Maria Running Crane")

    credential = credential_of(pdf.read_bytes())
    written = office / "credential.json"
    assert pdu("certificate", "credential", number, "--output", str(written)).returncode == 0
    assert json.loads(written.read_text()) == credential
    credential["credentialSubject"]["creditsEarned"] = 60
    tampered = office / "tampered.json"
    tampered.write_text(json.dumps(credential))
    bad = pdu("certificate", "verify", str(tampered), "--json", check=False)
    assert bad.returncode == 4
    assert json.loads(bad.stdout)["signature"]["problem"] == (
        "the signature does not match the credential (it was altered)"
    )


def test_verify_a_disposed_certificate_says_so_and_an_unknown_code_is_one_line(
    office: Path,
) -> None:
    issued(office)
    number = pdu_json("certificate", "list")[0]["number"]
    with UnitOfWork() as work:  # what a retention purge leaves behind
        work.session.execute(
            update(Certificate)
            .where(Certificate.number == number)
            .values(status=CertificateStatus.DISPOSED, holder_name="", activity_title="")
        )
        work.commit()
    done = pdu("certificate", "verify", number, check=False)
    assert (done.returncode, done.stdout) == (
        4,
        f"{number}: disposed under the retention schedule\n",
    )
    unknown = pdu("certificate", "verify", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", check=False)
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "pdu: ZZZZ-ZZZZ-ZZZZ-ZZZZ: not found (no certificate has this number or code)\n",
    )


def test_the_transcript_shows_each_certificate_and_the_units_toward_sixty(office: Path) -> None:
    issued(office)
    text = pdu("certificate", "transcript", "123456").stdout.splitlines()
    assert text[:2] == [
        "Transcript of license 123456: Maria Running Crane",
        "Cycle July 1, 2022 – June 30, 2027: 12 of 60 units (48 to go)",
    ]
    as_json = pdu_json("certificate", "transcript", "123456", "--expires", "2026-06-30")
    assert (as_json["cycle"], as_json["total"], as_json["remaining"]) == (
        {"start": "2021-07-01", "end": "2026-06-30"},
        0,
        60,
    )
    assert as_json["certificates"][0]["in_cycle"] is False
    missing = pdu("certificate", "transcript", "999999", check=False)
    assert (missing.returncode, missing.stderr) == (
        3,
        "pdu: no certificate was issued to license number 999999\n",
    )


def test_the_annual_report_is_written_as_csv_and_pdf(office: Path) -> None:
    issued(office)
    out = office / "reports"
    done = pdu_json("provider", "report", "MTP-00001", "--year", "2026", "--output", str(out))
    assert (done["events"], done["participants"]) == (1, 2)
    rows = list(csv.DictReader(io.StringIO(Path(done["csv"]).read_text(encoding="utf-8-sig"))))
    assert [(r["title"], r["participant_name"], r["participant_hours"]) for r in rows] == [
        ("Montana Literacy Summit 2026", "Nguyễn Thị Minh Khai", "6.5"),
        ("Montana Literacy Summit 2026", "Maria Running Crane", "12"),
    ]
    pdf = Path(done["pdf"]).read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "Montana Literacy Summit 2026" in extract_text(pdf)
    empty = pdu_json("provider", "report", "MTP-00001", "--year", "2025", "--output", str(out))
    assert (empty["events"], empty["participants"]) == (0, 0)


def test_the_real_executable_issues_a_roster_and_verifies_a_certificate_pdf(
    office: Path, isolated_environment: Path
) -> None:
    event_id = add_event()
    path = office / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PDU, *args], capture_output=True, text=True, timeout=120)

    done = run("provider", "issue", str(event_id), str(path))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f"issued 2 certificate(s) for event {event_id}; emails queued",
        "  line 4: skipped (duplicate of line 2)",
    ]
    pdf = isolated_environment / "certificates" / "PDU-2026-000002.pdf"
    verified = run("certificate", "verify", str(pdf))
    assert verified.returncode == 0
    assert verified.stdout.splitlines()[1].startswith(
        "PDU-2026-000002: valid: Nguyễn Thị Minh Khai"
    )
