"""Shared by the web tests: a real uvicorn server, an office with certificates, Chromium."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devmail import free_port
from flows.cli import main
from web.app import create_app
from web.security import Limit
from web.server import WebServer

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROSTER = (
    "first_name,last_name,email,license_number,hours\n"
    "Maria,Running Crane,maria@school.example,123456,12\n"
    "Tom,Little Bear,tom@school.example,234567,6.5\n"
)


def pdu(*args: str) -> str:
    """`pdu ARGS` in this process (a process per command costs ~1.5 s); its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    assert code == 0, f"pdu {' '.join(args)} exited {code}"
    return out.getvalue()


def seed_office(monkeypatch: pytest.MonkeyPatch) -> None:
    """Monday, November 23, 2026; a reviewer; the sample directory."""
    monkeypatch.setenv("PDU_NOW", "2026-11-23T09:00:00-07:00")
    pdu("staff", "add", "rita@opi.example", "--name", "Rita Reviewer", "--role", "reviewer")
    pdu("directory", "import", str(ROOT / "scripts" / "sample-directory.csv"))


def issue_certificates(directory: Path) -> list[dict[str, Any]]:
    """Two certificates from a roster of the directory's first provider."""
    added = pdu(
        "provider", "event", "add", "--provider", "MTP-00001",
        "--title", "Montana Literacy Summit 2026", "--start", "2026-11-19",
        "--end", "2026-11-20", "--hours", "12", "--location", "Billings, MT", "--json",
    )  # fmt: skip
    event = json.loads(added)
    roster = directory / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    pdu("provider", "issue", str(event["event_id"]), str(roster), "--json")
    return list(json.loads(pdu("certificate", "list", "--json")))


@contextlib.contextmanager
def running_web(
    form_limit: Limit | None = None, verify_limit: Limit | None = None
) -> Iterator[WebServer]:
    """The web app on a free loopback port; PDU_PUBLIC_URL points at it."""
    app = create_app(
        **{k: v for k, v in (("form_limit", form_limit), ("verify_limit", verify_limit)) if v}
    )
    with WebServer(port=free_port(), app=app) as server:
        yield server


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "the form carries no CSRF token"
    return found[1]
