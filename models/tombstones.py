"""What outlives a purge: a tombstone per purged case and an audit row per purge run.

Neither holds personal data: references, dates, counts, certificate numbers and a hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StrEnumType, enum_check
from models.enums import CaseKind, CaseStatus, Channel


class PurgeRun(Base):
    """One `pdu purge` or `retention-purge` run, rehearsed or executed (the audit trail)."""

    __tablename__ = "purge_runs"
    __table_args__ = (
        CheckConstraint("NOT executed OR approval IS NOT NULL", name="approval_when_executed"),
        enum_check("channel", Channel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(comment="None: running or interrupted")
    cutoff: Mapped[datetime] = mapped_column(comment="records whose retention ended before this")
    executed: Mapped[bool] = mapped_column(Boolean, comment="False: a dry run")
    approval: Mapped[str | None] = mapped_column(
        String(200), comment="State Records Committee approval reference (MCA 2-6-1107)"
    )
    channel: Mapped[Channel] = mapped_column(StrEnumType(Channel, 16), comment="cli or prefect")
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict, comment="per kind, no names")


class Tombstone(Base):
    """A purged case: enough to answer "it existed and was disposed of", nothing personal."""

    __tablename__ = "tombstones"
    __table_args__ = (enum_check("kind", CaseKind), enum_check("final_status", CaseStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, comment="PA-2021-00042")
    kind: Mapped[CaseKind] = mapped_column(StrEnumType(CaseKind, 16))
    final_status: Mapped[CaseStatus] = mapped_column(
        StrEnumType(CaseStatus, 24), comment="status when it closed"
    )
    submitted_at: Mapped[datetime]
    closed_at: Mapped[datetime]
    purged_at: Mapped[datetime]
    purge_run_id: Mapped[int] = mapped_column(ForeignKey("purge_runs.id"), index=True)
    messages: Mapped[int] = mapped_column(Integer, comment="inbound messages deleted")
    outbox: Mapped[int] = mapped_column(Integer, comment="outbound messages deleted")
    attachments: Mapped[int] = mapped_column(Integer)
    certificates: Mapped[int] = mapped_column(Integer)
    timeline: Mapped[int] = mapped_column(Integer, comment="timeline entries deleted")
    certificate_numbers: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="now status 'disposed'"
    )
    record_sha256: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of the purged record's canonical JSON (models.retention)"
    )

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "kind": str(self.kind),
            "final_status": str(self.final_status),
            "submitted_at": self.submitted_at.isoformat(),
            "closed_at": self.closed_at.isoformat(),
            "purged_at": self.purged_at.isoformat(),
            "messages": self.messages,
            "outbox": self.outbox,
            "attachments": self.attachments,
            "certificates": self.certificates,
            "timeline": self.timeline,
            "certificate_numbers": list(self.certificate_numbers),
            "record_sha256": self.record_sha256,
        }
