"""One certificate as every reader shows it: `pdu certificate list` and `verify`, `pdu case
show`, the web's verification page and the holder's emails. Each formats these values its
own way (JSON, a line of text, a page); none reads the Certificate row itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from models.certificates import Certificate
from models.enums import CertificateStatus
from templates.hours import hours_number


@dataclass(frozen=True)
class CertificateView:
    number: str
    verification_code: str
    status: CertificateStatus
    holder: str  # "" once disposed: a disposed record keeps its number, code and dates only
    email: str | None
    license_number: str | None
    hours: Decimal
    activity: str
    provider: str | None  # None: pre-approved by OPI itself
    event_id: int | None
    start_date: date
    end_date: date
    issued_on: date  # the local day of issue
    revoked_at: datetime | None  # local time
    revoked_reason: str | None
    replaced_by: str | None  # the number of the certificate that replaces it
    replaced_by_code: str | None
    imported_on: date | None  # brought in from the old system (no PDF or credential here)

    @property
    def disposed(self) -> bool:
        return self.status is CertificateStatus.DISPOSED

    def as_json(self) -> dict[str, Any]:
        """`pdu certificate list --json`, and each certificate of `pdu case show --json`."""
        return {
            "number": self.number,
            "verification_code": self.verification_code,
            "holder": self.holder,
            "email": self.email,
            "hours": hours_number(self.hours),
            "status": str(self.status),
            "activity": self.activity,
            "provider": self.provider,
            "event_id": self.event_id,
            "issued_on": self.issued_on.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_reason": self.revoked_reason,
            "replaced_by": self.replaced_by,
            "imported": self.imported_on is not None,
        }


def view_of(certificate: Certificate, tz: ZoneInfo) -> CertificateView:
    replacement = certificate.replaced_by
    return view_from(
        certificate,
        certificate.person.email if certificate.person else None,
        replacement.number if replacement else None,
        replacement.verification_code if replacement else None,
        tz,
    )


def view_from(
    c: Any, email: str | None, replaced_by: str | None, replaced_by_code: str | None, tz: ZoneInfo
) -> CertificateView:
    """From a certificate or a row of its columns (a listing reads no entity): `c` has the
    Certificate's column names; the holder's address and the replacement come apart."""
    return CertificateView(
        number=c.number,
        verification_code=c.verification_code,
        status=CertificateStatus(c.status),
        holder=c.holder_name,
        email=email,
        license_number=c.license_number,
        hours=Decimal(c.hours),
        activity=c.activity_title,
        provider=c.provider_name,
        event_id=c.event_id,
        start_date=c.start_date,
        end_date=c.end_date,
        issued_on=c.issued_at.astimezone(tz).date(),
        revoked_at=c.revoked_at.astimezone(tz) if c.revoked_at else None,
        revoked_reason=c.revoked_reason,
        replaced_by=replaced_by,
        replaced_by_code=replaced_by_code,
        imported_on=c.imported_at.astimezone(tz).date() if c.imported_at else None,
    )


def certificate_view(certificate: Certificate, tz: ZoneInfo) -> dict[str, Any]:
    return view_of(certificate, tz).as_json()
