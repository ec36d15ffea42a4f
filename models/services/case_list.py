"""`pdu case list`: cases filtered in SQL, a page at a time, without their forms.

Each row is the case's reference, kind, status and submission, and its open task's
assignee and due date: one query with the open task and its assignee joined, so a listing
reads columns, never a form or a timeline, and streams however many cases there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from models.cases import Case, ReviewTask
from models.enums import CaseKind, CaseStatus, TaskStatus
from models.people import Person, Staff
from models.services.errors import NotFound, UserError
from models.services.paging import Page, in_order


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    kind: str | None = None
    search: str | None = None  # reference, applicant name or address, activity, organisation
    assignee: str | None = None  # the open task's assignee's address
    overdue: bool = False  # the open task is past due and not waiting on the applicant
    due_before: date | None = None  # the open task is due before this local date begins
    waiting: bool = False  # the open task waits on the applicant


def _enum(enum: Any, value: str, option: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise UserError(f"unknown {option} {value!r}: choose one of {choices}") from None


def _text(column: Any) -> Any:
    return func.lower(func.coalesce(cast(column, String), ""))


def _matches(needle: str, dialect: str) -> Any:
    """The text anywhere in the reference, the applicant's name or address, the activity's
    title or the organisation's name (case-insensitive).

    The form is JSON: pulling fields out of it costs a parse per row, so an ASCII needle
    first has to appear in the form's raw text (a plain scan) before its fields are read.
    (JSON may spell other characters as escapes: then the fields are read for every row.)
    """
    pattern = f"%{needle.lower()}%"
    in_form = or_(
        _text(Case.form["activity"]["title"].as_string()).like(pattern),
        _text(Case.form["organization"]["name"].as_string()).like(pattern),
    )
    if needle.isascii():
        raw = cast(Case.form, Text)
        # SQLite's LIKE ignores ASCII case by itself: no lower() of every form
        coarse = raw.like(pattern) if dialect == "sqlite" else raw.ilike(pattern)
        in_form = and_(coarse, in_form)
    return or_(
        func.lower(Case.reference).like(pattern),
        func.lower(Person.email).like(pattern),
        func.lower(Person.first_name + " " + Person.last_name).like(pattern),
        in_form,
    )


def case_rows(
    session: Session, wanted: CaseFilter, page: Page, now: datetime, timezone: str
) -> Iterator[dict[str, Any]]:
    tz = ZoneInfo(timezone)
    task = and_(ReviewTask.case_id == Case.id, ReviewTask.status == TaskStatus.OPEN)
    query = (
        select(
            Case.id,
            Case.reference,
            Case.kind,
            Case.status,
            Case.submitted_at,
            Staff.email.label("assignee"),
            ReviewTask.due_at,
            ReviewTask.paused_since,
        )
        .outerjoin(ReviewTask, task)
        .outerjoin(Staff, Staff.id == ReviewTask.assignee_id)
    )
    if wanted.status:
        query = query.where(Case.status == _enum(CaseStatus, wanted.status, "status"))
    if wanted.kind:
        query = query.where(Case.kind == _enum(CaseKind, wanted.kind, "kind"))
    if wanted.search and wanted.search.strip():
        query = query.outerjoin(Person, Person.id == Case.applicant_id).where(
            _matches(wanted.search.strip(), session.get_bind().dialect.name)
        )
    if wanted.assignee:
        query = query.where(func.lower(Staff.email) == wanted.assignee.strip().lower())
    if wanted.overdue:
        query = query.where(ReviewTask.paused_since.is_(None), ReviewTask.due_at <= now)
    if wanted.due_before:
        query = query.where(ReviewTask.due_at < datetime.combine(wanted.due_before, time(), tz))
    if wanted.waiting:
        query = query.where(ReviewTask.paused_since.is_not(None))
    for row in in_order(session, query, Case.id, page):
        yield {
            "reference": row.reference,
            "kind": str(row.kind),
            "status": str(row.status),
            "assignee": row.assignee,
            "due_at": row.due_at.astimezone(tz).isoformat() if row.due_at else None,
            "waiting": row.paused_since is not None,
            "submitted_at": row.submitted_at.astimezone(tz).isoformat(),
        }


def case_id(session: Session, reference: str) -> int:
    """The id of a case by its reference (for --after)."""
    found = session.scalar(select(Case.id).where(Case.reference == reference.strip().upper()))
    if found is None:
        raise NotFound(f"no case with reference {reference}")
    return found
