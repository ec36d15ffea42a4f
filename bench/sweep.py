"""Benchmark: the deadline sweep over N open review tasks, none due and 1% due for a
reminder, on SQLite and PostgreSQL, next to `SELECT count(*)` of the open tasks in the same
process (the baseline: the least a sweep that looks at every open task could cost).

    .venv/bin/python bench/sweep.py                          # 10k and 100k, both databases
    .venv/bin/python bench/sweep.py --tasks 1000000 --databases sqlite --due 0
    .venv/bin/python bench/sweep.py --tasks 10000 --postgres-url URL

Tasks are pre-approvals in review, due at the end of one of the next 30 business days
(stored instants as the service computes them), built in bulk with Core inserts. Each sweep
runs in a child process of its own (`jobs.sweep()`, what `pdu sweep` calls), which prints
the sweep's time, its peak RSS and the count's time; "beyond process start" is the sweep's
own time (imports and connecting excluded).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import bench_databases, kinds  # noqa: E402  (after the path)

NOW = datetime(2026, 11, 2, 16, tzinfo=UTC)  # Monday 09:00 in Montana
CHUNK = 20_000
STAFF = ("rita@opi.example", "sam@opi.example", "ada@opi.example")


def generate(url: str, tasks: int, due_share: float) -> float:
    """Open pre-approvals in review, bulk-inserted, with their next-step instants."""
    from sqlalchemy import insert

    from bench.bulk import insert_rows, stamp
    from models.calendar import BusinessCalendar
    from models.cases import ScheduleBasis
    from models.db import make_engine
    from models.people import Person, Staff
    from models.services.schedule import basis_fingerprint, ladder_policy, task_instant
    from models.settings import Settings
    from tests.e2e.forms import preapproval

    began = time.perf_counter()
    settings = Settings()
    calendar = BusinessCalendar(timezone=settings.timezone)
    policy = ladder_policy(settings)
    # Not due: due 3..32 business days ahead (reminder still to come). Due for a reminder:
    # due in one business day (reminder two before: already passed, not yet sent).
    later = [calendar.add_business_days(NOW, n) for n in range(3, 33)]
    soon = calendar.add_business_days(NOW, 1)

    class Row:
        status, paused_since = "open", None
        reminded_at = escalated_at = reassigned_at = None

        def __init__(self, due_at: datetime) -> None:
            from models.enums import TaskStatus

            self.status, self.due_at = TaskStatus.OPEN, due_at

    instants = {due: task_instant(Row(due), calendar, policy) for due in [*later, soon]}
    every = max(1, round(1 / due_share)) if due_share else 0
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(Staff),
            [
                {"id": n + 1, "email": e, "name": e, "role": r, "active": True, "created_at": NOW}
                for n, (e, r) in enumerate(
                    zip(STAFF, ("reviewer", "supervisor", "admin"), strict=True)
                )
            ],
        )
        connection.execute(
            insert(ScheduleBasis),
            [{"id": 1, "fingerprint": basis_fingerprint(calendar, settings), "computed_at": NOW}],
        )
    applicants = 1000
    with engine.begin() as connection:
        connection.execute(
            insert(Person),
            [
                {
                    "id": i,
                    "email": f"educator{i}@school.example",
                    "first_name": "Educator",
                    "last_name": str(i),
                    "created_at": NOW,
                }
                for i in range(1, applicants + 1)
            ],
        )
    form = json.dumps(preapproval(email="EMAIL"))
    submitted = stamp(url, NOW - timedelta(days=1))
    case_cols = (
        "id, reference, kind, status, applicant_id, form, submission_key, channel, "
        "retroactive, hours_requested, submitted_at, updated_at"
    )
    task_cols = (
        "id, case_id, kind, status, assignee_id, created_at, due_at, paused_seconds, next_step_at"
    )
    for start in range(0, tasks, CHUNK):
        cases, rows = [], []
        for i in range(start + 1, min(start + CHUNK, tasks) + 1):
            applicant = i % applicants + 1
            due = soon if every and i % every == 0 else later[i % len(later)]
            cases.append(
                (i, f"PA-2026-{i:07d}", "preapproval", "in_review", applicant,
                 form.replace("EMAIL", f"educator{applicant}@school.example"), f"bench-{i}",
                 "email", False, 18, submitted, submitted)
            )  # fmt: skip
            rows.append(
                (
                    i,
                    i,
                    "review",
                    "open",
                    1,
                    submitted,
                    stamp(url, due),
                    0,
                    stamp(url, instants[due]),
                )  # type: ignore[arg-type]
            )
        with engine.begin() as connection:
            insert_rows(connection, "cases", case_cols, cases)
            insert_rows(connection, "review_tasks", task_cols, rows)
    if url.startswith("postgresql"):
        with engine.begin() as connection:  # committed: a rolled-back ANALYZE keeps no stats
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - began


def sweep_child() -> None:
    """In its own process (environment set by the parent): prints one JSON line."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import configure_mappers

    from flows import jobs
    from models.cases import ReviewTask
    from models.enums import TaskStatus
    from models.uow import UnitOfWork

    configure_mappers()  # once per process, at its first query: process start
    with UnitOfWork() as work:  # connect once, outside the timings
        work.session.execute(select(1))
    began = time.perf_counter()
    with UnitOfWork() as work:
        open_tasks = work.session.scalar(
            select(func.count()).select_from(ReviewTask).where(ReviewTask.status == TaskStatus.OPEN)
        )
    counted = time.perf_counter() - began
    import models.services.sweep  # noqa: F401  (its imports are process start, not sweep)

    began = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            report = jobs.sweep(NOW)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    else:
        report = jobs.sweep(NOW)
    swept = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"open": open_tasks, "count_s": counted, "sweep_s": swept, "fired": report.fired,
             "failed": len(report.failed), "peak_mb": peak}
        )
    )  # fmt: skip


