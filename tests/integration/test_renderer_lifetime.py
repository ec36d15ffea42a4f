"""Processes and WeasyPrint: one that drew certificates ends cleanly (its temporary font
folders removed, in its worker processes too, nothing printed at exit), and the process
that numbers and records certificates never loads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from dataclasses import replace
from pathlib import Path

from models.services.issuing import RenderJob, WorkerPool, render_job
from tests.integration.test_certificate_pdf import DATA

out = Path(sys.argv[1])
job = RenderJob(DATA, b"{}", str(out / "here.pdf"))
render_job(job)  # this process's cached renderer
pool = WorkerPool(1)
pool.submit(RenderJob(replace(DATA, number="PDU-2027-000043"), b"{}", str(out / "w.pdf"))).result()
pool.close()
print("rendered")
"""


def test_rendering_here_and_in_a_worker_leaves_no_font_folder_and_no_noise_at_exit(
    tmp_path: Path,
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "rendered"
    assert (tmp_path / "here.pdf").exists() and (tmp_path / "w.pdf").exists()
    assert "Exception ignored" not in done.stderr, done.stderr
    assert not list(temporary.glob("weasyprint-*"))


def test_the_process_that_numbers_and_records_certificates_does_not_load_weasyprint() -> None:
    # It prepares, signs and records while worker processes draw: WeasyPrint there would
    # cost every `pdu provider issue` ~2 s of start-up and ~50 MB for nothing.
    script = (
        "import sys; import models.services.provider_events, flows.cli_certificates; "
        "print(sorted(m for m in ('weasyprint', 'pypdf') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
