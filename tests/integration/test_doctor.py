"""`pdu doctor` against the real test servers (Dovecot, the SMTP front, PostgreSQL and
SQLite): all good on a good configuration, and each check failing for its own reason."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import socket
from pathlib import Path

import pytest

from flows.cli import main
from models.settings import reset_settings

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
