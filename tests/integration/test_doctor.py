"""`pdu doctor` against the real test servers (Dovecot, the SMTP front, PostgreSQL and
SQLite): all good on a good configuration, and each check failing for its own reason."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.cli import main
from models.project_root import ROOT
from models.settings import reset_settings
from tests.prefect_api import api

_ids = itertools.count()
NAMES = [
    "secret", "public URL", "database", "data directory", "IMAP", "SMTP", "OAuth2", "Prefect",
    "certificates",
]  # fmt: skip


def doctor(*args: str) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["doctor", "--json", *args])
    return code, json.loads(out.getvalue())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox_address(mail_server, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    address = f"pdu@doctor{next(_ids)}.example"
    for name, value in {
        "PDU_MAIL_ADDRESS": address, "PDU_IMAP_USER": address,
        "PDU_IMAP_PORT": str(mail_server.imap_port), "PDU_IMAP_PASSWORD": mail_server.password,
        "PDU_SMTP_PORT": str(mail_server.smtp_port),
        "PDU_PUBLIC_URL": "https://pdu.opi.example",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    reset_settings()
    return address


def test_a_good_configuration_passes_every_check_once_the_folders_are_made(
    database_url: str, mailbox_address: str, mail_server, capsys: pytest.CaptureFixture[str]
) -> None:
    code, checks = doctor()
    assert [c["name"] for c in checks] == NAMES
    assert code == 1
    [imap] = [c for c in checks if c["name"] == "IMAP"]
    assert "folder(s) missing: Processed, Quarantine" in str(imap["detail"])
    assert imap["fix"] == "run `pdu doctor --fix` to create them"
    assert [c["name"] for c in checks if not c["ok"]] == ["IMAP"]

    code, checks = doctor("--fix")
    assert code == 0, [c for c in checks if not c["ok"]]
    assert {"Processed", "Quarantine"} <= set(mail_server.folders(mailbox_address))
    ops = mailbox_address.replace("pdu@", "ops@")
    assert mail_server.messages(ops) == []  # no mail unless asked

    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"ok   {n}" for n in NAMES]


def test_send_test_delivers_one_message_to_the_address(
    database_url: str, mailbox_address: str, mail_server
) -> None:
    ops = mailbox_address.replace("pdu@", "ops@")
    code, checks = doctor("--fix", "--send-test", ops)
    assert code == 0, checks
    [sent] = mail_server.wait_for(ops, 1)
    assert b"pdu doctor test message" in sent


def test_a_broken_configuration_fails_each_check_for_its_own_reason(
    mailbox_address: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the data directory should be")
    broken = {
        "PDU_SECRET_KEY": "too-short",
        "PDU_PUBLIC_URL": "http://pdu.opi.example",
        "PDU_DATABASE_URL": f"postgresql+psycopg://pdu@127.0.0.1:{closed_port()}/pdu",
        "PDU_DATA_DIR": str(blocked),
        "PDU_IMAP_PASSWORD": "wrong",
        "PDU_SMTP_PORT": str(closed_port()),
        "PDU_SMTP_AUTH": "xoauth2-google",
        "PDU_SMTP_USER": mailbox_address,
        "PDU_OAUTH_CLIENT_ID": "id", "PDU_OAUTH_CLIENT_SECRET": "secret",
        "PDU_OAUTH_REFRESH_TOKEN": "refresh",
        "PDU_OAUTH_TOKEN_URL": f"http://127.0.0.1:{closed_port()}/token",
        "PREFECT_API_URL": f"http://127.0.0.1:{closed_port()}/api",
        "PATH": str(tmp_path),  # no fontconfig: as on a machine without the fonts installed
    }  # fmt: skip
    for name, value in broken.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    code, checks = doctor()
    assert code == 1
    by_name = {c["name"]: c for c in checks}
    assert [n for n in NAMES if by_name[n]["ok"]] == []
    assert "PDU_SECRET_KEY" in str(by_name["secret"]["detail"])
    assert "is not https" in str(by_name["public URL"]["detail"])
    assert "PDU_DATABASE_URL: cannot connect" in str(by_name["database"]["detail"])
    assert "Not a directory" in str(by_name["data directory"]["detail"]) or "exists" in str(
        by_name["data directory"]["detail"]
    )
    assert (
        "AUTHENTICATIONFAILED" in str(by_name["IMAP"]["detail"]).upper()
        or "fail" in str(by_name["IMAP"]["detail"]).lower()
    )
    assert "cannot connect to SMTP" in str(by_name["SMTP"]["detail"])
    assert by_name["OAuth2"]["fix"].startswith("check PDU_OAUTH")
    assert "/api" in str(by_name["Prefect"]["detail"])
    assert "fontconfig" in str(by_name["certificates"]["detail"])
    assert all(c["fix"] for c in checks)


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[str]:
    """A real Prefect server (SQLite, its own home) with the work pool `pdu deploy` needs;
    its scheduler off, so no runs pile up for a worker that never comes."""
    from flows.serve import LocalPrefectServer

    with pytest.MonkeyPatch.context() as env:
        env.setenv("PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED", "false")
        server = LocalPrefectServer(home=tmp_path / "prefect", log=tmp_path / "prefect.log")
        base = server.start(timeout=240)
    try:
        httpx.post(
            f"{base}/work_pools/", json={"name": "pdu-process", "type": "process"}
        ).raise_for_status()
        yield base
    finally:
        server.stop()


def prefect_lines(checks: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(c["name"]): c for c in checks if str(c["name"]).startswith("Prefect")}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_prefect_check_names_each_missing_deployment_changed_schedule_and_a_server_gone(
    database_url: str, mailbox_address: str, prefect_server: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from flows.serve import load_definitions

    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    names = [f"Prefect deployment {d['name']}" for d in load_definitions()]

    code, checks = doctor("--fix")  # nothing deployed yet: one line per deployment
    found = prefect_lines(checks)
    assert (code, list(found)) == (1, ["Prefect", *names])
    assert found["Prefect"]["ok"] is True
    assert {n: found[n]["detail"] for n in names} == dict.fromkeys(names, "not registered")
    assert all(str(found[n]["fix"]).startswith("run `pdu deploy`") for n in names)

    deployed = subprocess.run(
        [str(Path(sys.executable).parent / "pdu"), "deploy", "--json"],
        env=dict(os.environ, PREFECT_HOME=str(tmp_path / "client"), PDU_HOME=str(ROOT)),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    assert [d["name"] for d in json.loads(deployed.stdout)["deployments"]] == [
        d["name"] for d in load_definitions()
    ]
    code, checks = doctor()
    assert code == 0, [c for c in checks if not c["ok"]]
    found = prefect_lines(checks)
    assert found["Prefect deployment mailbox-poll"]["detail"] == "registered, every 60 s"
    assert found["Prefect deployment deadlines-sweep"]["detail"] == (
        "registered, cron */15 7-18 * * 1-5 (America/Denver)"
    )
    assert found["Prefect deployment intake"]["detail"] == "registered, on demand"
    assert main(["doctor"]) == 0
    assert "ok   Prefect deployment retention-purge: registered" in capsys.readouterr().out

    # An operator deletes one deployment and edits another's schedule in the UI.
    ids = {d["name"]: d for d in api(prefect_server, "/deployments/filter")}
    httpx.delete(f"{prefect_server}/deployments/{ids['outbox-send']['id']}").raise_for_status()
    sweep = ids["deadlines-sweep"]
    httpx.patch(
        f"{prefect_server}/deployments/{sweep['id']}/schedules/{sweep['schedules'][0]['id']}",
        json={"schedule": {"cron": "0 9 * * *", "timezone": "America/Denver"}},
    ).raise_for_status()
    code, checks = doctor()
    failed = {c["name"]: c["detail"] for c in checks if not c["ok"]}
    assert code == 1
    assert failed == {
        "Prefect deployment outbox-send": "not registered",
        "Prefect deployment deadlines-sweep": "schedule cron 0 9 * * * (America/Denver) "
        "registered; prefect.yaml says cron */15 7-18 * * 1-5 (America/Denver)",
    }

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{closed_port()}/api")
    code, checks = doctor()
    found = prefect_lines(checks)
    assert (code, list(found)) == (1, ["Prefect"])
    assert " unreachable: " in str(found["Prefect"]["detail"])
    assert str(found["Prefect"]["fix"]).startswith("start the Prefect server")
