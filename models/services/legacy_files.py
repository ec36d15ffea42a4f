"""Reading the old system's CSV files (docs/migration.md): lines, cells, the report.

Every problem names its file and line; a cell that cannot be read raises UserError with
the words the report shows after "FILE line N: ".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from models.services.errors import UserError
from models.services.provider_events import parse_hours
from models.services.validation import clean_email

# Provider numbers, event ids, certificate numbers and references as the old system wrote
# them: kept exactly (upper-cased), never renumbered.
T = TypeVar("T")
# An educator's address recurs on each of their certificates: checked once.
_clean_email = lru_cache(maxsize=100_000)(clean_email)

LEGACY_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9./_-]*$")


@dataclass
class LegacyReport:
    executed: bool = False
    rows: dict[str, int] = field(default_factory=dict)  # file -> data rows read
    new: dict[str, int] = field(default_factory=dict)  # file -> rows that would be added
    present: list[str] = field(default_factory=list)  # matched to records already here
    problems: list[str] = field(default_factory=list)  # "providers.csv line 4: ..."
    not_read: list[str] = field(default_factory=list)  # CSV files this version skips
    emails: int = 0  # set-password emails written (executed only)
    refused: int = 0  # problems that are clashes with records here (the rest: bad input)

    def problem(self, line: Line, message: str) -> None:
        self.problems.append(f"{line.where}: {message}")

    def refuse(self, line: Line, message: str) -> None:
        """A line that clashes with a record here (a number this system already gave)."""
        self.problem(line, message)
        self.refused += 1

    def matched(self, line: Line, what: str) -> None:
        self.present.append(f"{line.where}: {what} (already imported)")


@dataclass(frozen=True)
class Line:
    file: str
    number: int  # the line in the file (the header is line 1)
    cells: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.file} line {self.number}"

    def get(self, column: str) -> str:
        return self.cells.get(column, "")

    def optional(self, column: str) -> str | None:
        return self.cells.get(column) or None

    def required(self, column: str) -> str:
        value = self.get(column)
        if not value:
            raise UserError(f"no {column}")
        return value

    def number_in(self, column: str, what: str, longest: int = 20) -> str:
        """A legacy number or id, upper-cased, of at most `longest` characters."""
        value = self.get(column).upper()
        if not LEGACY_NUMBER.match(value) or len(value) > longest:
            raise UserError(f"{column} {self.get(column)!r} is not {what}")
        return value

    def day(self, column: str) -> date:
        try:
            return date.fromisoformat(self.get(column))
        except ValueError:
            raise UserError(
                f"{column} {self.get(column)!r} is not a date like 2019-08-15"
            ) from None

    def optional_day(self, column: str) -> date | None:
        return self.day(column) if self.get(column) else None

    def hours(self, column: str = "hours") -> Decimal:
        return parse_hours(self.get(column), column)

    def email(self, column: str = "email") -> str:
        return _clean_email(self.required(column))

    def name(self, column: str) -> str:
        return " ".join(self.required(column).split())

    def flag(self, column: str) -> bool:
        value = self.get(column).lower()
        if value in ("", "no", "n", "false", "0"):
            return False
        if value in ("yes", "y", "true", "1"):
            return True
        raise UserError(f"{column} {self.get(column)!r} is not yes or no")


def read_lines(path: Path, required: tuple[str, ...], report: LegacyReport) -> list[Line]:
    """The file's data lines, cells stripped; its row count goes on the report."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in required if c not in columns]
            if missing:
                raise UserError(f"{path.name}: missing column(s) {', '.join(missing)}")
            raw = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    report.rows[path.name] = len(raw)
    return [
        Line(
            path.name,
            line,
            {k.strip(): (v or "").strip() for k, v in values.items() if k and isinstance(v, str)},
        )
        for line, values in enumerate(raw, start=2)
    ]


def parsed(lines: list[Line], parse: Callable[[Line], T], report: LegacyReport) -> list[T]:
    """Each line parsed; a line that cannot be is a problem on the report."""
    rows = []
    for line in lines:
        try:
            rows.append(parse(line))
        except UserError as exc:
            report.problem(line, str(exc))
    return rows


def local_noon(day: date, tz: ZoneInfo) -> datetime:
    """A day the old system kept without a time, as an instant: noon in the office's zone."""
    return datetime.combine(day, time(12), tzinfo=tz)


@dataclass
class Known:
    """What lines may refer to: records here already and those the files add."""

    providers: set[str] = field(default_factory=set)  # provider numbers
    events: set[tuple[str, str]] = field(default_factory=set)  # (provider number, legacy id)


def own_form(prefix: str, number: str) -> tuple[int, int] | None:
    """(year, sequence) when a legacy number has this system's own form (PDU-2026-000042,
    PA-2026-00042): such a number may clash with one issued here."""
    match = re.fullmatch(rf"{prefix}-(\d{{4}})-(\d{{1,9}})", number)
    return (int(match.group(1)), int(match.group(2))) if match else None


def issued_here(prefix: str, number: str, counters: dict[int, int]) -> bool:
    """The number has this system's form and its counter has already handed it out."""
    own = own_form(prefix, number)
    return own is not None and own[1] <= counters.get(own[0], 0)


def highest_own(prefix: str, numbers: list[str]) -> dict[int, int]:
    """Per year, the highest imported number of this system's own form."""
    highest: dict[int, int] = {}
    for number in numbers:
        own = own_form(prefix, number)
        if own is not None:
            highest[own[0]] = max(highest.get(own[0], 0), own[1])
    return highest
