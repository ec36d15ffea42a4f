"""Prefect flow: the retention purge. A dry run unless the deployment sets `execute` and the
standing approval reference (e.g. the Records Committee's retention schedule number).

Parameters, logs, artifacts and the result carry counts and case references only: Prefect's
database keeps no personal data (docs/retention.md says how to trim its run history).
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs
from flows.privacy import private_run
from flows.run_names import stamped
from models import clock
from models.enums import Channel
from models.retention import Candidate, candidate_row, summary_rows
from models.services import purge
from models.uow import UnitOfWork

ARTIFACT_KEY = "retention-purge"
HELD_ARTIFACT_KEY = "retention-purge-held"
REFERENCES_ARTIFACT_KEY = "retention-purge-references"
MAX_LISTED = 10_000  # references in the artifact; `pdu purge --csv FILE` lists them all


@flow(name="retention-purge", flow_run_name=stamped("purge"), persist_result=False)
def retention_purge(
    execute: bool = False,
    approval: str | None = None,
    cutoff: datetime | None = None,
    batch_size: int = purge.BATCH_SIZE,
) -> dict[str, int]:
    """List (or, with `execute` and `approval`, purge) the records past their retention date."""
    with private_run():
        listed: list[dict[str, str]] = []
        seen = 0

        def listen(candidate: Candidate) -> None:
            nonlocal seen
            seen += 1
            if len(listed) < MAX_LISTED:
                listed.append(candidate_row(candidate, execute, reason=False))

        if execute:
            report = purge.execute(
                UnitOfWork,
                now=clock.now(),
                approval=approval or "",
                open_mailbox=jobs.open_mailbox,
                cutoff=cutoff,
                channel=Channel.PREFECT,
                batch_size=batch_size,
                listener=listen,
            )
        else:
            report = purge.rehearse(
                UnitOfWork, now=clock.now(), cutoff=cutoff, channel=Channel.PREFECT, listener=listen
            )
        what = f"purged with approval {report.approval}" if report.executed else "dry run"
        create_table_artifact(
            table=summary_rows(report.summary),
            key=ARTIFACT_KEY,
            description=f"Purge run {report.run_id} ({what}), cutoff {report.cutoff.isoformat()}: "
            "records past their retention date per kind and closing year.",
        )
        if listed:
            more = f"; the first {len(listed):,} of {seen:,} (pdu purge --csv lists all)"
            create_table_artifact(
                table=listed,
                key=REFERENCES_ARTIFACT_KEY,
                description=f"Purge run {report.run_id} ({what}): the cases"
                + (more if seen > len(listed) else "")
                + ". References and dates only.",
            )
        if report.held:
            create_table_artifact(
                table=[{"reference": reference} for reference in report.held],
                key=HELD_ARTIFACT_KEY,
                description=f"Purge run {report.run_id} ({what}): kept by a legal hold.",
            )
        get_run_logger().info("purge run %s (%s): %s", report.run_id, what, report.counts)
        return report.counts
