"""`--json` on every `pdu` command, the ones that change things included: each command's
result is one JSON document on stdout (an object; a listing's array; JSON Lines with
--jsonl), and stderr holds JSON only. The parser tree is walked, so a new command without
`--json`, or without a run here, fails."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devmail import free_port
from flows.cli import build_parser, leaf_parsers, main
from tests.e2e.forms import preapproval
from tests.integration.test_doctor import mailbox_address  # noqa: F401  (the fixture)
from tests.opportunity_support import approved_opportunity
from tests.portal_support import add_account
from tests.web_support import ROSTER

ROOT = Path(__file__).resolve().parents[2]
PDU = str(Path(sys.executable).parent / "pdu")
# Run with --json in other tests, each a real start: a Prefect server, the demo.
ELSEWHERE = {
    "pdu deploy": "tests/integration/test_doctor.py (against a real Prefect server)",
    "pdu serve": "tests/integration/test_deployments.py (pdu serve --dev-mail --json)",
    "pdu demo": "tests/e2e/test_demo.py (pdu demo --without-prefect --json)",
}


def commands() -> dict[tuple[str, ...], argparse.ArgumentParser]:
    return {tuple(p.prog.split()[1:]): p for p in leaf_parsers(build_parser())}


def command_of(argv: tuple[str, ...]) -> str:
    words = max((w for w in commands() if argv[: len(w)] == w), key=len)
    return " ".join(("pdu", *words))


class Runner:
    """`pdu ARGS --json` (or ARGS with --jsonl) in this process; remembers which commands ran."""

    def __init__(self) -> None:
        self.ran: set[str] = set()

    def raw(self, *argv: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv] if "--jsonl" in argv else [*argv, "--json"])
        assert code == 0, f"pdu {' '.join(argv)} exited {code}: {err.getvalue()}"
        for line in err.getvalue().splitlines():  # log lines, if any: JSON too
            assert isinstance(json.loads(line), dict), line
        self.ran.add(command_of(argv))
        return out.getvalue()

    def __call__(self, *argv: str) -> Any:
        return json.loads(self.raw(*argv))


def test_every_command_declares_its_own_json_flag() -> None:
    for words, parser in commands().items():
        action = parser._option_string_actions.get("--json")
        assert isinstance(action, argparse._StoreTrueAction), f"pdu {' '.join(words)}"


@pytest.mark.usefixtures("mailbox_address")  # the real test mail servers
def test_every_command_prints_its_result_as_json_on_a_real_database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDU_NOW", "2026-11-23T09:00:00-07:00")
    pdu = Runner()
    assert pdu("db", "upgrade")["revision"]
    assert len(pdu("secret", "new")["secret"]) >= 32
    assert "pdu" in pdu("completion", "bash")["code"]
    assert pdu("schema", "preapproval")["type"] == "object"
    assert all(c["ok"] for c in pdu("doctor", "--fix"))

    # The office: staff, the directory, closures.
    for email, name, role in (
        ("rita@opi.example", "Rita Reviewer", "reviewer"),
        ("sam@opi.example", "Sam Supervisor", "supervisor"),
    ):
        assert pdu("staff", "add", email, "--name", name, "--role", role)["role"] == role
    set_to = pdu("staff", "set", "rita@opi.example", "--supervisor", "sam@opi.example")
    assert set_to["supervisor"] == "sam@opi.example"
    assert len(pdu("staff", "list")) == 2
    sample = ROOT / "scripts" / "sample-directory.csv"
    imported = pdu("directory", "import", str(sample))
    assert len(imported["added"]) == len(sample.read_text().splitlines()) - 1
    added = pdu("directory", "add", "Big Sky Collaborative", "--email", "info@bigsky.example")
    assert added["name"] == "Big Sky Collaborative"
    assert pdu("directory", "edit", added["number"], "--phone", "406-555-0199")["changed"]
    changed = pdu("directory", "set-status", added["number"], "suspended", "--reason", "Audit.")
    assert changed["status"] == "suspended"
    assert len(pdu("directory", "list")) == len(imported["added"])
    assert pdu("closure", "add", "2026-11-27", "--reason", "Snow.")["days"] == ["2026-11-27"]
    assert pdu("closure", "list") == [{"day": "2026-11-27", "reason": "Snow."}]
    assert pdu("closure", "remove", "2026-11-27")["days"] == ["2026-11-27"]

    # A case from submission to a reopened review.
    form = tmp_path / "form.json"
    form.write_text(json.dumps(preapproval("jane@school.example")))
    reference = pdu("submit", "preapproval", str(form))["reference"]
    assert [row["reference"] for row in pdu("case", "list")] == [reference]
    rows = pdu.raw("case", "list", "--jsonl").splitlines()
    assert [json.loads(row)["reference"] for row in rows] == [reference]
    assert pdu("case", "show", reference)["reference"] == reference
    assert pdu("case", "resend", reference)["reference"] == reference
    assert pdu("case", "reassign", reference, "--to", "sam@opi.example")["assignee"]
    decided = pdu("case", "decide", reference, "approve", "--as", "sam@opi.example")
    assert decided["status"] == "awaiting_proof"
    reopened = pdu("case", "reopen", reference, "--reason", "Hours were wrong.")
    assert reopened["status"] == "in_review"
    assert isinstance(pdu("sweep"), dict)
    assert pdu("status")["sla"]["window_days"] == 30
    assert pdu("hold", "add", reference, "--reason", "A records request.")["held"] is True
    assert [h["reference"] for h in pdu("hold", "list")] == [reference]
    assert pdu("hold", "release", reference)["held"] is False

    # Staff coming and going.
    assert pdu("staff", "away", "rita@opi.example", "--until", "2026-11-25")["until"]
    assert pdu("staff", "back", "rita@opi.example")["staff"]
    assert pdu("staff", "deactivate", "rita@opi.example", "--to", "sam@opi.example")["staff"]
    assert pdu("staff", "activate", "rita@opi.example")["active"] is True

    # A provider's event, certificates and accounts.
    event = pdu(
        "provider", "event", "add", "--provider", "MTP-00001", "--title", "Literacy Summit",
        "--start", "2026-11-19", "--end", "2026-11-20", "--hours", "12", "--location", "Billings",
    )["event_id"]  # fmt: skip
    assert [e["event_id"] for e in pdu("provider", "event", "list")] == [event]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert pdu("provider", "issue", str(event), str(roster))["issued"] == 2
    first, second = (c["number"] for c in pdu("certificate", "list"))
    assert pdu("certificate", "verify", first)["status"] == "valid"
    assert pdu("certificate", "transcript", "123456")["license_number"] == "123456"
    written = tmp_path / "credential.json"
    assert pdu("certificate", "credential", first, "--output", str(written))["output"]
    assert pdu("certificate", "reissue", first, "--name", "Maria R. Crane")["replaces"] == first
    assert pdu("certificate", "revoke", second, "--reason", "Not there.")["status"] == "revoked"
    report = pdu("provider", "report", "MTP-00001", "--year", "2026", "--output", str(tmp_path))
    assert Path(report["csv"]).is_file() and Path(report["pdf"]).is_file()
    username = add_account()
    assert [a["username"] for a in pdu("provider", "account", "list")] == [username]
    for change in ("disable", "enable", "reset", "two-factor-off"):
        done = pdu("provider", "account", change, username)
        assert (done["username"], done["change"]) == (username, change)
    assert pdu("provider", "history", "MTP-00001")[0]["action"]
    opportunity = approved_opportunity()
    assert [o["reference"] for o in pdu("directory", "opportunities")] == [opportunity]
    assert pdu("directory", "withdraw-opportunity", opportunity, "--reason", "Off.")["withdrawn"]

    # Mail, on the real test servers.
    eml = ROOT / "tests" / "fixtures" / "email" / "gmail_reply.eml"
    assert pdu("mail", "ingest", str(eml))["outcome"]
    assert set(pdu("mail", "send")) == {"sent", "retrying", "failed"}
    assert pdu("mail", "poll")["poll"]["seen"] == 0
    assert pdu("mail", "watch", "--cycles", "1") == {"cycles": 1}

    # Retention, then the legacy import's dry run.
    assert pdu("purge")["executed"] is False
    assert pdu("purge", "--execute", "--approval", "RDA-2026-01")["executed"] is True
    legacy = pdu("import", "legacy", str(ROOT / "docs" / "migration-sample"))
    assert legacy["executed"] is False

    # `pdu web` runs until stopped: its JSON is the line it prints once it listens.
    assert web_start_line()["event"] == "started"
    pdu.ran.add("pdu web")

    everything = {command_of(words) for words in commands()}
    assert pdu.ran | set(ELSEWHERE) == everything, everything - pdu.ran - set(ELSEWHERE)


def web_start_line() -> dict[str, Any]:
    port = free_port(8800)
    web = subprocess.Popen(
        [PDU, "web", "--port", str(port), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert web.stdout is not None
        line = json.loads(web.stdout.readline())
        assert line["web"] == f"http://127.0.0.1:{port}"
        # It says so once it listens: the page answers at once.
        with urllib.request.urlopen(f"{line['web']}/providers", timeout=10) as page:
            assert page.status == 200
        return dict(line)
    finally:
        web.send_signal(signal.SIGINT)
        web.wait(30)


def test_an_error_with_json_is_one_json_object_on_stderr_with_its_details(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = preapproval("not-an-address", activity__hours=-3)
    form = tmp_path / "form.json"
    form.write_text(json.dumps(data))
    assert main(["submit", "preapproval", str(form), "--json"]) == 2
    out, err = capsys.readouterr()
    error = json.loads(err)
    assert out == ""
    assert (error["error"], error["exit_code"]) == ("usage", 2)
    assert error["problems"] == [
        "Educator email: must be an email address like name@example.org",
        "Activity hours: must be more than 0",
    ]
    assert error["message"].startswith("the form has 2 problem(s):")
