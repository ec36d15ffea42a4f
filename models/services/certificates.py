"""Issuing certificates: number, verification code, PDF (never blank), stored on disk."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from models.cases import Case
from models.certificates import Certificate
from models.enums import CertificateStatus
from models.services.context import ServiceContext
from models.services.outbox import FileAttachment
from models.services.references import next_number

ISSUER_NAME = "Office of Public Instruction"
ISSUER_TITLE = "Educator Licensure, Professional Development Units"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed in


def new_verification_code() -> str:
    """80 random bits in groups of four: unguessable, easy to type from paper."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@lru_cache(maxsize=1)
def renderer():  # type: ignore[no-untyped-def]
    """One renderer per process: it keeps WeasyPrint's font configuration warm."""
    from templates.pdf import CertificateRenderer

    return CertificateRenderer()


def certificate_path(data_dir: Path, number: str) -> Path:
    return data_dir / "certificates" / f"{number}.pdf"


def issue_for_case(ctx: ServiceContext, case: Case) -> tuple[Certificate, FileAttachment]:
    from templates.pdf import CertificateData, check_not_blank

    assert case.applicant is not None and case.hours_granted is not None
    year, n = next_number(ctx.session, "PDU", ctx.now, ctx.settings.timezone)
    number = f"PDU-{year}-{n:06d}"
    code = new_verification_code()
    activity = case.form["activity"]
    data = CertificateData(
        holder_name=case.applicant.full_name,
        license_number=case.applicant.license_number or "",
        activity_title=activity["title"],
        provider=None,  # pre-approved by OPI itself
        start_date=date.fromisoformat(activity["start_date"]),
        end_date=date.fromisoformat(activity["end_date"]),
        hours=Decimal(case.hours_granted),
        number=number,
        issue_date=ctx.today,
        verification_code=code,
        verification_url=f"{ctx.settings.public_url.rstrip('/')}/verify/{code}",
        issuer_name=ISSUER_NAME,
        issuer_title=ISSUER_TITLE,
    )
    data.validate()
    pdf = renderer().render(data)
    check_not_blank(pdf, data)  # raises: a blank certificate is never issued
    target = certificate_path(ctx.settings.data_dir, number)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(pdf)
    os.replace(partial, target)
    certificate = Certificate(
        number=number,
        verification_code=code,
        case_id=case.id,
        person_id=case.applicant.id,
        holder_name=data.holder_name,
        license_number=data.license_number or None,
        activity_title=data.activity_title,
        provider_name=None,
        start_date=data.start_date,
        end_date=data.end_date,
        hours=data.hours,
        issued_at=ctx.now,
        status=CertificateStatus.VALID,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    ctx.session.add(certificate)
    ctx.session.flush()
    attachment = FileAttachment(
        path=str(target.relative_to(ctx.settings.data_dir)),
        filename=f"PDU certificate {number}.pdf",
        content_type="application/pdf",
    )
    return certificate, attachment
