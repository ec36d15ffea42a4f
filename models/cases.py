"""Cases (pre-approval requests, provider registrations), their review tasks and timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, StrEnumType, enum_check
from models.enums import CaseKind, CaseStatus, Channel, TaskKind, TaskStatus
from models.people import Person, Staff


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (enum_check("kind", CaseKind), enum_check("status", CaseStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, comment="PA-2026-00042")
    kind: Mapped[CaseKind] = mapped_column(StrEnumType(CaseKind, 16))
    status: Mapped[CaseStatus] = mapped_column(StrEnumType(CaseStatus, 24), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    form: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the validated form, as submitted")
    submission_key: Mapped[str] = mapped_column(
        String(64), unique=True, comment="hash of the normalised form: a resubmission is one case"
    )
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    retroactive: Mapped[bool] = mapped_column(Boolean, default=False)
    triage_rule: Mapped[str | None] = mapped_column(String(40))
    hours_requested: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    hours_granted: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id"), comment="directory entry created or matched"
    )
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    retain_until: Mapped[datetime | None] = mapped_column(
        index=True, comment="closed_at + retention period; purgeable after"
    )
    legal_hold: Mapped[str | None] = mapped_column(Text, comment="reason; blocks purging")
    proof_reminded_at: Mapped[datetime | None] = mapped_column(
        comment="first reminder to send proof of completion"
    )
    expiry_warned_at: Mapped[datetime | None] = mapped_column(
        comment="last reminder before the approved request expires"
    )
    # ACCEPT reserves the certificate in the decision's transaction; it is drawn after that
    # commits and recorded in a transaction of its own (models.services.case_certificates).
    certificate_number: Mapped[str | None] = mapped_column(
        String(24), comment="reserved at ACCEPT, before rendering"
    )
    certificate_code: Mapped[str | None] = mapped_column(String(40))
    certificate_reserved_at: Mapped[datetime | None] = mapped_column(
        comment="the certificate's issue instant"
    )
    certificate_failure: Mapped[str | None] = mapped_column(
        Text, comment="why the reserved certificate was not issued; staff told"
    )

    applicant: Mapped[Person | None] = relationship()
    tasks: Mapped[list[ReviewTask]] = relationship(
        back_populates="case", order_by="ReviewTask.id", cascade="all, delete-orphan"
    )
    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="case", order_by="TimelineEntry.id", cascade="all, delete-orphan"
    )

    @property
    def open_task(self) -> ReviewTask | None:
        return next((t for t in self.tasks if t.status is TaskStatus.OPEN), None)


class ReviewTask(Base):
    """A decision owed by a staff member, with its deadline and escalation ladder."""

    __tablename__ = "review_tasks"
    __table_args__ = (enum_check("kind", TaskKind), enum_check("status", TaskStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TaskKind] = mapped_column(StrEnumType(TaskKind, 16))
    status: Mapped[TaskStatus] = mapped_column(StrEnumType(TaskStatus, 16), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True, comment="moves by paused business time")
    paused_since: Mapped[datetime | None] = mapped_column(comment="waiting on the applicant")
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, comment="business seconds")
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    reassigned_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(24))

    case: Mapped[Case] = relationship(back_populates="tasks")
    assignee: Mapped[Staff] = relationship()

    @property
    def escalation_level(self) -> int:
        """0 on time, 1 reminded, 2 overdue and escalated, 3 reassigned to the supervisor."""
        return sum(x is not None for x in (self.reminded_at, self.escalated_at, self.reassigned_at))

    @property
    def paused(self) -> timedelta:
        return timedelta(seconds=self.paused_seconds)


class TimelineEntry(Base):
    """Append-only: who did what, when, and how it reached us."""

    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320), comment="staff/applicant address or 'system'")
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16))
    message_id: Mapped[str | None] = mapped_column(String(998), comment="email that caused it")
    from_status: Mapped[CaseStatus | None] = mapped_column(StrEnumType(CaseStatus, 24))
    to_status: Mapped[CaseStatus | None] = mapped_column(StrEnumType(CaseStatus, 24))
    detail: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="timeline")


class ReferenceCounter(Base):
    """The last number handed out per prefix and year (PA-2026-00042)."""

    __tablename__ = "reference_counters"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(4))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)
