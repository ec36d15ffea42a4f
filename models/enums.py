"""Status and kind enumerations, stored by value (Warehouse style)."""

from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    PREAPPROVAL = "preapproval"
    PROVIDER = "provider"
    ACCOUNT_REQUEST = "account_request"  # access, email change, manager change (by email)
    OPPORTUNITY = "opportunity"  # an approved provider's event for the portal

    @property
    def prefix(self) -> str:
        return {
            CaseKind.PREAPPROVAL: "PA",
            CaseKind.PROVIDER: "PR",
            CaseKind.ACCOUNT_REQUEST: "AR",
            CaseKind.OPPORTUNITY: "OP",
        }[self]


class RecordKind(StrEnum):
    """What the retention schedule covers besides cases (which go by their CaseKind)."""

    EVENT = "event"  # a provider event's attendees and certificates
    MAIL = "mail"  # messages tied to no case: strangers, bounces, error replies


RETENTION_KINDS = frozenset({*(k.value for k in CaseKind), *(k.value for k in RecordKind)})


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    DECLINED = "declined"
    REDIRECTED = "redirected"
    IN_REVIEW = "in_review"
    AWAITING_APPLICANT = "awaiting_applicant"
    AWAITING_PROOF = "awaiting_proof"
    PROOF_REVIEW = "proof_review"
    COMPLETED = "completed"
    DENIED = "denied"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    PURGED = "purged"


CLOSED_STATUSES = frozenset(
    {
        CaseStatus.DECLINED,
        CaseStatus.REDIRECTED,
        CaseStatus.COMPLETED,
        CaseStatus.DENIED,
        CaseStatus.EXPIRED,
        CaseStatus.WITHDRAWN,
        CaseStatus.PURGED,
    }
)


class StaffRole(StrEnum):
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ProviderKind(StrEnum):
    SCHOOL_DISTRICT = "school_district"
    COLLEGE_UNIVERSITY = "college_university"
    GOVERNMENT_AGENCY = "government_agency"
    EDUCATIONAL_ORGANIZATION = "educational_organization"
    OTHER = "other"


class ProviderStatus(StrEnum):
    """Where a directory entry stands; only approved and must-reapply ones may work."""

    APPROVED = "approved"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    MUST_REAPPLY = "must_reapply"  # keeps working until its date, then must register anew

    @property
    def is_listed(self) -> bool:
        """In the public directory and the portal listing, and a redirect target of triage."""
        return self in (ProviderStatus.APPROVED, ProviderStatus.MUST_REAPPLY)


class TaskKind(StrEnum):
    REVIEW = "review"
    PROOF_REVIEW = "proof_review"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    """How a change reached the system (recorded on every timeline entry)."""

    CLI = "cli"
    EMAIL = "email"
    WEB = "web"
    SWEEP = "sweep"
    SYSTEM = "system"
    PREFECT = "prefect"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    DISPOSED = "disposed"


class InboundOutcome(StrEnum):
    """What became of an inbound message; the reason code says why."""

    APPLIED = "applied"  # a command changed a case
    REPLY = "reply"  # an applicant's answer or proof was recorded
    SUBMISSION = "submission"  # a new form arrived by email
    BOUNCE = "bounce"  # a delivery failure report: the address is marked
    IGNORED = "ignored"  # auto-reply, mailing list, our own mail
    HELD = "held"  # a staff decision waiting for the reviewer's CONFIRM (no DMARC pass)
    REFUSED = "refused"  # not acted on: the reason code says why (quarantined)
    ERROR = "error"  # our fault: logged for an operator (quarantined)

    @property
    def folder_is_processed(self) -> bool:
        return self not in (InboundOutcome.REFUSED, InboundOutcome.ERROR)
