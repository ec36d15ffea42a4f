"""Attendee rosters (CSV) of an approved provider's event: read, checked line by line.

Every problem is reported with its line number at once, so a provider fixes the file in
one go. The header is `first_name,last_name,email,license_number,hours` (any order, any
case); hours may be partial, up to the event's. A person is their license number: the
same one twice in a file is skipped when the lines agree and an error when they differ;
one already on the event's roster is skipped, never issued twice.
"""

from __future__ import annotations

import _csv  # the reader's class: csv does not name it before 3.12
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.events import Attendee, ProviderEvent
from models.people import Person
from models.services.errors import UserError
from models.services.validation import clean_email
from models.transcript import normalize_license

COLUMNS = ("first_name", "last_name", "email", "license_number", "hours")
MAX_ROWS = 5000  # Accredible's and Credly's bulk limit: a conference, not a state
MAX_NAME = 100
MAX_BYTES = 5 * 1024 * 1024
_LICENSE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
_HOURS = re.compile(r"\d{1,4}(\.\d{1,2})?|\.\d{1,2}")


@dataclass(frozen=True)
class RosterRow:
    line: int
    first_name: str
    last_name: str
    email: str
    license_number: str
    hours: Decimal

    @property
    def same_as(self) -> tuple[str, str, str, Decimal]:
        return (self.first_name, self.last_name, self.email, self.hours)


@dataclass(frozen=True)
class Problem:
    line: int  # 1 is the header; 0: the file as a whole
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Skip:
    line: int
    license_number: str
    reason: str


@dataclass
class Roster:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)  # attendee ids issued again

    @property
    def ok(self) -> bool:
        return not self.problems


# --- Reading the file (pure) ---------------------------------------------------------------


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise UserError(
            f'line {line}: the roster is not UTF-8 text; save it as "CSV UTF-8" '
            "(names with accents would otherwise come out wrong)"
        ) from None


def _clean_name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def parse(content: bytes, max_hours: Decimal) -> Roster:
    """The rows of a roster file and every problem in it, by line number."""
    if len(content) > MAX_BYTES:
        raise UserError(f"the roster is larger than {MAX_BYTES // (1024 * 1024)} MB")
    roster = Roster()
    reader = csv.reader(io.StringIO(_decode(content), newline=""), strict=True)
    header_line, header = _header(reader, roster)
    if header is None:
        return roster
    seen: dict[str, RosterRow] = {}
    emails: dict[str, RosterRow] = {}
    line = header_line
    count = 0
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            count += 1
            if count > MAX_ROWS:
                roster.problems.append(Problem(start, f"more than {MAX_ROWS} attendees: split it"))
                break
            row = _row(start, record, header, max_hours, roster)
            if row is not None:
                _deduplicate(row, seen, emails, roster)
    except csv.Error as exc:
        roster.problems.append(Problem(reader.line_num, f"not valid CSV ({exc})"))
    if not roster.rows and roster.ok and not roster.skipped:
        roster.problems.append(Problem(0, "the roster has no attendees"))
    return roster


def _header(reader: _csv.Reader, roster: Roster) -> tuple[int, dict[str, int] | None]:
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        names = [cell.strip().lower().replace(" ", "_") for cell in record]
        line = reader.line_num
        missing = [c for c in COLUMNS if c not in names]
        unknown = [n for n in names if n not in COLUMNS]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if missing or unknown or doubled:
            parts = []
            if missing:
                parts.append(f"missing column(s) {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown column(s) {', '.join(unknown)}")
            if doubled:
                parts.append(f"repeated column(s) {', '.join(doubled)}")
            roster.problems.append(
                Problem(line, f"{'; '.join(parts)} (the header is {','.join(COLUMNS)})")
            )
            return line, None
        return line, {name: names.index(name) for name in COLUMNS}
    roster.problems.append(Problem(0, f"the roster is empty (the header is {','.join(COLUMNS)})"))
    return 0, None


def _row(
    line: int, record: list[str], header: dict[str, int], max_hours: Decimal, roster: Roster
) -> RosterRow | None:
    if len(record) != len(header):
        roster.problems.append(
            Problem(line, f"{len(record)} fields where the header has {len(header)}")
        )
        return None
    cell = {name: record[index].strip() for name, index in header.items()}
    problems: list[str] = []
    names = {}
    for column in ("first_name", "last_name"):
        names[column] = _clean_name(cell[column])
        if not names[column]:
            problems.append(f"{column} is empty")
        elif len(names[column]) > MAX_NAME:
            problems.append(f"{column} is longer than {MAX_NAME} characters")
        elif any(unicodedata.category(ch).startswith("C") for ch in names[column]):
            problems.append(f"{column} holds control characters")
    email = ""
    if not cell["email"]:
        problems.append("email is empty")
    else:
        try:
            email = clean_email(cell["email"])
        except UserError:
            problems.append(f"email {cell['email']!r} is not a valid address")
    license_number = normalize_license(cell["license_number"])
    if not license_number:
        problems.append("license_number is empty")
    elif not _LICENSE.fullmatch(license_number):
        problems.append(f"license_number {cell['license_number']!r} is not a license number")
    hours = _hours(cell["hours"], max_hours, problems)
    if problems:
        roster.problems.append(Problem(line, "; ".join(problems)))
        return None
    assert hours is not None
    return RosterRow(line, names["first_name"], names["last_name"], email, license_number, hours)


