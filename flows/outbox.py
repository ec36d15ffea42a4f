"""Prefect flow: deliver pending outbox messages over SMTP."""

from __future__ import annotations

from prefect import flow, get_run_logger

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs
from flows.privacy import private_run
from flows.run_names import stamped


@flow(name="outbox-send", flow_run_name=stamped("send"), persist_result=False)
def send_outbox() -> dict[str, int]:
    with private_run():
        report = jobs.send()
        get_run_logger().info(
            "sent %s, retrying %s, failed %s", report.sent, report.retrying, report.failed
        )
        return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
