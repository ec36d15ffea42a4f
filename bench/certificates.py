"""Benchmark: issuing N certificates from one roster, end to end (the roster checked and
recorded, each certificate numbered, signed, rendered, read back, stored, its row and its
email written to the outbox; sending excluded), on SQLite. Prints certificates per second
and peak memory for each way of rendering:

- naive: a new WeasyPrint setup (FontConfiguration, stylesheet) per certificate, one process
  (the baseline);
- warm: one WeasyPrint setup reused, one process;
- single: two worker processes with a warm setup each, each certificate its own
  WeasyPrint document (the shipped way before batches);
- workers: the shipped way, two worker processes with a warm setup each, drawing 12
  certificates as one document and writing each page as its own PDF, while the main
  process reserves and records (models.services.provider_events.issue_pending).

    .venv/bin/python bench/certificates.py              # 1,000 certificates: naive, single, workers
    .venv/bin/python bench/certificates.py --count 100  # a quick run
    .venv/bin/python bench/certificates.py --modes naive,warm,single,workers --workers 2

Each mode runs in a fresh child process (nothing warm carries over), on its own event of
the same roster; peak memory is the child's maximum RSS, and for workers the largest
worker's. CPU ms per certificate (the child's and its workers' user + system time) moves
least with other load on the machine; the load average is printed at the start and end
of each mode. Progress goes to the terminal (stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-11-23T16:00:00Z"
FIRST = [
    "Maria", "Nguyễn Thị", "Αικατερίνη", "Александра", "José", "Wolfgang", "Aiyana",
    "Siobhán", "Zoë", "Bartholomew Alexander", "Dana", "Lee",
]  # fmt: skip
LAST = [
    "Running Crane", "Minh Khai", "Παπαδοπούλου", "Кузнецова", "Núñez", "Schmidt",
    "Two Bears", "O'Sullivan", "Konstantinopoulou-Vanderbilt de la Fuente", "Okafor", "Lee",
]  # fmt: skip
MODES = ("naive", "warm", "single", "workers")


def roster(count: int) -> bytes:
    lines = ["first_name,last_name,email,license_number,hours"]
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        hours = ("12", "6.5", "11.75", "3")[i % 4]
        lines.append(f'"{first}","{last}",educator{i}@school.example,{100000 + i},{hours}')
    return ("\n".join(lines) + "\n").encode()


def setup(data_dir: Path) -> None:
    """A fresh database with one provider and one event per mode."""
    from models import clock
    from models.migrate import upgrade
    from models.services.context import ServiceContext
    from models.services.directory import add_provider
    from models.services.provider_events import add_event
    from models.uow import UnitOfWork

    upgrade(f"sqlite:///{data_dir / 'pdu.sqlite3'}")
    with UnitOfWork() as work:
        now = clock.now()
        add_provider(work.session, "Big Sky Learning Collaborative", "info@bigsky.example", now)
        for mode in MODES:
            add_event(
                ServiceContext.of(work, now),
                "MTP-00001",
                title=f"Montana Literacy Summit 2026 ({mode})",
                start=date(2026, 11, 19),
                end=date(2026, 11, 20),
                hours="12",
                locations=["Helena, MT"],
            )
        work.commit()


def run_mode(mode: str, content: bytes, workers: int) -> dict[str, Any]:
    """One mode, in this (fresh) process: the whole issuance of the roster."""
    from models import clock
    from models.services.issuing import InProcess, WorkerPool
    from models.services.provider_events import accept_roster, issue_pending
    from models.uow import UnitOfWork

    event_id = MODES.index(mode) + 1
    load_before = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime  # imports and setup are not the batch's
    began = time.perf_counter()
    last = [began]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 0.5 or done == total:
            last[0] = now
            rate = done / (now - began)
            print(
                f"\r  {mode:8} {done:>6}/{total} ({rate:5.1f} per second)", end="", file=sys.stderr
            )

    pool = {
        "naive": lambda: InProcess(fresh_setup=True),
        "warm": lambda: InProcess(),
        "single": lambda: WorkerPool(workers, batch=1),
        "workers": lambda: WorkerPool(workers),
    }[mode]()
    try:
        accepted = accept_roster(UnitOfWork, event_id, content, clock.now())
        assert accepted.roster.ok, accepted.roster.problems[:3]
        report = issue_pending(UnitOfWork, event_id, pool=pool, on_progress=progress)
    finally:
        pool.close()
    seconds = time.perf_counter() - began
    own, workers_usage = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    cpu = own.ru_utime + own.ru_stime + workers_usage.ru_utime + workers_usage.ru_stime
    print(file=sys.stderr)
    assert report.issued == accepted.queued and not report.failed, report
    return {
        "mode": mode,
        "count": report.issued,
        "seconds": seconds,
        "per_second": report.issued / seconds,
        "cpu_ms_per_certificate": (cpu - cpu_before) / report.issued * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": (
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if mode in ("single", "workers")
            else None
        ),
        "load": (load_before, os.getloadavg()[0]),
    }


def child(args: argparse.Namespace) -> None:
    content = Path(args.roster).read_bytes()
    print(json.dumps(run_mode(args.child, content, args.workers)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="certificates (default 1,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--modes", default="naive,single,workers", help=f"of {','.join(MODES)}")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--roster", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(sorted(unknown))}")

    data_dir = Path(tempfile.mkdtemp(prefix="pdu-bench-certificates-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PDU_")},
        "PDU_DATA_DIR": str(data_dir),
        "PDU_NOW": NOW,
        "PDU_PUBLIC_URL": "https://pdu.opi.example",
        # a throwaway key: the benchmark's own temporary office signs its certificates
        "PDU_SECRET_KEY": secrets.token_urlsafe(32),
    }
    os.environ.update(env)
    setup(data_dir)
    roster_path = data_dir / "roster.csv"
    roster_path.write_bytes(roster(args.count))
    load = os.getloadavg()[0]
    print(
        f"{args.count} certificates from one roster, SQLite, {os.cpu_count()} CPUs "
        f"(load average {load:.1f} at start)",
        file=sys.stderr,
    )
    results = []
    for mode in modes:
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--roster", str(roster_path),
             "--workers", str(args.workers)],
            env=env, stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        results.append(json.loads(done.stdout))
    print(
        f"\n{'mode':<22}{'certificates/s':>15}{'seconds':>9}{'CPU ms/cert':>13}"
        f"{'peak RSS (MB)':>22}{'load avg':>12}"
    )
    baseline = next((r for r in results if r["mode"] == "naive"), None)
    for r in results:
        label = {
            "naive": "naive (baseline)",
            "warm": "warm, 1 process",
            "single": f"{args.workers} workers, 1 a doc",
            "workers": f"{args.workers} workers, batches",
        }[r["mode"]]
        rss = f"{r['peak_rss_mb']:.0f}"
        if r["worker_peak_rss_mb"] is not None:
            rss += f" + {args.workers}x≤{r['worker_peak_rss_mb']:.0f}"
        ratio = f"  {r['per_second'] / baseline['per_second']:.1f}x baseline" if baseline else ""
        load = "{:.1f}-{:.1f}".format(*r["load"])
        print(
            f"{label:<22}{r['per_second']:>15.1f}{r['seconds']:>9.1f}"
            f"{r['cpu_ms_per_certificate']:>13.0f}{rss:>22}{load:>12}{ratio}"
        )
    files = len(list((data_dir / "certificates").glob("*.pdf")))
    end_load = os.getloadavg()[0]
    print(f"\n{files} PDFs in {data_dir / 'certificates'}; load average {end_load:.1f} at end")
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
