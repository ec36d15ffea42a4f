"""Builders for test data that goes straight into the database (no intake flow)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.cases import Case
from models.enums import CaseKind, CaseStatus, Channel
from models.people import Person


def person(
    session: Session, email: str = "jane@school.example", now: datetime | None = None, **fields: Any
) -> Person:
    values = {"first_name": "Jane", "last_name": "Okafor", "license_number": "MT-48213"} | fields
    created = Person(
        email=email, created_at=now or datetime.fromisoformat("2026-11-20T16:00Z"), **values
    )
    session.add(created)
    session.flush()
    return created


def case(
    session: Session,
    reference: str = "PA-2026-00001",
    *,
    now: datetime,
    status: CaseStatus = CaseStatus.SUBMITTED,
    applicant: Person | None = None,
    kind: CaseKind = CaseKind.PREAPPROVAL,
) -> Case:
    created = Case(
        reference=reference,
        kind=kind,
        status=status,
        applicant=applicant or person(session, now=now),
        form={"activity": {"title": "Test"}},
        submission_key=reference,
        channel=Channel.CLI,
        submitted_at=now,
        updated_at=now,
    )
    session.add(created)
    session.flush()
    return created


def office_staff(session: Session, start: datetime) -> None:
    """The usual office: Rita reviews, Sam supervises, Ada administers."""
    from models.services.staff import add_staff

    add_staff(session, "rita@opi.example", "Rita Reviewer", "reviewer", start)
    add_staff(session, "sam@opi.example", "Sam Supervisor", "supervisor", start)
    add_staff(session, "ada@opi.example", "Ada Admin", "admin", start)
