"""The secret: services refuse to start without a real one, and rotating it (PDU_SECRET_KEYS,
current first) breaks neither the reply tokens nor the credentials issued before."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from flows.cli import main
from models import clock
from models.cases import Case
from models.services.issuing import issuer_did
from models.services.tokens import find_token, issue_token
from models.settings import get_settings, new_secret, reset_settings
from tests import factories
from tests.web_support import issue_certificates, pdu, running_web, seed_office

SERVICES = [
    ["web"], ["serve"], ["mail", "watch"], ["mail", "poll"], ["mail", "send"],
    ["sweep"], ["provider", "issue", "1", "roster.csv"],
]  # fmt: skip


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def rotate(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.delenv("PDU_SECRET_KEY", raising=False)
    monkeypatch.setenv("PDU_SECRET_KEYS", ",".join(keys))
    reset_settings()


@pytest.mark.parametrize("command", SERVICES, ids=" ".join)
@pytest.mark.parametrize(
    "secret", [None, "dev-insecure-secret-change-me", "x" * 31], ids=["unset", "built-in", "short"]
)
def test_a_service_command_refuses_to_start_without_a_real_secret(
    command: list[str], secret: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PDU_SECRET_KEY")
    if secret is not None:
        monkeypatch.setenv("PDU_SECRET_KEY", secret)
    reset_settings()
    code, out, err = run(*command)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "PDU_SECRET_KEY" in err and "pdu secret new" in err


def test_read_only_commands_run_without_a_secret(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PDU_SECRET_KEY")
    reset_settings()
    assert run("case", "list")[0] == 0


def test_pdu_secret_new_prints_a_fresh_secret_that_services_accept() -> None:
    code, first, _ = run("secret", "new")
    second = run("secret", "new")[1]
    assert code == 0 and first != second
    assert len(first.strip().encode()) >= 43 and first.count("\n") == 1


def test_a_reply_token_issued_before_a_rotation_works_until_it_expires(
    uow, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = new_secret(), new_secret()
    rotate(monkeypatch, old)
    now = clock.now()
    with uow() as work:
        case = factories.case(work.session, now=now)
        token, _ = issue_token(
            work.session, case=case, recipient="rita@opi.example", allowed={"APPROVE"},
            now=now, ttl=timedelta(days=2), secret_key=get_settings().current_key,
        )  # fmt: skip
        work.commit()
    rotate(monkeypatch, new, old)
    with uow() as work:
        assert find_token(work.session, token, get_settings().keys, now).problem is None
        later = now + timedelta(days=3)
        assert find_token(work.session, token, get_settings().keys, later).problem == (
            "token_expired"
        )
        newer, _ = issue_token(
            work.session, case=work.session.get(Case, case.id), recipient="rita@opi.example",
            allowed={"APPROVE"}, now=now, ttl=timedelta(days=2),
            secret_key=get_settings().current_key,
        )  # fmt: skip
        work.commit()
    rotate(monkeypatch, new)  # the old secret retired: its tokens are gone, new ones work
    with uow() as work:
        assert find_token(work.session, token, get_settings().keys, now).problem == (
            "token_unknown"
        )
        assert find_token(work.session, newer, get_settings().keys, now).problem is None


def test_credentials_issued_before_a_rotation_keep_verifying_everywhere(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    isolated_environment: Path,
    tmp_path: Path,
) -> None:
    old, new = new_secret(), new_secret()
    rotate(monkeypatch, old)
    seed_office(monkeypatch)
    before = issue_certificates(tmp_path)[0]
    pdf = isolated_environment / "certificates" / f"{before['number']}.pdf"

    rotate(monkeypatch, new, old)
    verified = json.loads(pdu("certificate", "verify", str(pdf), "--json"))
    assert verified["signature"] == {
        "verified": True, "problem": None, "issuer": issuer_did(old),
    }  # fmt: skip
    after = issue_certificates(tmp_path)[-1]
    pdf_after = isolated_environment / "certificates" / f"{after['number']}.pdf"
    signed_after = json.loads(pdu("certificate", "verify", str(pdf_after), "--json"))
    assert signed_after["signature"]["issuer"] == issuer_did(new)

    with running_web() as server, httpx.Client(base_url=server.url) as http:
        page = http.get(f"/verify/{before['verification_code']}").text
        assert "verifies against the Office" in page
        profile = http.get("/issuer").json()
    assert profile["otherIdentifier"][0]["identifier"] == issuer_did(new)
    assert [m["controller"] for m in profile["verificationMethod"]] == [
        issuer_did(new), issuer_did(old),
    ]  # fmt: skip
    credential = json.loads(pdu("certificate", "credential", before["number"]))
    assert credential["issuer"]["url"].endswith("/issuer")

    rotate(monkeypatch, new)  # without the earlier key, the old credential no longer verifies
    code, out, _ = run("certificate", "verify", str(pdf), "--json")
    assert code == 4 and json.loads(out)["signature"]["verified"] is False
