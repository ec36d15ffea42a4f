"""An educator's PDU transcript, pure: certificates and the units of the current cycle.

A Montana educator license is renewed every five years with 60 renewal units (ARM
10.57.215: one hour of attendance is one unit, so a certificate's PDU hours are its units).
Licenses expire on June 30, so without the license's own expiry date the current cycle is
the five school years (July 1 to June 30) ending with the current one; given the expiry
date, it is the five years ending on that day. A certificate counts in the cycle whose
dates hold its activity's last day, and only while it is valid (not revoked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

RENEWAL_UNITS = Decimal(60)
CYCLE_YEARS = 5
VALID = "valid"


@dataclass(frozen=True)
class Cycle:
    start: date
    end: date  # inclusive

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def current_cycle(today: date, expires: date | None = None) -> Cycle:
    """The renewal cycle in force on `today` (or ending on the license's `expires`)."""
    if expires is None:
        expires = date(today.year if today.month <= 6 else today.year + 1, 6, 30)
    return Cycle(_years_before(expires, CYCLE_YEARS) + timedelta(days=1), expires)


@dataclass(frozen=True)
class Entry:
    """One certificate as the transcript sees it."""

    number: str
    activity_title: str
    provider: str | None  # None: pre-approved by OPI
    start_date: date
    end_date: date
    hours: Decimal
    status: str
    holder_name: str = ""


@dataclass(frozen=True)
class Line:
    entry: Entry
    in_cycle: bool
    counts: bool  # valid and in the cycle


@dataclass
class Transcript:
    license_number: str
    cycle: Cycle
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.entry.hours for line in self.lines if line.counts), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        return max(RENEWAL_UNITS - self.total, Decimal(0))

    @property
    def complete(self) -> bool:
        return self.total >= RENEWAL_UNITS

    @property
    def holder_name(self) -> str:
        """The name on the latest certificate (a corrected name wins over an older one)."""
        named = [line.entry for line in self.lines if line.entry.holder_name]
        return max(named, key=lambda e: (e.end_date, e.number)).holder_name if named else ""


def build_transcript(license_number: str, entries: Iterable[Entry], cycle: Cycle) -> Transcript:
    """Every certificate, newest activity first; the cycle's total counts valid ones only."""
    ordered = sorted(entries, key=lambda e: (e.end_date, e.number), reverse=True)
    lines = [
        Line(entry, entry.end_date in cycle, entry.end_date in cycle and entry.status == VALID)
        for entry in ordered
    ]
    return Transcript(license_number, cycle, lines)


def normalize_license(value: str) -> str:
    """License numbers compare without case or spaces (`mt 48213` is `MT48213`)."""
    return "".join(value.split()).upper()