def run_child(url: str, work: Path) -> dict[str, Any]:
    env = os.environ | {
        "PDU_DATABASE_URL": url,
        "PDU_DATA_DIR": str(work / "data"),
        "PDU_NOW": NOW.isoformat(),
        # A real secret: the reminders sign reply tokens (without one every due task failed).
        "PDU_SECRET_KEY": secrets.token_urlsafe(32),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    began = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=True
    )
    if os.environ.get("BENCH_PROFILE"):
        print(child.stderr)
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - began
    return result


def run(name: str, make_url: Any, tasks: int, work: Path, shares: list[float]) -> None:
    from models.migrate import upgrade

    for due_share in shares:
        url = make_url(f"{name}_{tasks}_{int(due_share * 100)}")
        upgrade(url)
        built = generate(url, tasks, due_share)
        load = os.getloadavg()
        r = run_child(url, work)
        print(
            f"{name} {tasks:>9,} open, {due_share:4.0%} due: sweep {r['sweep_s']:7.3f} s "
            f"(fired {r['fired'] or 'nothing'}, failed {r['failed']}); "
            f"count(*) of open {r['count_s']:6.3f} s; "
            f"sweep/count {r['sweep_s'] / r['count_s']:6.2f}x; "
            f"process {r['process_s']:5.1f} s; peak RSS {r['peak_mb']:.0f} MB; "
            f"built in {built:.0f} s; load {load[0]:.1f} {load[1]:.1f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", help="a server URL whose user may create databases")
    parser.add_argument("--due", default="0,1", help="percentages due, comma-separated")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    shares = [float(p) / 100 for p in args.due.split(",")]
    if args.child:
        sweep_child()
        return
    with bench_databases("pdu-bench-sweep-") as databases:
        for name in kinds(parser, args.databases):
            for tasks in (int(t) for t in args.tasks.split(",")):

                def make(db: str, name: str = name) -> str:
                    return databases.url(name, db)

                run(name, make, tasks, databases.work, shares)


if __name__ == "__main__":
    main()
