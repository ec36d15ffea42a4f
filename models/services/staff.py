"""Staff: adding reviewers, supervisors and admins, their roles and the list of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import StaffRole
from models.people import Staff
from models.services.context import ServiceContext, transaction_cache
from models.services.errors import Conflict, NotFound, UserError
from models.services.validation import clean_email


def _role(role: str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise UserError(f"unknown role {role!r}: choose one of {choices}") from None


def add_staff(session: Session, email: str, name: str, role: str, now: datetime) -> Staff:
    address = clean_email(email)
    staff_role = _role(role)
    if not name.strip():
        raise UserError("a staff member needs a name (--name)")
    if session.scalar(select(Staff).where(Staff.email == address)) is not None:
        raise Conflict(f"{address} is already on the staff list")
    staff = Staff(email=address, name=name.strip(), role=staff_role, active=True, created_at=now)
    session.add(staff)
    session.flush()
    return staff


def staff_by_address(session: Session, address: str) -> Staff | None:
    """The staff member with this (clean) address, active or not. The staff list is read
    once a transaction (a poll's batch asks for every message, and a query would flush the
    messages before it one by one); an address not in it is looked up, so one added since
    is found. The rows are the session's own: what this transaction changes shows."""
    read_once = transaction_cache(session)
    staff = read_once.get(_STAFF_BY_ADDRESS)
    if staff is None:
        staff = {s.email: s for s in session.scalars(select(Staff))}
        read_once[_STAFF_BY_ADDRESS] = staff
    found = staff.get(address)
    if found is None:
        found = session.scalar(select(Staff).where(Staff.email == address))
    return found


_STAFF_BY_ADDRESS = "staff_by_address"


def find_staff(session: Session, email: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.email == clean_email(email)))
    if staff is None:
        raise NotFound(f"no staff member with address {email}")
    return staff


def active_staff(session: Session, email: str, what: str = "") -> Staff:
    """A staff member who may take work or act; `what` names them in the error."""
    staff = find_staff(session, email)
    if not staff.active:
        raise UserError(f"{staff.email}{what} is deactivated: `pdu staff activate` first")
    return staff


def set_staff(
    session: Session, email: str, role: str | None = None, supervisor: str | None = None
) -> Staff:
    """Change a role or the supervisor (told of absences, takes work by default)."""
    staff = find_staff(session, email)
    if role is None and supervisor is None:
        raise UserError("nothing to change: give --role and/or --supervisor")
    if role is not None:
        staff.role = _role(role)
    if supervisor is not None:
        boss = active_staff(session, supervisor, " (the supervisor)")
        if boss.id == staff.id:
            raise UserError("nobody can be their own supervisor")
        staff.supervisor = boss
    return staff


def activate(session: Session, email: str) -> Staff:
    staff = find_staff(session, email)
    if staff.active:
        raise Conflict(f"{staff.email} is already active")
    staff.active = True
    return staff


@dataclass(frozen=True)
class StaffRow:
    email: str
    name: str
    role: str
    active: bool
    supervisor: str | None
    away_until: str | None  # ISO date, while away
    delegate: str | None
    open: int
    due_soon: int
    overdue: int


def staff_rows(ctx: ServiceContext) -> list[StaffRow]:
    """Every staff member with their open, due-soon and overdue task counts (as `pdu
    status` counts them: a task waiting on the applicant is neither due soon nor overdue)."""
    from models.services.schedule import ladder_policy
    from models.services.status import task_counts

    counts = task_counts(ctx, ladder_policy(ctx.settings))
    rows = []
    for s in ctx.session.scalars(select(Staff).order_by(Staff.email)):
        away = s.is_out_of_office(ctx.today)
        rows.append(
            StaffRow(
                email=s.email,
                name=s.name,
                role=str(s.role),
                active=s.active,
                supervisor=s.supervisor.email if s.supervisor else None,
                away_until=s.out_of_office_until.isoformat()
                if away and s.out_of_office_until
                else None,
                delegate=s.delegate.email if away and s.delegate else None,
                open=counts.get(s.id, {}).get("open", 0),
                due_soon=counts.get(s.id, {}).get("due_soon", 0),
                overdue=counts.get(s.id, {}).get("overdue", 0),
            )
        )
    return rows


def set_out_of_office(session: Session, email: str, start: date | None, end: date | None) -> Staff:
    """Set the dates alone (tests, imports); `absence.mark_away` also hands work over."""
    staff = find_staff(session, email)
    if start and end and end < start:
        raise UserError("the out-of-office end date is before its start")
    staff.out_of_office_from, staff.out_of_office_until = start, end
    return staff
