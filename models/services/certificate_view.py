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
        }


def view_of(certificate: Certificate, tz: ZoneInfo) -> CertificateView:
    replacement = certificate.replaced_by
    return CertificateView(
        number=certificate.number,
        verification_code=certificate.verification_code,
        status=CertificateStatus(certificate.status),
        holder=certificate.holder_name,
        email=certificate.person.email if certificate.person else None,
        license_number=certificate.license_number,
        hours=Decimal(certificate.hours),
        activity=certificate.activity_title,
        provider=certificate.provider_name,
        event_id=certificate.event_id,
        start_date=certificate.start_date,
        end_date=certificate.end_date,
        issued_on=certificate.issued_at.astimezone(tz).date(),
        revoked_at=certificate.revoked_at.astimezone(tz) if certificate.revoked_at else None,
        revoked_reason=certificate.revoked_reason,
        replaced_by=replacement.number if replacement else None,
        replaced_by_code=replacement.verification_code if replacement else None,
    )


def certificate_view(certificate: Certificate, tz: ZoneInfo) -> dict[str, Any]:
    return view_of(certificate, tz).as_json()
