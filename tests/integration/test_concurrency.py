"""The poller, the sweep and a form writer at once, as separate processes on one database:
on SQLite (WAL, a busy timeout, BEGIN IMMEDIATE: models/db.py) no "database is locked"
reaches anyone, and every submission is there once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from models.cases import Case
from models.services.references import next_reference
from models.services.staff import add_staff
from models.uow import UnitOfWork

COUNT = 40  # per process
NOW = datetime(2026, 11, 20, 16, tzinfo=UTC)


def test_the_poller_the_sweep_and_a_writer_at_once_never_see_a_locked_database(
    uow, tmp_path, monkeypatch
):
    monkeypatch.setenv("PDU_NOW", "2026-11-20T16:00:00Z")
    with UnitOfWork() as work:
        now = datetime(2026, 11, 20, 16, tzinfo=UTC)
        add_staff(work.session, "rita@opi.example", "Rita Reviewer", "reviewer", now)
        add_staff(work.session, "sam@opi.example", "Sam Supervisor", "supervisor", now)
        work.commit()
    go = tmp_path / "go"
    workers = {
        role: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.concurrent_worker",
                role,
                str(go),
                str(COUNT),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("poller", "sweep", "writer")
    }
    go.touch()
    results = {role: (p.wait(300), p.communicate()) for role, p in workers.items()}

    for role, (status, (_out, err)) in results.items():
        assert status == 0, f"{role}:\n{err[-3000:]}"
        assert "database is locked" not in err
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(Case)) == 2 * COUNT


def test_the_years_first_two_references_taken_at_once_are_both_given_and_distinct(uow):
    """PostgreSQL locks rows, not their absence: two transactions both finding no counter
    for the year must not both create it (the loser's submission would fail)."""
    barrier = threading.Barrier(2)
    taken: list[str] = []
    failed: list[BaseException] = []

    def take() -> None:
        try:
            with UnitOfWork() as work:
                barrier.wait()
                reference = next_reference(work.session, "PA", NOW, "America/Denver")
                time.sleep(0.3)  # both transactions open at once
                work.commit()
                taken.append(reference)
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failed == []
    assert sorted(taken) == ["PA-2026-00001", "PA-2026-00002"]
