"""providers.csv: the directory with the numbers and approval dates providers know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from models.enums import ProviderKind, ProviderStatus
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.legacy_files import Known, LegacyReport, Line, local_noon, parsed
from models.triage import normalize_org_name

FILE = "providers.csv"
COLUMNS = ("number", "name", "kind", "email", "approved_on")
OPTIONAL_COLUMNS = ("contact_name", "phone", "address", "website")


@dataclass(frozen=True)
class ProviderRow:
    line: Line
    number: str
    name: str
    kind: ProviderKind
    email: str
    approved_on: date


def _row(line: Line) -> ProviderRow:
    number = line.number_in("number", "a provider number")
    name = line.name("name")
    try:
        kind = ProviderKind(line.get("kind").lower() or "other")
    except ValueError:
        raise UserError(f"unknown kind {line.get('kind')!r}") from None
    return ProviderRow(line, number, name, kind, line.email(), line.day("approved_on"))


def check(
    ctx: ServiceContext, lines: list[Line], known: Known, report: LegacyReport
) -> list[ProviderRow]:
    """Rows to add; rows already here (same number and name) are reported as present."""
    by_number = {p.number: p for p in ctx.session.scalars(select(Provider))}
    by_name = {p.normalized_name: p for p in by_number.values()}
    known.providers.update(by_number)
    seen_numbers: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    additions = []
    for row in parsed(lines, _row, report):
        key = normalize_org_name(row.name)
        if row.number in seen_numbers or key in seen_names:
            first = seen_numbers.get(row.number) or seen_names.get(key)
            report.problem(row.line, f"the same provider as line {first}")
            continue
        seen_numbers[row.number], seen_names[key] = row.line.number, row.line.number
        here = by_number.get(row.number)
        if here is not None and here.normalized_name == key:
            report.matched(row.line, f"{row.number} {row.name}")
            continue
        if here is not None:
            report.refuse(
                row.line,
                f"{row.number} is already this system's number for {here.name!r}: "
                "refused (legacy numbers are never renumbered)",
            )
            continue
        named = by_name.get(key)
        if named is not None:
            report.problem(row.line, f"{row.name!r} is already in the directory as {named.number}")
            continue
        known.providers.add(row.number)
        additions.append(row)
    return additions


def add(ctx: ServiceContext, rows: list[ProviderRow]) -> None:
    for row in rows:
        extra = {k: row.line.optional(k) for k in OPTIONAL_COLUMNS}
        ctx.session.add(
            Provider(
                number=row.number,
                name=row.name,
                normalized_name=normalize_org_name(row.name),
                kind=row.kind,
                contact_name=extra["contact_name"],
                contact_email=row.email,
                contact_phone=extra["phone"],
                address=extra["address"],
                website=extra["website"],
                # The approval day as a local noon: a date, not an instant, in the old system.
                approved_at=local_noon(row.approved_on, ctx.tz),
                created_at=ctx.now,
                status=ProviderStatus.APPROVED,
            )
        )
    ctx.session.flush()


def providers_by_number(ctx: ServiceContext) -> dict[str, Provider]:
    return {p.number: p for p in ctx.session.scalars(select(Provider))}
