"""Prefect flow: issue the certificates of an event's roster (the pending attendees).

It takes the event id only: names and addresses stay in the application database, never
in Prefect's (parameters, logs, artifacts and the result carry counts and numbers).
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows.privacy import private_run
from flows.run_names import stamped
from models.services.provider_events import issue_pending
from models.uow import UnitOfWork

ARTIFACT_KEY = "certificate-batch"


@flow(name="certificate-batch", flow_run_name=stamped("certificates"), persist_result=False)
def issue_event_certificates(event_id: int, workers: int | None = None) -> dict[str, int]:
    """Render, store and email the certificates of every pending attendee of the event."""
    with private_run():
        log = get_run_logger()

        def progress(done: int, total: int) -> None:
            log.info("event %s: %s of %s certificates", event_id, done, total)

        report = issue_pending(UnitOfWork, event_id, workers=workers, on_progress=progress)
        counts = {"issued": report.issued, "failed": len(report.failed), "pending": report.pending}
        create_table_artifact(
            table=[{"event_id": event_id, **counts}],
            key=ARTIFACT_KEY,
            description=f"Certificates of event {event_id}: issued and emailed (outbox), failed "
            "their never-blank check (staff told), left pending for another run.",
        )
        log.info("event %s: %s", event_id, counts)
        return counts
