"""prefect.yaml's deployments: they load, point at real flows, and `pdu serve` runs them.

The last test is the real thing: `pdu serve --dev-mail` starts its own Prefect server and
the development mail server, registers every deployment, and a run of the poller reads
a message that was sent over SMTP.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import urllib.request
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from flows.serve import build_deployments, load_definitions, load_flow
from models.messages import InboundMessage
from models.uow import UnitOfWork
from tests.prefect_api import api, wait_for

ROOT = Path(__file__).resolve().parents[2]
PDU = str(Path(sys.executable).parent / "pdu")


@pytest.fixture(scope="module")
def definitions() -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in load_definitions()}


@pytest.fixture(scope="module")
def deployments() -> dict[str, Any]:
    return {d.name: d for d in build_deployments()}


ALL = {
    "mailbox-poll",
    "outbox-send",
    "deadlines-sweep",
    "intake",
    "certificate-batch",
    "retention-purge",
    "sla-summary",
}


def test_every_deployment_points_at_a_flow_function_in_its_entrypoint_file(definitions):
    from prefect import Flow

    assert set(definitions) == ALL
    for name, d in definitions.items():
        path, _, function = d["entrypoint"].partition(":")
        flow = load_flow(d["entrypoint"])
        assert isinstance(flow, Flow), name
        assert flow.fn.__name__ == function, name
        assert Path(flow.fn.__code__.co_filename).resolve() == ROOT / path, name
        assert "pdu" in d["tags"], name


def test_every_flow_under_flows_is_deployed_once(definitions):
    from prefect import Flow

    found = set()
    for path in sorted((ROOT / "flows").glob("*.py")):
        module = importlib.import_module(f"flows.{path.stem}")
        for name, value in vars(module).items():
            if isinstance(value, Flow) and value.fn.__module__ == module.__name__:
                found.add(f"flows/{path.name}:{name}")
    entrypoints = [d["entrypoint"] for d in definitions.values()]
    assert len(found) == len(ALL)
    assert sorted(entrypoints) == sorted(found)


def test_entrypoints_load_the_way_a_prefect_worker_loads_them():
    # A worker loads `flows/poll.py` as a script with flows/ first on sys.path: every
    # entrypoint must still find the project's own `mailbox`.
    code = (
        "import json, sys, yaml\n"
        "from prefect.flows import load_flow_from_entrypoint\n"
        "found = {}\n"
        "for d in yaml.safe_load(open('prefect.yaml'))['deployments']:\n"
        "    found[d['name']] = load_flow_from_entrypoint(d['entrypoint']).name\n"
        "import mailbox\n"
        "print(json.dumps({'flows': found, 'mailbox': mailbox.__file__}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["mailbox"] == str(ROOT / "mailbox" / "__init__.py")
    assert answer["flows"]["mailbox-poll"] == "mailbox-poll"
    assert answer["flows"]["deadlines-sweep"] == "deadlines-sweep"
    assert set(answer["flows"]) == {d["name"] for d in load_definitions()}


def test_schedules_are_the_declared_ones(definitions, deployments):
    for name, d in definitions.items():
        built = [s.schedule for s in deployments[name].schedules]
        declared = d.get("schedules") or []
        assert len(built) == len(declared), name
        for schedule, config in zip(built, declared, strict=True):
            if "interval" in config:
                assert schedule.interval == timedelta(seconds=config["interval"]), name
            else:
                assert schedule.cron == config["cron"], name
                assert schedule.timezone == config.get("timezone"), name


def test_concurrency_limits_are_the_declared_ones(definitions, deployments):
    for name, d in definitions.items():
        declared = d.get("concurrency_limit")
        built = deployments[name]
        if declared is None:
            assert built.concurrency_limit is None, name
        else:
            assert built.concurrency_limit == declared["limit"], name
            strategy = built.concurrency_options.collision_strategy
            assert strategy == declared["collision_strategy"], name


def test_the_mail_flows_run_every_minute_one_at_a_time_and_a_collision_is_dropped(deployments):
    for name in ("mailbox-poll", "outbox-send"):
        [schedule] = [s.schedule for s in deployments[name].schedules]
        assert schedule.interval == timedelta(minutes=1)
        assert deployments[name].concurrency_limit == 1
        assert deployments[name].concurrency_options.collision_strategy == "CANCEL_NEW"


def test_the_sweep_runs_every_quarter_hour_of_montana_business_hours(deployments):
    [schedule] = [s.schedule for s in deployments["deadlines-sweep"].schedules]
    assert (schedule.cron, schedule.timezone) == ("*/15 7-18 * * 1-5", "America/Denver")


def test_one_sweep_runs_at_a_time_and_a_collision_is_dropped(deployments):
    sweep = deployments["deadlines-sweep"]
    assert sweep.concurrency_limit == 1
    assert sweep.concurrency_options.collision_strategy == "CANCEL_NEW"


def test_intake_has_no_schedule_and_takes_the_form_as_parameters(deployments):
    intake = deployments["intake"]
    assert intake.schedules == []
    schema = intake._parameter_openapi_schema
    assert sorted(schema.required) == ["form", "kind"]
    assert schema.properties["kind"]["enum"] == ["preapproval", "provider"]


def test_a_certificate_batch_runs_on_demand_from_an_event_id_and_none_is_dropped(deployments):
    batch = deployments["certificate-batch"]
    assert batch.schedules == []
    schema = batch._parameter_openapi_schema
    assert schema.required == ["event_id"]
    assert schema.properties["event_id"]["type"] == "integer"  # an id: no personal data
    assert batch.concurrency_options.collision_strategy == "ENQUEUE"


def test_the_sla_summary_is_published_once_a_business_day_after_the_office_closes(deployments):
    [schedule] = [s.schedule for s in deployments["sla-summary"].schedules]
    assert (schedule.cron, schedule.timezone) == ("30 17 * * 1-5", "America/Denver")


def test_the_purge_runs_nightly_in_montana_as_a_dry_run_until_approved(deployments):
    purge = deployments["retention-purge"]
    [schedule] = [s.schedule for s in purge.schedules]
    assert (schedule.cron, schedule.timezone) == ("30 3 * * *", "America/Denver")
    assert purge.parameters == {"execute": False, "approval": None}
    assert purge.concurrency_limit == 1
    assert set(purge._parameter_openapi_schema.properties) == {
        "execute",
        "approval",
        "cutoff",
        "batch_size",
    }


def test_served_entrypoints_are_absolute_so_any_working_directory_runs_them(deployments):
    for d in deployments.values():
        path = d.entrypoint.partition(":")[0]
        assert Path(path).is_absolute() and Path(path).exists(), d.entrypoint


# --- `pdu serve --dev-mail`, for real -----------------------------------------------------


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@pytest.fixture
def usual_port_taken() -> Any:
    """Prefect's usual port 4200 in use (by us, unless something else has it already)."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past any TIME_WAIT
        with contextlib.suppress(OSError):
            holder.bind(("127.0.0.1", 4200))
            holder.listen()
        yield


