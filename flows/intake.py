"""Prefect flow: submit a form (staff keying in a paper form from the Prefect UI).

The same body as `pdu submit` and email intake (`models.services.intake.submit_form`).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

import flows  # noqa: F401  (the project root first: our `mailbox`)
from flows import jobs
from flows.privacy import private_run

FormKind = Literal["preapproval", "provider"]  # the forms a person may key in


@flow(name="intake", persist_result=False)
def intake(kind: FormKind, form: dict[str, Any]) -> dict[str, Any]:
    """The form arrives as a parameter (typed in the UI): once it is in our database, the
    run's copy in Prefect's database is replaced by the reference (no personal data there)."""
    with private_run():
        try:
            result = jobs.intake(kind, form, channel="prefect")
        except BaseException:
            _record_run(None, {"kind": kind, "form": {}})
            raise
        logger = get_run_logger()
        if not result.ok:
            _record_run("intake-refused", {"kind": kind, "form": {}})
            problems = "; ".join(p.message for p in result.problems)
            raise ValueError(f"the form has {len(result.problems)} problem(s): {problems}")
        _record_run(
            f"intake-{result.reference}", {"kind": kind, "form": {"case": result.reference}}
        )
        logger.info("%s %s", result.reference, "created" if result.created else "already existed")
        return {"reference": result.reference, "status": result.status, "created": result.created}


def _record_run(name: str | None, parameters: dict[str, Any]) -> None:
    """Name the run after the case it created (known only after intake) and replace its
    parameters, which held the form (Prefect keeps them as long as the run)."""
    from prefect.client.orchestration import get_client

    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run_id=UUID(run_id), name=name, parameters=parameters)
