"""Prefect flow: the deadline sweep (reminders, escalations, reassignments, expiry).

After each sweep it leaves the review queue as a table artifact (the same figures as
`pdu status`) under a fixed key, so the latest is one click away and earlier versions form
its history. The SLA is published once a day (flows/sla_summary.py).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs
from flows.privacy import private_run
from flows.run_names import stamped
from models import clock
from models.services.context import ServiceContext
from models.services.status import OfficeStatus, office_status, queue_table
from models.uow import UnitOfWork

QUEUE_KEY = "review-queue"


@flow(name="deadlines-sweep", flow_run_name=stamped("sweep"), persist_result=False)
def sweep_deadlines() -> dict[str, int]:
    with private_run():
        report = jobs.sweep()
        sent = jobs.send()
        get_run_logger().info("fired %s; sent %s", report.fired or "nothing", sent.sent)
        publish_queue()
        return report.fired


def publish_queue() -> OfficeStatus:
    """The queue table, as an artifact of the current flow run."""
    with UnitOfWork() as work:
        status = office_status(ServiceContext.of(work, clock.now()))
    when = status.at.astimezone(ZoneInfo(status.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    total = status.total
    create_table_artifact(
        table=queue_table(status),
        key=QUEUE_KEY,
        description=f"Review queue at {when}: {total.open} open, {total.overdue} overdue, "
        f"{total.due_soon} due within {status.due_soon_business_days} business days, "
        f"{total.waiting} waiting on the applicant.",
    )
    return status
