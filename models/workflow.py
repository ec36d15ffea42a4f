"""The transition table: every legal status change of a case, and nothing else.

Pure: a lookup from (kind, status, event) to the next status. Services call `advance`
before touching anything, so an illegal transition raises and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from models.enums import CLOSED_STATUSES, CaseKind, CaseStatus

S = CaseStatus


class Event(StrEnum):
    TRIAGE_DECLINE = "triage_decline"
    TRIAGE_REDIRECT = "triage_redirect"
    TRIAGE_REVIEW = "triage_review"
    REQUEST_INFO = "request_info"
    APPLICANT_REPLIED = "applicant_replied"
    APPROVE = "approve"
    DENY = "deny"
    PROOF_RECEIVED = "proof_received"
    ACCEPT_PROOF = "accept_proof"
    REJECT_PROOF = "reject_proof"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"
    PURGE = "purge"
    REOPEN = "reopen"  # an admin sends a decided case back to review (a wrong decision)


class IllegalTransition(ValueError):
    def __init__(self, kind: CaseKind, status: CaseStatus, event: Event) -> None:
        super().__init__(f"a {kind.value} case that is {status.value} cannot take '{event.value}'")
        self.kind, self.status, self.event = kind, status, event


_OPEN_BEFORE_DECISION = (S.SUBMITTED, S.IN_REVIEW, S.AWAITING_APPLICANT)
# Decided cases that may go back to review: triaged away, denied, approved (completed).
# Not expired or withdrawn (the applicant's doing: they apply again) and never purged.
_DECIDED = (S.DECLINED, S.REDIRECTED, S.DENIED, S.COMPLETED)

_COMMON: dict[tuple[CaseStatus, Event], CaseStatus] = {
    (S.SUBMITTED, Event.TRIAGE_DECLINE): S.DECLINED,
    (S.SUBMITTED, Event.TRIAGE_REDIRECT): S.REDIRECTED,
    (S.SUBMITTED, Event.TRIAGE_REVIEW): S.IN_REVIEW,
    (S.IN_REVIEW, Event.REQUEST_INFO): S.AWAITING_APPLICANT,
    (S.AWAITING_APPLICANT, Event.APPLICANT_REPLIED): S.IN_REVIEW,
    (S.IN_REVIEW, Event.DENY): S.DENIED,
    **{(status, Event.WITHDRAW): S.WITHDRAWN for status in _OPEN_BEFORE_DECISION},
    **{(status, Event.PURGE): S.PURGED for status in CLOSED_STATUSES - {S.PURGED}},
    **{(status, Event.REOPEN): S.IN_REVIEW for status in _DECIDED},
}

TRANSITIONS: dict[CaseKind, dict[tuple[CaseStatus, Event], CaseStatus]] = {
    CaseKind.PREAPPROVAL: {
        **_COMMON,
        (S.IN_REVIEW, Event.APPROVE): S.AWAITING_PROOF,
        (S.AWAITING_PROOF, Event.PROOF_RECEIVED): S.PROOF_REVIEW,
        (S.PROOF_REVIEW, Event.ACCEPT_PROOF): S.COMPLETED,
        (S.PROOF_REVIEW, Event.REJECT_PROOF): S.AWAITING_PROOF,
        (S.AWAITING_PROOF, Event.EXPIRE): S.EXPIRED,
        (S.AWAITING_PROOF, Event.WITHDRAW): S.WITHDRAWN,
        (S.PROOF_REVIEW, Event.WITHDRAW): S.WITHDRAWN,
        (S.AWAITING_PROOF, Event.REOPEN): S.IN_REVIEW,  # approved, proof not yet in
    },
    CaseKind.PROVIDER: {
        **_COMMON,
        (S.IN_REVIEW, Event.APPROVE): S.COMPLETED,
    },
    CaseKind.ACCOUNT_REQUEST: {
        **_COMMON,
        (S.IN_REVIEW, Event.APPROVE): S.COMPLETED,
    },
    CaseKind.OPPORTUNITY: {
        **_COMMON,
        (S.IN_REVIEW, Event.APPROVE): S.COMPLETED,
    },
}


def advance(kind: CaseKind, status: CaseStatus, event: Event) -> CaseStatus:
    """The status after `event`, or IllegalTransition."""
    try:
        return TRANSITIONS[kind][(status, event)]
    except KeyError:
        raise IllegalTransition(kind, status, event) from None


def allowed_events(kind: CaseKind, status: CaseStatus) -> frozenset[Event]:
    return frozenset(event for (source, event) in TRANSITIONS[kind] if source == status)


def is_closed(status: CaseStatus) -> bool:
    return status in CLOSED_STATUSES
