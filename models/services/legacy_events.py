"""events.csv: activities providers reported to the old system, under its event ids.

Checked as a report today is (models.services.provider_events.check_fields: self-paced
ones included), but not refused for having started: they are history. Each keeps the old
system's id, scoped by its provider, so certificates.csv can name it and a second run
finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models.enums import Channel
from models.events import ProviderEvent
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.legacy_files import Known, LegacyReport, Line, local_noon, parsed
from models.services.legacy_providers import providers_by_number
from models.services.provider_events import EventFields, check_fields

FILE = "events.csv"
COLUMNS = ("event_id", "provider", "title", "start_date", "end_date", "hours")


@dataclass(frozen=True)
class EventRow:
    line: Line
    legacy_id: str
    provider: str  # number
    fields: EventFields
    reported_at: datetime | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.legacy_id)


def _row(line: Line, ctx: ServiceContext) -> EventRow:
    start = line.day("start_date")
    fields = check_fields(
        title=line.required("title"),
        start=start,
        end=line.optional_day("end_date") or start,
        hours=line.get("hours"),
        format=line.get("format") or "in_person",
        locations=[p for p in line.get("location").split(";") if p.strip()],
        description=line.optional("description"),
        schedule=None,
    )
    reported = line.optional_day("reported_on")
    return EventRow(
        line,
        line.number_in("event_id", "an event id", longest=40),
        line.number_in("provider", "a provider number"),
        fields,
        local_noon(reported, ctx.tz) if reported else None,
    )


def check(
    ctx: ServiceContext, lines: list[Line], known: Known, report: LegacyReport
) -> list[EventRow]:
    here = {
        (number, legacy_id): title
        for number, legacy_id, title in ctx.session.execute(
            select(Provider.number, ProviderEvent.legacy_id, ProviderEvent.title)
            .join(Provider, Provider.id == ProviderEvent.provider_id)
            .where(ProviderEvent.legacy_id.is_not(None))
        )
    }
    known.events.update(here)
    seen: dict[tuple[str, str], int] = {}
    additions = []
    for row in parsed(lines, lambda line: _row(line, ctx), report):
        if row.key in seen:
            report.problem(row.line, f"event {row.legacy_id} of {row.provider} is also on line "
                           f"{seen[row.key]}")  # fmt: skip
            continue
        seen[row.key] = row.line.number
        if row.provider not in known.providers:
            report.problem(row.line, f"no provider {row.provider} here or in providers.csv")
            continue
        if row.key in here:
            report.matched(row.line, f"event {row.legacy_id} of {row.provider}")
            continue
        known.events.add(row.key)
        additions.append(row)
    return additions


def add(ctx: ServiceContext, rows: list[EventRow]) -> None:
    providers = providers_by_number(ctx)
    for row in rows:
        f = row.fields
        reported_at = row.reported_at or local_noon(f.start, ctx.tz)
        ctx.session.add(
            ProviderEvent(
                provider_id=providers[row.provider].id,
                legacy_id=row.legacy_id,
                title=f.title,
                description=f.description,
                start_date=f.start,
                end_date=f.end,
                hours=f.hours,
                format=f.format,
                locations=f.locations,
                schedule=f.schedule,
                channel=Channel.CLI,
                reported_at=reported_at,
                reported_late=reported_at.astimezone(ctx.tz).date() > f.start,
                certificates_issued=0,
            )
        )
    ctx.session.flush()


def events_by_key(ctx: ServiceContext) -> dict[tuple[str, str], ProviderEvent]:
    """Every imported event by (provider number, legacy id)."""
    rows = ctx.session.execute(
        select(Provider.number, ProviderEvent)
        .join(Provider, Provider.id == ProviderEvent.provider_id)
        .where(ProviderEvent.legacy_id.is_not(None))
    )
    return {(number, event.legacy_id or ""): event for number, event in rows}
