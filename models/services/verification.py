"""Verifying a certificate: by its number (PDU-2026-000042) or its verification code, typed
any way. The answer is one of four words: valid, revoked, disposed (under the retention
schedule: the number and code are kept, the holder is not) or not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.certificates import Certificate
from models.enums import CertificateStatus
from models.retention import DISPOSED_ANSWER
from models.services.errors import NotFound

VALID_ANSWER = "valid"
REVOKED_ANSWER = "revoked"
NOT_FOUND_ANSWER = "not found"


def _number_or_code(code_or_number: str) -> tuple[str, str]:
    """What was typed, as a number (upper case) and as a code (groups of four)."""
    text = code_or_number.strip().upper()
    compact = "".join(ch for ch in text if ch.isalnum())
    return text, "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def find_certificate(session: Session, code_or_number: str) -> Certificate | None:
    """By number (PDU-2026-000042) or verification code, typed any way (case, dashes)."""
    text, code = _number_or_code(code_or_number)
    return session.scalar(
        select(Certificate)
        .where((Certificate.number == text) | (Certificate.verification_code == code))
        .options(selectinload(Certificate.person), selectinload(Certificate.replaced_by))
    )


def get_certificate(session: Session, number: str) -> Certificate:
    certificate = find_certificate(session, number)
    if certificate is None:
        raise NotFound(f"no certificate {number.strip()}")
    return certificate


def verification_answer(session: Session, code_or_number: str) -> str:
    """What verifying a certificate says, by its number (PDU-2026-000042) or its code."""
    text, code = _number_or_code(code_or_number)
    status = session.scalar(
        select(Certificate.status).where(
            (Certificate.number == text) | (Certificate.verification_code == code)
        )
    )
    if status is None:
        return NOT_FOUND_ANSWER
    return {
        CertificateStatus.VALID: VALID_ANSWER,
        CertificateStatus.REVOKED: REVOKED_ANSWER,
        CertificateStatus.DISPOSED: DISPOSED_ANSWER,
    }[CertificateStatus(status)]


@dataclass(frozen=True)
class Verification:
    answer: str  # verification_answer's words
    certificate: Certificate | None


def verify(session: Session, code_or_number: str) -> Verification:
    """What verifying a code or number says (valid, revoked, disposed, not found)."""
    answer = verification_answer(session, code_or_number)
    return Verification(answer, find_certificate(session, code_or_number))
