"""The `pdu` command as a user runs it: a real process, a real database."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests import factories

PDU = str(Path(sys.executable).parent / "pdu")


def pdu(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([PDU, *args], capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"pdu {' '.join(args)} failed: {done.stderr}")
    return done


def test_help_lists_the_command_groups():
    out = pdu("--help").stdout
    for group in ("db", "staff", "directory", "case"):
        assert group in out


def test_db_upgrade_creates_the_schema_on_a_new_machine(isolated_environment):
    assert "latest schema" in pdu("db", "upgrade").stdout
    assert (isolated_environment / "pdu.sqlite3").exists()


def test_adding_the_same_staff_member_twice_is_one_clear_line(database_url):
    pdu("staff", "add", "rita@opi.example", "--name", "Rita Reviewer", "--role", "reviewer")
    again = pdu(
        "staff", "add", "Rita@OPI.example", "--name", "Rita", "--role", "reviewer", check=False
    )
    assert again.returncode == 4  # a conflict (pdu --help: exit codes)
    assert again.stderr.strip() == "pdu: rita@opi.example is already on the staff list"
    listed = json.loads(pdu("staff", "list", "--json").stdout)
    assert listed == [
        {
            "email": "rita@opi.example",
            "name": "Rita Reviewer",
            "role": "reviewer",
            "active": True,
            "supervisor": None,
            "away_until": None,
            "delegate": None,
            "open": 0,
            "due_soon": 0,
            "overdue": 0,
        }
    ]


def test_an_invalid_email_is_refused_in_plain_words(database_url):
    done = pdu("staff", "add", "not-an-address", "--name", "X", "--role", "admin", check=False)
    assert done.returncode == 2
    assert "not a valid email address" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_setting_is_one_line_naming_it(database_url, monkeypatch):
    monkeypatch.setenv("PDU_IMAP_PORT", "abc")
    done = pdu("case", "list", check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("pdu: invalid configuration: PDU_IMAP_PORT")
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_unknown_case_reference_is_one_line_and_exit_code_three(database_url):
    done = pdu("case", "show", "PA-2026-99999", check=False)
    assert (done.returncode, done.stderr) == (3, "pdu: no case with reference PA-2026-99999\n")


def test_directory_add_then_list_shows_the_provider(database_url):
    pdu(
        "directory",
        "add",
        "Big Sky Learning Collaborative",
        "--email",
        "info@bigsky.example",
        "--kind",
        "educational_organization",
    )
    rows = json.loads(pdu("directory", "list", "--json").stdout)
    assert [(r["number"], r["name"], r["kind"], r["contact"]) for r in rows] == [
        (
            "MTP-00001",
            "Big Sky Learning Collaborative",
            "educational_organization",
            "info@bigsky.example",
        )
    ]


def test_directory_import_is_idempotent_and_reports_skipped_rows(database_url, tmp_path):
    roster = tmp_path / "providers.csv"
    roster.write_text(
        "name,email,kind,contact_name\n"
        "Billings Public Schools,hr@billings.example,school_district,Pat Lee\n"
        "Montana State University,pd@msu.example,college_university,\n"
        ",nobody@x.example,other,\n"
        "Broken Co,not-an-email,other,\n"
    )
    first = pdu("directory", "import", str(roster)).stdout
    assert first.startswith("added 2, updated 0, skipped 2")
    assert "line 4: skipped (no name)" in first
    assert "line 5: skipped" in first and "not a valid email address" in first
    second = pdu("directory", "import", str(roster)).stdout
    assert second.startswith("added 0, updated 0, skipped 4")
    assert len(json.loads(pdu("directory", "list", "--json").stdout)) == 2


def test_case_show_json_has_the_documented_keys(uow):
    with uow() as work:
        factories.case(work.session, "PA-2026-00042", now=datetime(2026, 11, 20, 16, tzinfo=UTC))
        work.commit()
    view = json.loads(pdu("case", "show", "pa-2026-00042", "--json").stdout)
    assert {
        "reference",
        "kind",
        "status",
        "assignee",
        "due_at",
        "escalation_level",
        "timeline",
        "certificates",
    } <= set(view)
    assert (view["reference"], view["status"], view["submitted_at"]) == (
        "PA-2026-00042",
        "submitted",
        "2026-11-20T09:00:00-07:00",
    )
    listed = json.loads(pdu("case", "list", "--status", "submitted", "--json").stdout)
    assert [c["reference"] for c in listed] == ["PA-2026-00042"]


def test_read_only_commands_do_not_import_prefect(database_url):
    code = (
        "import sys; from flows.cli import main; main(['case', 'list']); "
        "assert 'prefect' not in sys.modules, 'prefect was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("argv", [["case", "list", "--status", "approved-ish"], ["staff", "add"]])
def test_usage_mistakes_are_explained_without_a_traceback(argv, database_url):
    done = pdu(*argv, check=False)
    assert done.returncode == 2
    assert "usage: pdu" in done.stderr and "Traceback" not in done.stderr