def _hours(text: str, max_hours: Decimal, problems: list[str]) -> Decimal | None:
    if not text:
        problems.append("hours is empty")
        return None
    if not _HOURS.fullmatch(text):
        problems.append(f"hours {text!r} is not a number like 6 or 6.5 (two decimals at most)")
        return None
    try:
        hours = Decimal(text)
    except InvalidOperation:  # pragma: no cover (the pattern admits only numbers)
        problems.append(f"hours {text!r} is not a number")
        return None
    if hours <= 0:
        problems.append("hours must be more than 0")
    elif hours > max_hours:
        problems.append(f"hours {text} is more than the event's {max_hours.normalize():f}")
    else:
        return hours
    return None


def _deduplicate(
    row: RosterRow, seen: dict[str, RosterRow], emails: dict[str, RosterRow], roster: Roster
) -> None:
    first = seen.get(row.license_number)
    if first is not None:
        if first.same_as == row.same_as:
            roster.skipped.append(
                Skip(row.line, row.license_number, f"duplicate of line {first.line}")
            )
        else:
            roster.problems.append(
                Problem(
                    row.line,
                    f"license number {row.license_number} is also on line {first.line} "
                    "with different details: keep one line per person",
                )
            )
        return
    other = emails.get(row.email)
    if other is not None:
        roster.problems.append(
            Problem(
                row.line,
                f"email {row.email} is also on line {other.line} for another license number",
            )
        )
        return
    seen[row.license_number] = row
    emails[row.email] = row
    roster.rows.append(row)


# --- Against the database --------------------------------------------------------------------


def check_against_event(session: Session, event: ProviderEvent, roster: Roster) -> Roster:
    """Drop people already on the event's roster (skipped: never issued twice), re-queue
    the ones whose certificate failed before, and refuse an email that belongs to an
    educator with another license number."""
    existing = {
        a.license_number: a
        for a in session.scalars(select(Attendee).where(Attendee.event_id == event.id))
    }
    by_email = {a.email: a for a in existing.values()}
    people = _people(session, [r.email for r in roster.rows])
    kept: list[RosterRow] = []
    for row in roster.rows:
        attendee = existing.get(row.license_number)
        if attendee is not None and attendee.failure is None:
            if attendee.certificate_id is not None:
                number = attendee.certificate_number
                roster.skipped.append(
                    Skip(row.line, row.license_number, f"already issued ({number})")
                )
            else:
                roster.skipped.append(
                    Skip(row.line, row.license_number, "already on the roster, being issued")
                )
            continue
        other = by_email.get(row.email)
        if other is not None and other.license_number != row.license_number:
            roster.problems.append(
                Problem(
                    row.line,
                    f"email {row.email} is on this event's roster for another license number",
                )
            )
            continue
        person = people.get(row.email)
        if (
            person is not None
            and person.license_number
            and normalize_license(person.license_number) != row.license_number
        ):
            roster.problems.append(
                Problem(
                    row.line,
                    f"email {row.email} belongs to an educator with another license number",
                )
            )
            continue
        kept.append(row)
    roster.rows = kept
    return roster


def _people(session: Session, emails: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(emails), 500):  # stay under every database's parameter limit
        chunk = emails[start : start + 500]
        for person in session.scalars(select(Person).where(Person.email.in_(chunk))):
            found[person.email] = person
    return found


def add_attendees(session: Session, event: ProviderEvent, roster: Roster, now: datetime) -> int:
    """Add the roster's people to the event as pending attendees; returns how many. A
    person whose earlier certificate failed is queued again with the new line's details."""
    people = _people(session, [r.email for r in roster.rows])
    failed = {
        a.license_number: a
        for a in session.scalars(
            select(Attendee).where(Attendee.event_id == event.id, Attendee.failure.is_not(None))
        )
    }
    for row in roster.rows:
        person = people.get(row.email)
        if person is None:
            person = Person(
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
                license_number=row.license_number,
                created_at=now,
            )
            session.add(person)
            people[row.email] = person
        elif not person.license_number:
            person.license_number = row.license_number
        attendee = failed.get(row.license_number)
        if attendee is None:
            attendee = Attendee(event=event, created_at=now)
            session.add(attendee)
        else:
            attendee.failure = None
            roster.requeued.append(attendee.id)
        attendee.line = row.line
        attendee.first_name = row.first_name
        attendee.last_name = row.last_name
        attendee.email = row.email
        attendee.license_number = row.license_number
        attendee.hours = row.hours
        attendee.person = person
    session.flush()
    return len(roster.rows)
