"""An error that quotes an email address reaches neither a log nor Prefect's database with
the address in it (flows/privacy.py)."""

from __future__ import annotations

import io
import logging

import pytest

from flows.privacy import RedactAddresses, RedactedFailure, private_run, redact_log_handlers

ADDRESS = "jane.doe@school.example"
DETAIL = (
    'duplicate key value violates unique constraint "people_email_key"\n'
    f"DETAIL:  Key (email)=({ADDRESS}) already exists."
)


class UniqueViolation(Exception):
    """Stands in for psycopg's error of the same name (its text is the server's)."""


def test_a_logged_traceback_quoting_an_address_is_written_redacted() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactAddresses())
    logger = logging.getLogger("tests.privacy")
    logger.addHandler(handler)
    try:
        try:
            raise UniqueViolation(DETAIL)
        except UniqueViolation:
            logger.exception("could not add %s", ADDRESS)
    finally:
        logger.removeHandler(handler)
    written = out.getvalue()
    assert ADDRESS not in written
    assert "could not add j***@school.example" in written
    assert "Key (email)=(j***@school.example) already exists" in written
    assert "UniqueViolation" in written  # the traceback is still there


def test_a_failure_quoting_an_address_is_raised_again_redacted_with_the_original_chained() -> None:
    with pytest.raises(RedactedFailure) as raised, private_run():
        raise UniqueViolation(DETAIL)
    assert ADDRESS not in str(raised.value)
    assert str(raised.value).startswith("UniqueViolation: duplicate key value")
    assert isinstance(raised.value.__cause__, UniqueViolation)


def test_a_failure_without_an_address_keeps_its_own_type() -> None:
    with pytest.raises(ValueError, match="the form has 2 problem"), private_run():
        raise ValueError("the form has 2 problem(s): hours, dates")


def test_the_filter_is_added_to_each_handler_once() -> None:
    handler = logging.StreamHandler(io.StringIO())
    logger = logging.getLogger("tests.privacy.once")
    logger.addHandler(handler)
    try:
        redact_log_handlers()
        redact_log_handlers()
        assert sum(isinstance(f, RedactAddresses) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)


@pytest.mark.slow  # a Prefect test server: 15-25 s
def test_a_flow_failing_on_an_address_leaves_no_address_in_prefect() -> None:
    from prefect import flow, get_run_logger
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogHandler
    from prefect.testing.utilities import prefect_test_harness

    @flow(name="privacy-check", persist_result=False)
    def failing() -> None:
        with private_run():
            get_run_logger().info("adding %s", ADDRESS)
            logging.getLogger("prefect.flow_runs").warning("about %s", ADDRESS)
            raise UniqueViolation(DETAIL)

    with prefect_test_harness(server_startup_timeout=60):
        with pytest.raises(RedactedFailure):
            failing()
        APILogHandler().flush()  # logs travel to the server in the background
        with get_client(sync_client=True) as client:
            logs = client.request("POST", "/logs/filter", json={"limit": 200}).json()
            runs = client.request("POST", "/flow_runs/filter", json={"limit": 200}).json()
    messages = " ".join(log["message"] for log in logs)
    states = " ".join(str(run["state"]) for run in runs)
    assert "adding j***@school.example" in messages
    assert "Key (email)=(j***@school.example)" in messages  # Prefect's logged traceback
    assert "j***@school.example" in states  # the failed run's message, redacted
    assert ADDRESS not in messages and ADDRESS not in states


def test_every_flow_runs_its_body_in_private_run() -> None:
    import importlib
    import inspect
    from pathlib import Path

    from prefect import Flow

    flows_dir = Path(__file__).resolve().parents[2] / "flows"
    found = []
    for path in sorted(flows_dir.glob("*.py")):
        module = importlib.import_module(f"flows.{path.stem}")
        for value in vars(module).values():
            if isinstance(value, Flow) and value.fn.__module__ == module.__name__:
                found.append(value.name)
                assert "\n    with private_run():\n" in inspect.getsource(value.fn), value.name
    assert len(found) == 7, found
