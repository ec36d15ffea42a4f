"""The benchmarks still run (tiny sizes; their figures are not checked here:
speed is measured by running them, see bench/README.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_certificate_benchmark_issues_every_certificate_of_its_roster_in_each_mode() -> None:
    out = run("bench/certificates.py", "--count", "24", "--modes", "warm,workers")
    assert re.search(r"^warm, 1 process\s+[\d.]+", out, re.M)
    assert re.search(r"^2 workers, batches\s+[\d.]+", out, re.M)
    assert "48 PDFs in" in out


def test_the_certificate_steps_benchmark_accounts_for_every_step() -> None:
    out = run("bench/certificate_steps.py", "--batches", "1")
    for step in ("parsing the HTML", "cascade and layout", "reading the text back", "total"):
        assert re.search(rf"^{step}\s+[\d.]+ ms", out, re.M), out


def test_the_portal_benchmark_times_every_page_next_to_the_home_page() -> None:
    out = run(
        "bench/opportunities.py", "--opportunities", "120", "--certificates", "5",
        "--requests", "3",
    )  # fmt: skip
    for page in ("/ (static home, baseline)", "/opportunities", "/me/certificates"):
        assert re.search(rf"^{re.escape(page)}\s+\d+\s+[\d.]+\s+[\d.]+$", out, re.M), out
    assert "load average during the run" in out


def test_the_inbound_benchmark_commits_an_outcome_for_every_reply_next_to_bare_parsing() -> None:
    out = run("bench/inbound.py", "--messages", "14", "--databases", "sqlite")
    assert re.search(r"gateway \(raw bytes to committed outcome\):\s+[\d.]+ msg/s", out), out
    assert re.search(r"ratio: the gateway runs at 1/\d+ of bare parsing", out), out


def test_the_provider_portal_benchmark_times_the_events_page_next_to_the_home_page() -> None:
    out = run("bench/portal.py", "--pages-only", "--events", "20", "--certificates", "100")
    assert "/provider/events" in out, out


def test_the_legacy_import_benchmark_imports_and_times_the_bulk_baseline() -> None:
    out = run(
        "bench/legacy_import.py", "--certificates", "200", "--providers", "20",
        "--databases", "sqlite",
    )  # fmt: skip
    assert re.search(r"^  --execute \(one transaction\)\s+[\d.]+ s", out, re.M), out
    assert re.search(r"^  import / bulk insert\s+[\d.]+x$", out, re.M), out


def test_the_burst_benchmark_empties_the_backlog_and_times_the_smtp_server_alone() -> None:
    out = run(
        "bench/load.py", "--replies", "14", "--submissions", "2", "--steady", "2",
        "--front", "5",
    )  # fmt: skip
    assert re.search(r"backlog empty \(inbox filed, outbox sent\):\s+[\d.]+ s", out), out
    assert re.search(r"in the burst \(\d+\): p50 [\d.]+ s, p95 [\d.]+ s", out), out
    assert re.search(r"the SMTP server alone \(baseline, 5 emails .*\): [\d.]+ msg/s", out), out
