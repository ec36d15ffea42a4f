"""Staff: adding reviewers, supervisors and admins."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import StaffRole
from models.people import Staff
from models.services.errors import Conflict, NotFound, UserError
from models.services.validation import clean_email


def add_staff(session: Session, email: str, name: str, role: str, now: datetime) -> Staff:
    address = clean_email(email)
    try:
        staff_role = StaffRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise UserError(f"unknown role {role!r}: choose one of {choices}") from None
    if not name.strip():
        raise UserError("a staff member needs a name (--name)")
    if session.scalar(select(Staff).where(Staff.email == address)) is not None:
        raise Conflict(f"{address} is already on the staff list")
    staff = Staff(email=address, name=name.strip(), role=staff_role, active=True, created_at=now)
    session.add(staff)
    session.flush()
    return staff


def find_staff(session: Session, email: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.email == clean_email(email)))
    if staff is None:
        raise NotFound(f"no staff member with address {email}")
    return staff


def set_out_of_office(session: Session, email: str, start: date | None, end: date | None) -> Staff:
    staff = find_staff(session, email)
    if start and end and end < start:
        raise UserError("the out-of-office end date is before its start")
    staff.out_of_office_from, staff.out_of_office_until = start, end
    return staff
