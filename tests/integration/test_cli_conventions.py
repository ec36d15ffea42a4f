"""The `pdu` conventions every command shares (flows/cli_support.py): exit codes, errors as
one plain line or a JSON object on stderr, a database not set up named as such."""

from __future__ import annotations

import contextlib
import io
import json
import socket
from pathlib import Path

import pytest

from flows.cli import main
from models.migrate import upgrade
from models.settings import get_settings, reset_settings
from tests.web_support import issue_certificates, pdu, seed_office


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", [["status"], ["case", "list"], ["web"], ["serve"]])
def test_a_database_not_set_up_is_named_with_the_command_that_sets_it_up(
    command: list[str], isolated_environment: Path
) -> None:
    code, out, err = run(*command)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"pdu: the SQLite database {isolated_environment / 'pdu.sqlite3'} is not set up: "
        "run `pdu db upgrade` to set it up"
    ]


def test_a_database_url_with_an_unknown_scheme_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PDU_DATABASE_URL", "nosuchdb://x")
    reset_settings()
    code, _, err = run("case", "list")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("pdu: PDU_DATABASE_URL=nosuchdb://x: unknown database scheme or driver")


def test_a_database_server_that_refuses_the_connection_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = closed_port()
    monkeypatch.setenv("PDU_DATABASE_URL", f"postgresql+psycopg://pdu:hunter2@127.0.0.1:{port}/pdu")
    reset_settings()
    code, _, err = run("status")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("pdu: PDU_DATABASE_URL: cannot connect to the database ")
    assert f"127.0.0.1:{port}/pdu" in err and "hunter2" not in err


def test_a_migrated_database_runs_the_same_command(database_url: str) -> None:
    assert run("status")[0] == 0


def test_not_found_exits_3_and_a_conflict_exits_4_with_json_errors_on_stderr(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, out, err = run("case", "show", "PA-2026-99999")
    assert (code, out, err) == (3, "", "pdu: no case with reference PA-2026-99999\n")
    seed_office(monkeypatch)
    number = issue_certificates(tmp_path)[0]["number"]
    pdu("certificate", "revoke", number, "--reason", "Entered twice.")
    code, out, err = run("certificate", "revoke", number, "--reason", "Again.", "--json")
    assert (code, out) == (4, "")
    error = json.loads(err)
    assert error["error"] == "refused" and error["exit_code"] == 4
    assert error["message"].startswith(f"{number} was already revoked on")


def test_bad_usage_exits_2_and_help_names_every_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["case", "frobnicate"]) == 2
    assert main(["--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for words in ("0 done", "1 internal error", "2 bad usage", "3 not found", "4 refused"):
        assert words in help_text


def test_pdu_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"pdu {version('pdu-workflows')}\n"


def test_the_demos_database_is_found_by_upgrade_then_status(isolated_environment: Path) -> None:
    assert run("status")[0] == 2
    upgrade(get_settings().sqlalchemy_url)
    assert run("status")[0] == 0


def test_a_usage_error_with_json_is_a_json_object_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["case", "show", "--json"]) == 2  # the reference is missing
    out, err = capsys.readouterr()
    assert out == ""
    error = json.loads(err)
    assert (error["error"], error["exit_code"]) == ("usage", 2)
    assert "REFERENCE" in error["message"].upper()
    assert main(["case", "show"]) == 2
    assert "usage: pdu case show" in capsys.readouterr().err
