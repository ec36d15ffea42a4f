"""Prefect flow: submit a form (staff keying in a paper form from the Prefect UI).

The same body as `pdu submit` and email intake (`flows.jobs.intake`).
"""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs


@flow(name="intake", persist_result=False)
def intake(kind: Literal["preapproval", "provider"], form: dict[str, Any]) -> dict[str, Any]:
    result = jobs.intake(kind, form, channel="prefect")
    logger = get_run_logger()
    if not result.ok:
        problems = "; ".join(p.message for p in result.problems)
        raise ValueError(f"the form has {len(result.problems)} problem(s): {problems}")
    _rename(f"intake-{result.reference}")
    logger.info("%s %s", result.reference, "created" if result.created else "already existed")
    return {"reference": result.reference, "status": result.status, "created": result.created}


def _rename(name: str) -> None:
    """Name the run after the case it created (known only after intake)."""
    from prefect.client.orchestration import get_client

    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run_id=run_id, name=name)
