"""Prefect flow: the deadline sweep (reminders, escalations, reassignments, expiry)."""

from __future__ import annotations

from prefect import flow, get_run_logger

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs
from flows.run_names import stamped


@flow(name="deadlines-sweep", flow_run_name=stamped("sweep"), persist_result=False)
def sweep_deadlines() -> dict[str, int]:
    report = jobs.sweep()
    sent = jobs.send()
    get_run_logger().info("fired %s; sent %s", report.fired or "nothing", sent.sent)
    return report.fired
