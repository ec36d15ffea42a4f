"""A provider's certificate PDFs: one, or all of an event's as one ZIP (OPI's "Print
Certificate", without its blank page: the file is the stored PDF that passed its
never-blank check when issued, found by the provider acted for, never by a drop-down)."""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.certificates import Certificate
from models.data_dir import certificate_path
from models.enums import CertificateStatus
from models.events import ProviderEvent
from models.services.context import ServiceContext
from models.services.errors import Conflict, NotFound
from models.services.provider_events import get_event

SPOOL = 8 * 1024 * 1024  # a ZIP larger than this goes to a temporary file, not memory


@dataclass(frozen=True)
class IssuedLine:
    number: str
    holder_name: str
    hours: Decimal
    status: CertificateStatus


def event_certificates(session: Session, event_id: int, limit: int) -> list[IssuedLine]:
    """The event's latest certificates (its page lists them; the ZIP holds them all). The
    caller has found the event in the provider's scope."""
    rows = session.execute(
        select(Certificate.number, Certificate.holder_name, Certificate.hours, Certificate.status)
        .where(Certificate.event_id == event_id)
        .order_by(Certificate.id.desc())
        .limit(limit)
    )
    return [IssuedLine(*row) for row in rows]


@dataclass(frozen=True)
class CertificateFile:
    filename: str
    content: bytes


def provider_certificate(ctx: ServiceContext, provider_id: int, number: str) -> CertificateFile:
    """The PDF of a certificate issued for one of the provider's events."""
    certificate = ctx.session.scalar(
        select(Certificate)
        .join(ProviderEvent, Certificate.event_id == ProviderEvent.id)
        .where(
            Certificate.number == number.strip().upper(),
            ProviderEvent.provider_id == provider_id,
        )
    )
    if certificate is None:
        raise NotFound(f"no certificate {number.strip()}")
    if certificate.status is CertificateStatus.DISPOSED:
        raise Conflict(f"{certificate.number} was disposed under the retention schedule")
    try:
        content = certificate_path(ctx.settings.data_dir, certificate.number).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"the PDF of {certificate.number} is not in the data directory") from None
    return CertificateFile(f"{certificate.number}.pdf", content)


def event_certificates_zip(
    ctx: ServiceContext, provider_id: int, event_id: int | str
) -> tuple[str, IO[bytes], int]:
    """Every valid certificate of the event as one ZIP: (filename, file at its start,
    how many). PDFs are compressed already, so they are stored as they are."""
    event = get_event(ctx.session, event_id, provider_id)
    numbers = list(
        ctx.session.scalars(
            select(Certificate.number)
            .where(
                Certificate.event_id == event.id,
                Certificate.status == CertificateStatus.VALID,
            )
            .order_by(Certificate.number)
        )
    )
    if not numbers:
        raise NotFound(f"event {event.id} has no certificate yet")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (the caller's)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for number in numbers:
            path = certificate_path(ctx.settings.data_dir, number)
            if path.is_file():
                archive.write(path, f"{number}.pdf")
    spool.seek(0)
    return f"event-{event.id}-certificates.zip", spool, len(numbers)
