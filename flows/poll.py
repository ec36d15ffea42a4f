"""Prefect flow: read the mailbox once (at most one run at a time; see prefect.yaml)."""

from __future__ import annotations

from prefect import flow, get_run_logger

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs
from flows.run_names import stamped


@flow(name="mailbox-poll", flow_run_name=stamped("poll"), log_prints=False, persist_result=False)
def poll_mailbox() -> dict[str, int]:
    """Store, decide and file every message in the inbox, then flush the outbox."""
    report = jobs.poll()
    sent = jobs.send()
    get_run_logger().info(
        "polled %s message(s) %s; sent %s, retrying %s, failed %s",
        report.seen,
        report.outcomes,
        sent.sent,
        sent.retrying,
        sent.failed,
    )
    return {"seen": report.seen, **report.outcomes, "sent": sent.sent}
