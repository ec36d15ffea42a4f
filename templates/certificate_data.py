"""What a certificate says, checked before anything is drawn (no WeasyPrint here: the
process that numbers and records certificates never loads it; templates/pdf.py draws)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any


class BlankCertificateError(ValueError):
    """A certificate lacks (or came out without) the facts that make it one."""


class CertificateLayoutError(RuntimeError):
    """The certificate did not fit on one page: a template bug, never the holder's fault."""


@dataclass(frozen=True)
class CertificateData:
    holder_name: str
    license_number: str
    activity_title: str
    provider: str | None  # None: pre-approved by OPI itself
    start_date: date
    end_date: date
    hours: Decimal
    number: str
    issue_date: date
    verification_code: str
    verification_url: str
    issuer_name: str
    issuer_title: str

    def validate(self) -> None:
        """Raise BlankCertificateError naming every empty (or impossible) field at once."""
        empty = [
            f.name
            for f in fields(self)
            if f.name != "provider" and _is_empty(getattr(self, f.name))
        ]
        problems = [f"empty {', '.join(empty)}"] if empty else []
        if "hours" not in empty and self.hours <= 0:
            problems.append(f"hours must be positive, not {self.hours}")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            problems.append(f"end_date {self.end_date} is before start_date {self.start_date}")
        if problems:
            raise BlankCertificateError(
                f"certificate {self.number or '(no number)'} refused: {'; '.join(problems)}"
            )


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
