"""Prefect flow: read the mailbox once (at most one run at a time; see prefect.yaml)."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs
from flows.privacy import private_run
from flows.run_names import stamped

ARTIFACT_KEY = "mailbox-poll"


class MessagesFailed(RuntimeError):
    """Some messages hit an internal error: they are quarantined, the others were done."""


@flow(name="mailbox-poll", flow_run_name=stamped("poll"), log_prints=False, persist_result=False)
def poll_mailbox() -> dict[str, int]:
    """Store, decide and file every message in the inbox, then flush the outbox."""
    with private_run():
        report = jobs.poll()
        sent = jobs.send()
        logger = get_run_logger()
        if report.skipped_locked:
            logger.info("another poller holds the mailbox lease: nothing done")
        logger.info(
            "polled %s message(s) %s; sent %s, retrying %s, failed %s",
            report.seen,
            report.outcomes,
            sent.sent,
            sent.retrying,
            sent.failed,
        )
        if report.seen or sent.failed:
            # Only runs that did something leave a table: a quiet minute is not news.
            rows = [{"outcome": k, "messages": v} for k, v in sorted(report.outcomes.items())]
            rows.append({"outcome": "emails sent", "messages": sent.sent})
            if sent.failed:
                rows.append({"outcome": "emails failed for good", "messages": sent.failed})
            create_table_artifact(
                table=rows,
                key=ARTIFACT_KEY,
                description=f"What became of the {report.seen} message(s) read, and of the outbox.",
            )
        errors = report.outcomes.get("error", 0)
        if errors:
            # The run fails so an admin sees it; the other messages were processed all the same.
            raise MessagesFailed(
                f"{errors} of {report.seen} message(s) hit an internal error and were moved to the "
                "quarantine folder; the other messages were processed"
            )
        return {"seen": report.seen, **report.outcomes, "sent": sent.sent}