@pytest.mark.slow
def test_pdu_serve_with_dev_mail_registers_every_deployment_and_runs_the_poller(
    isolated_environment, tmp_path, usual_port_taken
):
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)  # so `pdu serve` starts its own server
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"  # pick up the run we create at once
    subprocess.run([PDU, "db", "upgrade"], env=env, check=True, capture_output=True)
    log = (tmp_path / "serve.log").open("w+")
    out = (tmp_path / "serve.out").open("w+")
    serve = subprocess.Popen(
        [PDU, "serve", "--dev-mail", "--json"],
        cwd=tmp_path,  # not the project root: entrypoints must not depend on it
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out,  # with --json: one JSON line once everything is up
        stderr=log,  # log lines: JSON objects too
        text=True,
    )
    try:

        def output() -> str:
            return (tmp_path / "serve.out").read_text()

        wait_for(lambda: output().endswith("\n") or serve.poll() is not None, 180, "serve")
        assert serve.poll() is None, (tmp_path / "serve.log").read_text()
        started = json.loads(output())
        assert started["event"] == "started"
        assert started["deployments"] == [d["name"] for d in load_definitions()]
        ui, web = started["prefect_ui"], started["web"]
        imap_port = int(started["dev_mail"]["imap"].rpartition(":")[2])
        smtp_port = int(started["dev_mail"]["smtp"].rpartition(":")[2])
        base = f"{ui}/api"
        with urllib.request.urlopen(f"{web}/providers", timeout=10) as page:  # the web front
            assert page.status == 200
        with urllib.request.urlopen(f"{ui}/ui-settings", timeout=10) as answer:
            # on another port than 4200, the UI still shows this server
            assert json.loads(answer.read())["api_url"] == base

        registered = wait_for(
            lambda: (
                {d["name"]: d for d in api(base, "/deployments/filter")}
                if len(api(base, "/deployments/filter")) == len(load_definitions())
                else None
            ),
            60,
            "the deployments",
        )
        for name in ("mailbox-poll", "outbox-send"):
            assert registered[name]["global_concurrency_limit"]["limit"] == 1
            assert registered[name]["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"
            assert registered[name]["schedules"][0]["schedule"]["interval"] == 60.0
        sweep = registered["deadlines-sweep"]["schedules"][0]["schedule"]
        assert (sweep["cron"], sweep["timezone"]) == ("*/15 7-18 * * 1-5", "America/Denver")
        assert registered["intake"]["schedules"] == []
        assert registered["certificate-batch"]["schedules"] == []
        purge = registered["retention-purge"]
        nightly = purge["schedules"][0]["schedule"]
        assert (nightly["cron"], nightly["timezone"]) == ("30 3 * * *", "America/Denver")
        assert purge["parameters"] == {"execute": False, "approval": None}

        message = EmailMessage()
        message["From"], message["To"] = "stranger@elsewhere.example", "pdu@opi.example"
        message["Subject"], message["Message-ID"] = "Hello", "<hello-1@elsewhere.example>"
        message.set_content("Is this the PDU office?")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
        poll_id = registered["mailbox-poll"]["id"]
        api(base, f"/deployments/{poll_id}/create_flow_run", {})

        def completed() -> list[Any]:
            runs = api(
                base,
                "/flow_runs/filter",
                {
                    "deployments": {"id": {"any_": [poll_id]}},
                    "flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED"]}}},
                },
            )
            return runs

        [run, *_] = wait_for(completed, 120, "a finished mailbox-poll run")
        for line in (tmp_path / "serve.log").read_text().splitlines():  # Prefect's lines too
            assert isinstance(json.loads(line), dict), line
        assert run["state_type"] == "COMPLETED", run["state"]
        assert run["name"].startswith("poll-")
        with UnitOfWork() as work:
            stored = work.session.scalars(select(InboundMessage.message_id)).all()
        assert stored == ["<hello-1@elsewhere.example>"]
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(60)
        finally:
            if serve.poll() is None:
                serve.kill()
            log.close()
            out.close()
    assert not port_open(imap_port), "the development mail server outlived `pdu serve`"
    assert not port_open(int(ui.rpartition(":")[2])), "the Prefect server outlived `pdu serve`"


def test_pdu_deploy_without_a_prefect_server_says_so_in_one_line():
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run([PDU, "deploy"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "pdu: set PREFECT_API_URL to the Prefect server's API (…/api) first"
    ]
