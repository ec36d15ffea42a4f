"""Benchmark: the listings at office scale: `pdu case list` (a page, a filter, everything
streamed), `pdu status` and `pdu certificate list`, with 100,000 closed cases (a
certificate each) and 5,000 open ones, on SQLite and PostgreSQL.

    .venv/bin/python bench/listings.py                    # both databases
    .venv/bin/python bench/listings.py --databases sqlite --closed 20000
    .venv/bin/python bench/listings.py --baseline DIR     # also run the code in DIR

Each command runs in a child process of its own; the figure is the command's own time
(the command's handler, output to /dev/null) and the process's peak RSS. Process start
(imports, connecting) is timed apart. With --baseline DIR (e.g. `git archive main | tar -x
-C DIR`), the same commands run from that checkout against the same database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import bench_databases, kinds  # noqa: E402  (after the path)

NOW = datetime(2026, 11, 20, 16, tzinfo=UTC)
CHUNK = 20_000
COMMANDS = {
    "case list": ["case", "list"],
    "case list --search": ["case", "list", "--search", "educator77@"],
    "case list --overdue": ["case", "list", "--overdue"],
    "case list --page 100": ["case", "list", "--page", "100"],
    "case list --all --jsonl": ["case", "list", "--all", "--jsonl"],
    "status": ["status"],
    "certificate list": ["certificate", "list"],
}
OLD = {"case list --all --jsonl": ["case", "list", "--json"]}  # the old code had no paging


def generate(url: str, closed: int, open_: int) -> float:
    from sqlalchemy import insert

    from bench.bulk import insert_rows, stamp
    from models.db import make_engine
    from models.people import Person, Staff
    from tests.e2e.forms import preapproval

    began = time.perf_counter()
    engine = make_engine(url)
    applicants = 1000
    with engine.begin() as connection:
        connection.execute(
            insert(Staff),
            [
                {"id": 1, "email": "rita@opi.example", "name": "Rita", "role": "reviewer",
                 "active": True, "created_at": NOW},
                {"id": 2, "email": "sam@opi.example", "name": "Sam", "role": "supervisor",
                 "active": True, "created_at": NOW},
            ],
        )  # fmt: skip
        connection.execute(
            insert(Person),
            [
                {"id": i, "email": f"educator{i}@school.example", "first_name": "Educator",
                 "last_name": str(i), "license_number": f"MT-{i}", "created_at": NOW}
                for i in range(1, applicants + 1)
            ],
        )  # fmt: skip
    form = json.dumps(preapproval(email="EMAIL"))
    at = stamp(url, NOW - timedelta(days=400))
    case_cols = (
        "id, reference, kind, status, applicant_id, form, submission_key, channel, "
        "retroactive, hours_requested, submitted_at, updated_at, closed_at"
    )
    task_cols = (
        "id, case_id, kind, status, assignee_id, created_at, due_at, paused_seconds, "
        "paused_since, completed_at, decision"
    )
    cert_cols = (
        "id, number, verification_code, case_id, person_id, holder_name, license_number, "
        "activity_title, start_date, end_date, hours, issued_at, status"
    )
    total = closed + open_
    for start in range(0, total, CHUNK):
        cases, tasks, certs = [], [], []
        for i in range(start + 1, min(start + CHUNK, total) + 1):
            who = i % applicants + 1
            is_open = i > closed
            cases.append(
                (i, f"PA-2026-{i:07d}", "preapproval", "in_review" if is_open else "completed",
                 who, form.replace("EMAIL", f"educator{who}@school.example"), f"bench-{i}",
                 "email", False, 18, at, at, None if is_open else at)
            )  # fmt: skip
            due = NOW + timedelta(days=i % 20 - 5)
            tasks.append(
                (i, i, "review", "open" if is_open else "done", 1 + i % 2, at,
                 stamp(url, due), 0, stamp(url, NOW) if is_open and i % 10 == 0 else None,
                 None if is_open else at, None if is_open else "approved")
            )  # fmt: skip
            if not is_open:
                certs.append(
                    (i, f"PDU-2026-{i:07d}", f"BNCH-{i:012d}", i, who, f"Educator {who}",
                     f"MT-{who}", "Institute", date(2025, 6, 1), date(2025, 6, 3), 6, at, "valid")
                )  # fmt: skip
        with engine.begin() as connection:
            insert_rows(connection, "cases", case_cols, cases)
            insert_rows(connection, "review_tasks", task_cols, tasks)
            if certs:
                insert_rows(connection, "certificates", cert_cols, certs)
    if url.startswith("postgresql"):
        with engine.begin() as connection:  # committed: a rolled-back ANALYZE keeps no stats
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - began


def child(argv: list[str]) -> None:
    """In its own process: one command's own time and the process's peak RSS (stderr)."""
    began = time.perf_counter()
    from sqlalchemy import select
    from sqlalchemy.orm import configure_mappers

    from flows.cli import build_parser
    from models.uow import UnitOfWork

    configure_mappers()
    with UnitOfWork() as work:
        work.session.execute(select(1))
    args = build_parser().parse_args(argv)  # argparse's setup is the same for every command
    started = time.perf_counter() - began
    began = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        code = args.handler(args)
    took = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"code": code, "start_s": started, "s": took, "peak_mb": peak}), file=sys.stderr
    )


def run_child(url: str, argv: list[str], code_dir: Path, work: Path) -> dict[str, Any]:
    env = os.environ | {
        "PDU_DATABASE_URL": url,
        "PDU_DATA_DIR": str(work / "data"),
        "PDU_NOW": NOW.isoformat(),
        "PYTHONPATH": str(code_dir),
    }
    done = subprocess.run(
        [sys.executable, str(code_dir / "bench" / "listings.py"), "--child", *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=code_dir,
    )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return dict(json.loads(done.stderr.strip().splitlines()[-1]))


def run(name: str, url: str, args: argparse.Namespace, work: Path) -> None:
    from models.migrate import upgrade

    upgrade(url)
    built = generate(url, args.closed, args.open)
    print(f"\n{name}: {args.closed:,} closed cases (a certificate each), {args.open:,} open; "
          f"built in {built:.0f} s")  # fmt: skip
    for label, argv in COMMANDS.items():
        load = os.getloadavg()[0]
        new = run_child(url, argv, ROOT, work)
        line = f"  {label:<26} " + _figure(new)
        if args.baseline:
            old = run_child(url, OLD.get(label, argv), Path(args.baseline), work)
            line += f"   | before: {_figure(old)}"
        print(f"{line}   (load {load:.1f})", flush=True)


def _figure(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"error: {r['error'][:60]}"
    return f"{r['s']:6.2f} s, peak {r['peak_mb']:5.0f} MB (start {r['start_s']:.1f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=5_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--baseline", help="a checkout of the code to compare with")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    with bench_databases("pdu-bench-listings-") as databases:
        for name in kinds(parser, args.databases):
            run(name, databases.url(name), args, databases.work)


if __name__ == "__main__":
    main()
