"""Prefect flow: the daily SLA summary, after the office closes on business days.

The seven-business-day promise moves slowly, so it is published once a day (not after
every sweep, whose 40-odd runs a day would bury the trend): the artifact's versions are
then one per business day, an admin's day-by-day record. The sweep keeps the queue table.
"""

from __future__ import annotations

import base64
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows.privacy import private_run
from flows.run_names import stamped
from models import clock
from models.services.context import ServiceContext
from models.services.status import DEFAULT_WINDOW_DAYS, office_status, sla_picture, sla_table
from models.uow import UnitOfWork

ARTIFACT_KEY = "sla-summary"


@flow(name="sla-summary", flow_run_name=stamped("sla"), persist_result=False)
def sla_summary(days: int = DEFAULT_WINDOW_DAYS) -> dict[str, float | int | None]:
    """Decisions of the last day and of the last `days` days against the promise."""
    with private_run():
        with UnitOfWork() as work:
            ctx = ServiceContext.of(work, clock.now())
            day, window = office_status(ctx, 1), office_status(ctx, days)
            picture = sla_picture(ctx)
        when = window.at.astimezone(ZoneInfo(window.timezone)).strftime("%a %Y-%m-%d %H:%M %Z")
        total = window.total
        create_table_artifact(
            table=sla_table(day, "last 24 hours") + sla_table(window, f"last {days} days"),
            key=ARTIFACT_KEY,
            description=f"SLA at {when}: share of decisions made within "
            f"{window.promise_business_days} business days, and the median business days to "
            "decision (time waiting on the applicant does not count). Queue now: "
            f"{total.open} open, {total.overdue} overdue, {total.due_soon} due within "
            f"{window.due_soon_business_days} business days.",
        )
        encoded = base64.b64encode(picture.encode()).decode()
        create_markdown_artifact(
            markdown=f"![SLA, the last 60 business days](data:image/svg+xml;base64,{encoded})",
            key=f"{ARTIFACT_KEY}-chart",
            description="On-time share, decisions and queue, one column a business day",
        )
        overall = window.sla_all
        get_run_logger().info(
            "last %s days: %s decided, %s on time; median %s business days",
            days,
            overall.decided,
            overall.on_time,
            overall.median_business_days,
        )
        return {
            "decided": overall.decided,
            "on_time": overall.on_time,
            "share_on_time": overall.share_on_time,
            "median_business_days": overall.median_business_days,
        }
