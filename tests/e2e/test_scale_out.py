"""Scale-out, for real: docs/scale-out.md's path on loopback.

The application on PostgreSQL; a Prefect server on PostgreSQL; the `pdu-process` work pool
with prefect.yaml's deployments (`pdu deploy`); two process workers. Poll and
sweep runs go at once over the same mailbox and the same overdue tasks, and a poller that
Prefect does not know of (`pdu mail poll`, as from another machine) joins in: every
message is processed once, every reminder is sent once, every email goes out once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from flows import jobs
from flows.serve import LocalPrefectServer
from models.cases import Case, TimelineEntry
from models.enums import CaseStatus, OutboxStatus
from models.messages import InboundMessage, OutboxMessage
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval
from tests.prefect_api import api, wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REMINDED = 20  # requests of Fri 20 Nov: their reminders fall due on Mon 30 Nov, 17:00
WITHDRAWN = 6  # requests of Mon 30 Nov, withdrawn by email the same day
STRANGERS = 8  # messages from nobody the office knows
POLL_RUNS, SWEEP_RUNS, OUTSIDE_POLLERS = 3, 4, 2
FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


@contextlib.contextmanager
def started(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process in its own group, stopped (SIGTERM, then SIGKILL) on the way out."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def prefect(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [str(BIN / "prefect"), *argv],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"prefect {' '.join(argv)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def seed_the_office(office: Any) -> None:
    domain = office.domain
    office.at("2026-11-20T16:00:00Z")  # Fri 09:00 in Montana
    for n in range(REMINDED):
        assert jobs.intake("preapproval", preapproval(f"late{n}@school.{domain}")).ok
    office.at("2026-11-30T16:00:00Z")  # Mon 09:00
    leaving = [f"leaving{n}@school.{domain}" for n in range(WITHDRAWN)]
    for address in leaving:
        assert jobs.intake("preapproval", preapproval(address)).ok
    jobs.send()
    for address in leaving:
        office.reply(office.last(address, "PA-"), address, "WITHDRAW\n\nI cannot attend.")
    for n in range(STRANGERS):
        office.reply(
            office.last(leaving[0], "PA-"), f"stranger{n}@elsewhere.example", "Is this PDU?"
        )
    office.at("2026-12-01T00:05:00Z")  # Mon 30 Nov, 17:05: the first requests' reminders are due


def run_at_once(base: str, deployments: dict[str, str], env: dict[str, str], logs: Path) -> list:
    """Poll and sweep runs, all created at once, plus pollers outside Prefect."""
    names = ["mailbox-poll", "deadlines-sweep"] * POLL_RUNS + ["deadlines-sweep"] * (
        SWEEP_RUNS - POLL_RUNS
    )
    create = "/deployments/{}/create_flow_run"
    runs = [api(base, create.format(deployments[name]), {})["id"] for name in names]

    def polling() -> bool:
        found = api(base, "/flow_runs/filter", {"flow_runs": {"id": {"any_": runs}}})
        return any(r["state_type"] == "RUNNING" and r["name"].startswith("poll-") for r in found)

    # The outside pollers start as a poll flow run does: all three go for the same inbox.
    wait_for(polling, 180, "a poll flow run to start")
    outside = []
    for n in range(OUTSIDE_POLLERS):
        with (logs / f"outside-{n}.log").open("w") as log:
            outside.append(
                subprocess.Popen(
                    [str(BIN / "pdu"), "mail", "poll"],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    for n, process in enumerate(outside):
        assert process.wait(180) == 0, (logs / f"outside-{n}.log").read_text()

    def finished() -> list[dict[str, Any]] | None:
        found = api(base, "/flow_runs/filter", {"flow_runs": {"id": {"any_": runs}}})
        return found if all(r["state_type"] in FINISHED for r in found) else None

    return wait_for(finished, 420, "every poll and sweep run to finish")


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_on_a_postgresql_prefect_server_process_each_message_and_reminder_once(
    office, postgres_server, tmp_path, monkeypatch
):
    seed_the_office(office)
    prefect_db = f"prefect_{os.getpid()}"
    postgres_server.create_database(prefect_db)
    monkeypatch.setenv(
        "PREFECT_API_DATABASE_CONNECTION_URL",
        postgres_server.url(prefect_db).replace("+psycopg", "+asyncpg"),
    )
    # No scheduled runs: the test creates every run it counts.
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED", "false")
    server = LocalPrefectServer(home=tmp_path / "server", log=tmp_path / "server.log")
    try:
        base = server.start(timeout=240)
        env = dict(os.environ)
        env.pop("PREFECT_API_DATABASE_CONNECTION_URL")  # workers need only the API
        env |= {
            "PREFECT_API_URL": base,
            "PREFECT_HOME": str(tmp_path / "client"),
            "PDU_HOME": str(ROOT),  # prefect.yaml's pull step: where the code is
            "PREFECT_WORKER_QUERY_SECONDS": "1",
        }
        prefect(env, "work-pool", "create", "pdu-process", "--type", "process")
        deployed = subprocess.run(
            [str(BIN / "pdu"), "deploy"], env=env, capture_output=True, text=True, timeout=300
        )
        assert deployed.returncode == 0, f"{deployed.stdout}\n{deployed.stderr}"
        deployments = {d["name"]: d["id"] for d in api(base, "/deployments/filter")}
        assert deployments.keys() >= {"mailbox-poll", "deadlines-sweep", "sla-summary"}
        with contextlib.ExitStack() as workers:
            for n in (1, 2):
                argv = [str(BIN / "prefect"), "worker", "start", "--pool", "pdu-process"]
                # At most three runs each: neither worker can take all five that run.
                argv += ["--name", f"worker-{n}", "--limit", "3"]
                workers.enter_context(started(argv, env, tmp_path / f"worker-{n}.log"))
            runs = run_at_once(base, deployments, env, tmp_path)
    finally:
        server.stop()
        postgres_server.drop_database(prefect_db)

    # Prefect: poll and sweep runs beyond each deployment's limit of one were dropped (a sweep
    # that would overlap the running one is cancelled: issue 20); at least one of each ran.
    kind = {deployments["mailbox-poll"]: "poll", deployments["deadlines-sweep"]: "sweep"}
    states = Counter((kind[r["deployment_id"]], r["state_type"]) for r in runs)
    assert states["sweep", "COMPLETED"] >= 1, runs
    assert states["sweep", "COMPLETED"] + states["sweep", "CANCELLED"] == SWEEP_RUNS, runs
    assert states["poll", "COMPLETED"] >= 1, runs
    assert states["poll", "COMPLETED"] + states["poll", "CANCELLED"] == POLL_RUNS, runs

    # Both workers served the pool; with each deployment limited to one run at a time, the
    # runs that completed may all have gone to one of them, so count them together.
    logs = [(tmp_path / f"worker-{n}.log").read_text() for n in (1, 2)]
    for n, log in enumerate(logs, 1):
        assert f"Worker 'worker-{n}' started" in log, log
    completed = states["sweep", "COMPLETED"] + states["poll", "COMPLETED"]
    submitted = sum(log.count("submitted to infrastructure") for log in logs)
    assert submitted >= completed, logs

    # Every message processed once, whichever poller took it.
    inbound = office.server.messages(office.system, "INBOX")
    processed = office.server.messages(office.system, "Processed")
    quarantined = office.server.messages(office.system, "Quarantine")
    assert inbound == []
    assert len(processed) + len(quarantined) == WITHDRAWN + STRANGERS
    with UnitOfWork() as work:
        stored = work.session.execute(select(InboundMessage.message_id, InboundMessage.filed_to))
        filed = Counter(folder for _, folder in stored.all())
        distinct = work.session.scalar(select(func.count(InboundMessage.message_id.distinct())))
        statuses = Counter(work.session.scalars(select(Case.status)))
        actions = Counter(work.session.scalars(select(TimelineEntry.action)))
        outbox = work.session.execute(select(OutboxMessage.message_id, OutboxMessage.status))
        outbox = outbox.all()
        reminders = work.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.template == "reminder")
        )
    assert distinct == filed.total() == WITHDRAWN + STRANGERS
    assert filed.keys() <= {"Processed", "Quarantine"}
    assert statuses[CaseStatus.WITHDRAWN] == WITHDRAWN
    assert actions["withdraw"] == WITHDRAWN

    # Every reminder fired once, and every email (reminders included) went out once.
    assert reminders == REMINDED
    assert actions["reminder_sent"] == REMINDED
    assert {status for _, status in outbox} == {OutboxStatus.SENT}
    sent = Counter(office.server.received)
    assert [message_id for message_id, _ in outbox if sent[message_id] != 1] == []
