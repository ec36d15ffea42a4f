"""Bringing the old system's provider directory in: `pdu import legacy DIR`.

This version reads `providers.csv` (docs/migration.md): each provider keeps the number and
approval date it already has. A dry run by default (counts, every problem with file and
line, what matches records already present); `execute` imports all or nothing in the
caller's one transaction, and running it twice adds nothing. A legacy number this system
already gave to another provider is refused, never renumbered.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import select

from models.enums import ProviderKind, ProviderStatus
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.validation import clean_email
from models.triage import normalize_org_name

PROVIDER_COLUMNS = ("number", "name", "kind", "email", "approved_on")
OPTIONAL_COLUMNS = ("contact_name", "phone", "address", "website")
KNOWN_FILES = ("providers.csv",)
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")


@dataclass
class LegacyReport:
    executed: bool = False
    rows: dict[str, int] = field(default_factory=dict)  # file -> data rows read
    new: dict[str, int] = field(default_factory=dict)  # file -> rows that would be added
    present: list[str] = field(default_factory=list)  # matched to records already here
    problems: list[str] = field(default_factory=list)  # "providers.csv line 4: ..."
    not_read: list[str] = field(default_factory=list)  # CSV files this version skips


@dataclass(frozen=True)
class _Row:
    line: int
    number: str
    name: str
    kind: ProviderKind
    email: str
    approved_on: date
    extra: dict[str, str | None]


def import_legacy(ctx: ServiceContext, directory: Path, *, execute: bool) -> LegacyReport:
    if not directory.is_dir():
        raise UserError(f"{directory} is not a directory")
    report = LegacyReport()
    report.not_read = sorted(p.name for p in directory.glob("*.csv") if p.name not in KNOWN_FILES)
    path = directory / "providers.csv"
    if not path.exists():
        raise UserError(f"{directory} has no providers.csv (see docs/migration.md)")
    rows = _read_providers(path, report)
    additions = _match(ctx, rows, report)
    report.new["providers.csv"] = len(additions)
    if execute and not report.problems:
        for row in additions:
            ctx.session.add(_provider(ctx, row))
        ctx.session.flush()
        report.executed = True
    return report


def _read_providers(path: Path, report: LegacyReport) -> list[_Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in PROVIDER_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(f"{path.name}: missing column(s) {', '.join(missing)}")
            raw = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    report.rows[path.name] = len(raw)
    rows = []
    for line, values in enumerate(raw, start=2):
        problem, row = _row(line, values)
        if problem:
            report.problems.append(f"{path.name} line {line}: {problem}")
        elif row is not None:
            rows.append(row)
    return rows


def _row(line: int, values: dict[str, str]) -> tuple[str | None, _Row | None]:
    cell = {k: (v or "").strip() for k, v in values.items() if k}
    number, name = cell.get("number", "").upper(), " ".join(cell.get("name", "").split())
    if not _NUMBER.match(number):
        return f"the number {cell.get('number')!r} is not a provider number", None
    if not name:
        return "no name", None
    try:
        kind = ProviderKind(cell.get("kind", "").lower() or "other")
    except ValueError:
        return f"unknown kind {cell.get('kind')!r}", None
    try:
        email = clean_email(cell.get("email", ""))
    except UserError as exc:
        return str(exc), None
    try:
        approved_on = date.fromisoformat(cell.get("approved_on", ""))
    except ValueError:
        return f"approved_on {cell.get('approved_on')!r} is not a date like 2019-08-15", None
    extra = {k: cell.get(k) or None for k in OPTIONAL_COLUMNS}
    return None, _Row(line, number, name, kind, email, approved_on, extra)


def _match(ctx: ServiceContext, rows: list[_Row], report: LegacyReport) -> list[_Row]:
    """Rows to add; rows already here (same number and name) are reported as present."""
    by_number = {p.number: p for p in ctx.session.scalars(select(Provider))}
    by_name = {p.normalized_name: p for p in by_number.values()}
    seen_numbers: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    additions = []
    for row in rows:
        where = f"providers.csv line {row.line}"
        key = normalize_org_name(row.name)
        if row.number in seen_numbers or key in seen_names:
            first = seen_numbers.get(row.number) or seen_names.get(key)
            report.problems.append(f"{where}: the same provider as line {first}")
            continue
        seen_numbers[row.number], seen_names[key] = row.line, row.line
        here = by_number.get(row.number)
        if here is not None and here.normalized_name == key:
            report.present.append(f"{where}: {row.number} {row.name} (already imported)")
            continue
        if here is not None:
            report.problems.append(
                f"{where}: {row.number} is already this system's number for {here.name!r}: "
                "refused (legacy numbers are never renumbered)"
            )
            continue
        named = by_name.get(key)
        if named is not None:
            report.problems.append(
                f"{where}: {row.name!r} is already in the directory as {named.number}"
            )
            continue
        additions.append(row)
    return additions


def _provider(ctx: ServiceContext, row: _Row) -> Provider:
    # The approval day as a local noon: a date, not an instant, in the old system.
    approved_at = datetime.combine(row.approved_on, time(12), tzinfo=ctx.tz)
    return Provider(
        number=row.number,
        name=row.name,
        normalized_name=normalize_org_name(row.name),
        kind=row.kind,
        contact_name=row.extra["contact_name"],
        contact_email=row.email,
        contact_phone=row.extra["phone"],
        address=row.extra["address"],
        website=row.extra["website"],
        approved_at=approved_at,
        created_at=ctx.now,
        status=ProviderStatus.APPROVED,
    )
