"""What `pdu case show/list` report: one dict shape for the terminal and for JSON."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.cases import Case, ReviewTask
from models.certificates import Certificate
from models.enums import CaseStatus
from models.services.certificate_view import certificate_view
from models.services.errors import NotFound, UserError
from templates.hours import hours_number


def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


def get_case(session: Session, reference: str) -> Case:
    case = session.scalar(
        select(Case)
        .where(Case.reference == reference.strip().upper())
        .options(
            selectinload(Case.tasks).selectinload(ReviewTask.assignee),
            selectinload(Case.timeline),
            selectinload(Case.applicant),
        )
    )
    if case is None:
        raise NotFound(f"no case with reference {reference}")
    return case


def case_view(session: Session, case: Case, timezone: str) -> dict[str, Any]:
    tz = ZoneInfo(timezone)
    task = case.open_task or (case.tasks[-1] if case.tasks else None)
    certificates = session.scalars(
        select(Certificate)
        .where(Certificate.case_id == case.id)
        .order_by(Certificate.id)
        .options(selectinload(Certificate.person), selectinload(Certificate.replaced_by))
    )
    return {
        "reference": case.reference,
        "kind": case.kind.value if hasattr(case.kind, "value") else case.kind,
        "status": str(case.status),
        "applicant": case.applicant.email if case.applicant else None,
        "submitted_at": _iso(case.submitted_at, tz),
        "assignee": task.assignee.email if task else None,
        "due_at": _iso(task.due_at, tz) if task and case.open_task else None,
        "escalation_level": task.escalation_level if task else 0,
        "retroactive": case.retroactive,
        "hours_requested": _hours(case.hours_requested),
        "hours_granted": _hours(case.hours_granted),
        "closed_at": _iso(case.closed_at, tz),
        "retain_until": _iso(case.retain_until, tz),
        "legal_hold": case.legal_hold,
        "timeline": [
            {"at": _iso(e.at, tz), "action": e.action, "actor": e.actor, "detail": e.detail}
            for e in case.timeline
        ],
        # The same objects as `pdu certificate list --json`.
        "certificates": [certificate_view(c, tz) for c in certificates],
    }


def list_cases(session: Session, status: str | None = None) -> list[Case]:
    query = (
        select(Case)
        .order_by(Case.id)
        .options(selectinload(Case.tasks).selectinload(ReviewTask.assignee))
    )
    if status:
        try:
            query = query.where(Case.status == CaseStatus(status))
        except ValueError:
            choices = ", ".join(s.value for s in CaseStatus)
            raise UserError(f"unknown status {status!r}: choose one of {choices}") from None
    return list(session.scalars(query))


def _hours(value: Decimal | None) -> int | float | None:
    return None if value is None else hours_number(value)
