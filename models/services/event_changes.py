"""Revising and cancelling a reported event (OPI: "Revising Existing Events").

Every change leaves a row on the event's history (`EventRevision`: the fields with their
old and new values, who, how, when). Limits:
- hours never drop below what an attendee was already given (issued or queued): lowering
  a certificate's hours is a correction OPI makes (`pdu certificate reissue`);
- a start moved before the day the event was reported flags it late, as a late report is;
- an event is cancelled only while no certificate exists for it; its pending attendees go.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select

from models.enums import Channel
from models.events import Attendee, EventRevision, ProviderEvent
from models.services.context import ServiceContext
from models.services.errors import Conflict
from models.services.provider_events import EventFields, check_fields, get_event

EDITABLE = ("title", "start", "end", "hours", "locations", "description", "schedule")
_COLUMN = {"start": "start_date", "end": "end_date"}


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _current(event: ProviderEvent) -> EventFields:
    return EventFields(
        title=event.title,
        start=event.start_date,
        end=event.end_date,
        hours=Decimal(event.hours),
        format=event.format,
        locations=list(event.locations),
        description=event.description,
        schedule=event.schedule,
    )


def _require_open(event: ProviderEvent) -> None:
    if event.cancelled_at is not None:
        raise Conflict(f"event {event.id} was cancelled: it cannot be changed")


def _hours_given(ctx: ServiceContext, event: ProviderEvent) -> Decimal | None:
    """The most hours any attendee of the event holds or is about to receive."""
    given = ctx.session.scalar(
        select(func.max(Attendee.hours)).where(
            Attendee.event_id == event.id, Attendee.failure.is_(None)
        )
    )
    return Decimal(given) if given is not None else None


def revise_event(
    ctx: ServiceContext,
    event_id: int | str,
    *,
    provider_id: int | None,
    changed_by: str,
    channel: Channel,
    title: str,
    start: date,
    end: date,
    hours: str | Decimal,
    locations: Sequence[str],
    description: str | None,
    schedule: str | None,
) -> EventRevision | None:
    """Change an event's facts; None when nothing differs. Scoped to `provider_id` (None:
    staff, any provider)."""
    event = get_event(ctx.session, event_id, provider_id)
    _require_open(event)
    new = check_fields(
        title=title,
        start=start,
        end=end,
        hours=hours,
        format=event.format,
        locations=locations,
        description=description,
        schedule=schedule,
    )
    old = _current(event)
    changes = {
        name: [_text(getattr(old, name)), _text(getattr(new, name))]
        for name in EDITABLE
        if getattr(old, name) != getattr(new, name)
    }
    if not changes:
        return None
    given = _hours_given(ctx, event)
    if given is not None and new.hours < given:
        raise Conflict(
            f"attendees of this event already hold or are receiving certificates for up to "
            f"{_text(given)} hours, so its hours cannot go below that here; to correct "
            f"issued certificates, write to OPI ({ctx.settings.mail_address})"
        )
    for name in EDITABLE:
        setattr(event, _COLUMN.get(name, name), getattr(new, name))
    reported_on = event.reported_at.astimezone(ctx.tz).date()
    event.reported_late = event.reported_late or new.start < reported_on
    revision = EventRevision(
        event_id=event.id,
        action="revised",
        changes=changes,
        changed_by=changed_by,
        channel=channel,
        changed_at=ctx.now,
    )
    ctx.session.add(revision)
    ctx.session.flush()
    return revision


def cancel_event(
    ctx: ServiceContext,
    event_id: int | str,
    *,
    provider_id: int | None,
    changed_by: str,
    channel: Channel,
) -> ProviderEvent:
    """Withdraw an event that has no certificate; it stays on record, marked cancelled."""
    event = get_event(ctx.session, event_id, provider_id)
    _require_open(event)
    started = ctx.session.scalar(
        select(func.count())
        .select_from(Attendee)
        .where(
            Attendee.event_id == event.id,
            (Attendee.certificate_id.is_not(None)) | (Attendee.claimed_at.is_not(None)),
        )
    )
    if event.certificates_issued or started:
        raise Conflict(
            f"certificates were issued for event {event.id}, so it cannot be cancelled; "
            f"write to OPI ({ctx.settings.mail_address}) if it did not take place"
        )
    ctx.session.execute(delete(Attendee).where(Attendee.event_id == event.id))
    event.cancelled_at = ctx.now
    ctx.session.add(
        EventRevision(
            event_id=event.id,
            action="cancelled",
            changes={},
            changed_by=changed_by,
            channel=channel,
            changed_at=ctx.now,
        )
    )
    ctx.session.flush()
    return event


def event_history(
    ctx: ServiceContext, event_id: int | str, provider_id: int | None
) -> list[EventRevision]:
    event = get_event(ctx.session, event_id, provider_id)
    return list(
        ctx.session.scalars(
            select(EventRevision)
            .where(EventRevision.event_id == event.id)
            .order_by(EventRevision.changed_at, EventRevision.id)
        )
    )
