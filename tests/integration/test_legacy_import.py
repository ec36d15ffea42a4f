"""`pdu import legacy DIR`: the old system's providers, accounts, events, certificates and
open pre-approval requests; a dry run first, every problem by file and line, all or nothing,
nothing added the second time, and numbers this system already gave out refused."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from flows import jobs
from flows.cli import main
from models.accounts import ProviderAccount
from models.cases import Case
from models.certificates import Certificate
from models.events import ProviderEvent
from models.messages import OutboxMessage
from models.providers import Provider
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval
from tests.integration.test_progress_bars import run_on_terminal
from tests.web_support import pdu

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "migration-sample"
FILES = ("providers.csv", "accounts.csv", "events.csv", "certificates.csv", "preapprovals.csv")
SAMPLE_ROWS = dict(zip(FILES, (3, 4, 3, 4, 2), strict=True))


@pytest.fixture
def office(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new office on Monday 2026-11-23 with one reviewer and nothing else."""
    monkeypatch.setenv("PDU_NOW", "2026-11-23T09:00:00-07:00")
    pdu("staff", "add", "rita@opi.example", "--name", "Rita Reviewer", "--role", "reviewer")


def run(*args: str) -> tuple[int, str, str]:
    """`pdu ARGS` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def imported(directory: Path = SAMPLE, *extra: str) -> dict[str, Any]:
    return dict(json.loads(pdu("import", "legacy", str(directory), "--json", *extra)))


def counts() -> dict[str, int]:
    """Rows of each kind the import writes, and the emails it queued."""
    tables = {
        "providers": Provider, "accounts": ProviderAccount, "events": ProviderEvent,
        "certificates": Certificate, "cases": Case, "outbox": OutboxMessage,
    }  # fmt: skip
    with UnitOfWork() as work:
        return {
            name: work.session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in tables.items()
        }


NOTHING = {"providers": 0, "accounts": 0, "events": 0, "certificates": 0, "cases": 0, "outbox": 0}


def copy_sample(directory: Path) -> Path:
    for name in FILES:
        shutil.copy(SAMPLE / name, directory / name)
    return directory


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_the_dry_run_counts_every_file_and_kind_and_changes_nothing(office):
    dry = imported()
    assert dry["executed"] is False
    assert dry["rows"] == SAMPLE_ROWS and dry["new"] == SAMPLE_ROWS
    assert (dry["problems"], dry["present"], dry["not_read"]) == ([], [], [])
    assert counts() == NOTHING


def test_the_sample_imports_once_and_the_second_run_adds_nothing(office):
    done = imported(SAMPLE, "--execute")
    assert done["executed"] and done["new"] == SAMPLE_ROWS and done["emails"] == 4
    after = counts()
    assert after == {
        "providers": 3, "accounts": 4, "events": 3, "certificates": 4, "cases": 2,
        "outbox": 4 + 2,  # a set-password email per account; a task email per request
    }  # fmt: skip
    again = imported(SAMPLE, "--execute")
    assert again["new"] == dict.fromkeys(FILES, 0) and again["problems"] == []
    assert len(again["present"]) == sum(SAMPLE_ROWS.values())
    assert "certificates.csv line 2: certificate BSL-2025-0415 (already imported)" in (
        again["present"]
    )
    assert counts() == after
    # A provider approved here afterwards gets a number of its own.
    pdu("directory", "add", "New Org", "--email", "new@org.example")
    assert counts()["providers"] == 4


def test_every_problem_is_listed_by_file_and_line_and_one_bad_line_imports_nothing(
    office, tmp_path
):
    copy_sample(tmp_path)
    append(tmp_path / "accounts.csv", "JRoe,MTP-09999,Jo,Roe,jo@roe.example,,no")
    append(tmp_path / "accounts.csv", "kim torres,MTP-00107,Kim,Torres,kt@bigsky.example,,no")
    append(tmp_path / "events.csv", "E-1,MTP-00107,Backwards,2025-05-02,2025-05-01,3,virtual,,,")
    append(tmp_path / "certificates.csv",
           "X-1,Al,Ng,al@school.example,MT1,2,05/01/2025,,2025-05-02,Course,,")  # fmt: skip
    append(tmp_path / "certificates.csv",
           "X-2,Al,Ng,al@school.example,MT1,2,2025-05-01,,2025-05-02,,MTP-00107,E-404")  # fmt: skip
    append(tmp_path / "preapprovals.csv", "PA-2026-00400,2026-11-20,Al,Ng,al@school.example"
           ",MT1,current,,pdu_certificate,,Somebody,,About it.,2027-01-05,2027-01-05,3,,,"
           ",in_person,Planned.,")  # fmt: skip
    (tmp_path / "staff.csv").write_text("email\n")
    dry = imported(tmp_path)
    assert dry["problems"] == [
        "accounts.csv line 6: no provider MTP-09999 here or in providers.csv",
        "accounts.csv line 7: username 'kim torres' cannot sign in here (at most 20 "
        "characters, no @ or spaces)",
        "events.csv line 5: the event ends (2025-05-01) before it starts (2025-05-02)",
        "certificates.csv line 6: start_date '05/01/2025' is not a date like 2019-08-15",
        "certificates.csv line 7: no event E-404 of MTP-00107 here or in events.csv",
        "preapprovals.csv line 4: title: is required",
    ]
    assert dry["not_read"] == ["staff.csv"]
    code, out, err = run("import", "legacy", str(tmp_path), "--execute")
    assert code == 2 and err == "pdu: nothing imported: 6 problem(s) listed above\n"
    assert "  problem: events.csv line 5: the event ends" in out
    assert counts() == NOTHING


def test_numbers_this_system_already_gave_out_are_refused_never_renumbered(office, tmp_path):
    pdu("directory", "add", "Taken Name", "--email", "t@org.example")  # MTP-00001
    here = jobs.intake("preapproval", preapproval())
    assert here.reference == "PA-2026-00001"
    copy_sample(tmp_path)
    append(tmp_path / "providers.csv", "MTP-00001,Someone Else,other,x@y.example,2018-01-01,,,,")
    append(tmp_path / "preapprovals.csv", (SAMPLE / "preapprovals.csv").read_text().splitlines()[
        1].replace("PA-2026-00311", "PA-2026-00001").replace("lee.park", "lee.p"))  # fmt: skip
    before = counts()
    code, out, err = run("import", "legacy", str(tmp_path), "--execute")
    assert code == 4, (out, err)  # refused: only clashes with records here
    assert err == "pdu: nothing imported: 2 problem(s) listed above\n"
    assert (
        "providers.csv line 5: MTP-00001 is already this system's number for 'Taken Name': "
        "refused (legacy numbers are never renumbered)" in out
    )
    assert (
        "preapprovals.csv line 4: PA-2026-00001 is already a reference of this system: "
        "refused (legacy numbers are never renumbered)" in out
    )
    assert counts() == before


def test_a_legacy_number_in_this_systems_form_is_kept_and_never_handed_out_again(office):
    imported(SAMPLE, "--execute")  # the sample's requests are PA-2026-00311 and -00318
    later = jobs.intake("preapproval", preapproval())
    assert later.reference == "PA-2026-00319"


def test_open_requests_enter_review_with_their_original_submission_date(office):
    imported(SAMPLE, "--execute")
    shown = json.loads(pdu("case", "show", "PA-2026-00311", "--json"))
    assert shown["status"] == "in_review" and shown["submitted_at"].startswith("2026-11-16")
    # Submitted Monday 2026-11-16: due at the end of the seventh business day after.
    assert shown["assignee"] == "rita@opi.example"
    assert shown["due_at"] == "2026-11-25T17:00:00-07:00"
    assert shown["timeline"][0]["at"] == "2026-11-16T12:00:00-07:00"
    with UnitOfWork() as work:
        mails = work.session.execute(select(OutboxMessage.template, OutboxMessage.to_addresses))
        sent = sorted((t, tuple(to)) for t, to in mails if t != "account_access")
    assert sent == [("review_task", ("rita@opi.example",))] * 2  # the educators: not again


def test_accounts_keep_their_old_usernames_and_get_the_set_password_email(office):
    imported(SAMPLE, "--execute")
    rows = json.loads(pdu("provider", "account", "list", "--json"))
    assert sorted(r["username"] for r in rows) == ["AWeiss", "KTorres", "LBrandt",
                                                   "ray.ortiz_mcps"]  # fmt: skip
    with UnitOfWork() as work:
        mails = work.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "account_access")
        ).all()
        assert sorted(m.to_addresses[0] for m in mails) == [
            "ann.weiss@mtreading.example", "kim.torres@bigsky.example",
            "lena.brandt@mtreading.example", "ray.ortiz@mcps.example",
        ]  # fmt: skip
        body = next(m.body_text for m in mails if m.to_addresses == ["ray.ortiz@mcps.example"])
    assert "ray.ortiz_mcps" in body and "/account/setup?code=" in body


def test_imported_certificates_verify_count_and_say_they_were_imported(office):
    imported(SAMPLE, "--execute")
    shown = json.loads(pdu("certificate", "verify", "MRC-2024-031", "--json"))
    assert (shown["answer"], shown["imported"], shown["holder"]) == ("valid", True, "Tom Reed")
    assert shown["provider"] == "Montana Reading Council"
    transcript = json.loads(pdu("certificate", "transcript", "MT48213", "--json"))
    assert [c["number"] for c in transcript["certificates"]] == [
        "BSL-2025-0415", "MCPS-88112", "OPI-2023-1187"
    ]  # fmt: skip
    assert transcript["total"] == 33 and transcript["holder"] == "Jane Doe"
    events = json.loads(pdu("provider", "event", "list", "--json"))
    issued = {e["title"]: e["certificates_issued"] for e in events}
    assert issued["Trauma-Informed Classrooms"] == 1


def test_a_bad_argument_is_one_line_with_its_exit_code(office, tmp_path):
    code, _, err = run("import", "legacy", str(tmp_path / "nowhere"))
    assert (code, err) == (3, f"pdu: {tmp_path / 'nowhere'} is not a directory\n")
    code, _, err = run("import", "legacy", str(tmp_path), "--json")
    assert code == 3 and json.loads(err)["error"] == "not_found"
    (tmp_path / "providers.csv").write_text("number,name\n")
    code, _, err = run("import", "legacy", str(tmp_path))
    assert (code, err) == (2, "pdu: providers.csv: missing column(s) kind, email, approved_on\n")


def test_the_import_shows_a_progress_bar_on_a_terminal(office):
    screen = run_on_terminal("import", "legacy", str(SAMPLE), "--execute")
    assert "importing legacy records" in screen and "32/32" in screen
