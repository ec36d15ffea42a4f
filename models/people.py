"""People outside OPI: educators and provider contacts, and OPI staff."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, StrEnumType, enum_check
from models.enums import StaffRole


class Person(Base):
    """An applicant: an educator or a provider's contact. Personal data; purged with cases."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, comment="lowercased address")
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    license_number: Mapped[str | None] = mapped_column(String(40), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email_bounced_at: Mapped[datetime | None] = mapped_column(
        comment="set when mail to this address bounced; cleared when they write again"
    )
    created_at: Mapped[datetime]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Staff(Base):
    """OPI staff who receive tasks by email."""

    __tablename__ = "staff"
    __table_args__ = (enum_check("role", StaffRole),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(StrEnumType(StaffRole, 16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    out_of_office_from: Mapped[date | None] = mapped_column(Date)
    out_of_office_until: Mapped[date | None] = mapped_column(Date, comment="inclusive")
    last_assigned_at: Mapped[datetime | None] = mapped_column(
        comment="round-robin tie-break between equally loaded reviewers"
    )
    supervisor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="told of their absences; takes their work by default"
    )
    delegate_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), comment="takes their tasks while they are away"
    )
    created_at: Mapped[datetime]

    supervisor: Mapped[Staff | None] = relationship(foreign_keys=[supervisor_id], remote_side=[id])
    delegate: Mapped[Staff | None] = relationship(foreign_keys=[delegate_id], remote_side=[id])

    def is_out_of_office(self, day: date) -> bool:
        start, end = self.out_of_office_from, self.out_of_office_until
        return start is not None and start <= day and (end is None or day <= end)


class OfficeClosure(Base):
    """A day the office is closed beyond the statutory holidays (added by an admin)."""

    __tablename__ = "office_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    reason: Mapped[str] = mapped_column(String(200))
