"""Long commands show a progress bar on a terminal (a real pseudo-terminal here) and plain
output otherwise: `pdu directory import`, and the purge's dry-run counting."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

PDU = str(Path(sys.executable).parent / "pdu")
CLOSED_CASES = 5
SAMPLE = Path(__file__).resolve().parents[2] / "scripts" / "sample-directory.csv"


def run_on_terminal(*args: str) -> str:
    """stderr on a pseudo-terminal, as an operator sees it; the screen's text."""
    leader, follower = pty.openpty()
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    done = subprocess.run(
        [PDU, *args], stderr=follower, stdout=subprocess.PIPE, env=env, timeout=120
    )
    os.close(follower)
    screen = b""
    try:
        while chunk := os.read(leader, 65536):
            screen += chunk
    except OSError:  # the terminal closed: all read
        pass
    os.close(leader)
    assert done.returncode == 0, screen
    return screen.decode("utf-8", "replace")


def test_directory_import_shows_a_bar_on_a_terminal_and_nothing_when_piped(
    database_url: str,
) -> None:
    screen = run_on_terminal("directory", "import", str(SAMPLE))
    rows = len(SAMPLE.read_text(encoding="utf-8").splitlines()) - 1
    assert "importing providers" in screen and f"{rows}/{rows}" in screen
    piped = subprocess.run(
        [PDU, "directory", "import", str(SAMPLE)], capture_output=True, text=True, timeout=120
    )
    assert piped.stderr == ""


def test_the_purge_dry_run_and_the_purge_show_the_count_of_all_on_a_terminal(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.uow import UnitOfWork
    from tests.integration.test_retention import closed_case

    with UnitOfWork() as work:
        for n in range(1, CLOSED_CASES + 1):
            closed_case(work.session, f"PA-2021-{n:05d}", f"a{n}@school.example")
        work.commit()
    monkeypatch.setenv("PDU_NOW", "2027-01-04T09:00:00-07:00")  # five years and more on
    screen = run_on_terminal("purge")
    assert "counting what the purge would remove" in screen
    assert f"{CLOSED_CASES}/{CLOSED_CASES}" in screen  # the total, counted first
    screen = run_on_terminal("purge", "--execute", "--approval", "RDA-2027-01", "--batch-size", "2")
    assert "purging cases" in screen and f"{CLOSED_CASES}/{CLOSED_CASES}" in screen
