"""An approved provider reports an activity by email: it becomes an event at once.

The email path of `pdu provider event add`. Recognised, read and checked as a provider
request (`models.services.email.requests`, first line `PDU provider activity report` or the
subject keyword `Activity report`); this module adds who may report and the recording.

Who may report: only an address on the provider's account or its directory contact
(nobody reports for someone else by email). With `PDU_TRUSTED_AUTHSERV_ID` set the From
must also pass DMARC: nothing reviews a report, so a From that may be forged records
nothing. Anything refused gets one reply saying why and changes nothing. The same report
sent again records nothing new; its sender is told the event id again.
"""

from __future__ import annotations

from decimal import Decimal
from mailbox.classify import dmarc_pass
from mailbox.parse import ParsedMessage
from typing import Any

from sqlalchemy import select

from models.activity_reports import ActivityReport, locations
from models.enums import Channel, InboundOutcome
from models.events import ISSUE_DURING, EventFormat, ProviderEvent
from models.provider_requests import SPECS, RequestSpec, RequestType
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.email.handled import Handled
from models.services.email.replies import refuse_request, reply_once_a_day
from models.services.errors import UserError
from models.services.outbox import enqueue
from models.services.provider_accounts import provider_addresses
from models.services.provider_events import add_event


def report_from_email(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    spec: RequestSpec,
    data: dict[str, Any],
    report: ActivityReport,
    provider: Provider,
) -> Handled:
    """Record the event and tell the sender its id (one transaction), or refuse."""
    sender = (parsed.from_address or "").lower()
    if sender not in provider_addresses(ctx.session, provider):
        access = SPECS[RequestType.ACCESS].subject
        problem = (
            f"an activity of {provider.name} is reported from an address on its provider "
            f"account or its directory contact, and {sender} is neither: nobody can report "
            "for someone else by email. Send it from your account's address, or ask your "
            f"account manager for access first (subject: {access})"
        )
        return refuse_request(ctx, parsed, spec, data, [problem], "sender_not_allowed")
    trusted = ctx.settings.trusted_authserv_id
    if trusted and not dmarc_pass(parsed, trusted):
        problem = (
            f"we could not confirm that this email came from {sender} (its sender's domain "
            "did not pass DMARC at our server), so nothing was recorded. Send it again from "
            "your organization's usual mail system"
        )
        return refuse_request(ctx, parsed, spec, data, [problem], "sender_not_authenticated")

    end = report.end_date or report.start_date  # self-paced: runs from its start
    existing = _same_event(ctx, provider, report, end)
    if existing is not None:
        # A report sent twice is one event; at most one reminder of its id a day.
        reply_once_a_day(
            ctx.session,
            ctx.settings,
            address=sender,
            reason=f"activity_reported:{existing.id}",
            template="activity_recorded",
            require_known=False,
            now=ctx.now,
            in_reply_to=parsed.message_id,
            context=_context(existing, already_recorded=True),
        )
        return Handled(
            InboundOutcome.SUBMISSION, "duplicate_report", f"event {existing.id}", sender=sender
        )
    try:
        event = add_event(
            ctx,
            provider.number,
            title=report.title,
            start=report.start_date,
            end=end,
            hours=report.hours,
            format=report.format,
            locations=locations(report),
            description=report.description,
            schedule=report.schedule,
            channel=Channel.EMAIL,
        )
    except UserError as exc:  # the form's rules should have caught it: say it plainly
        return refuse_request(ctx, parsed, spec, data, [str(exc)], "form_invalid")
    enqueue(
        ctx.session,
        ctx.settings,
        template="activity_recorded",
        to=[sender],
        context=_context(event, already_recorded=False),
        now=ctx.now,
        in_reply_to=parsed.message_id,
    )
    return Handled(InboundOutcome.SUBMISSION, "event_recorded", f"event {event.id}", sender=sender)


def _same_event(
    ctx: ServiceContext, provider: Provider, report: ActivityReport, end: Any
) -> ProviderEvent | None:
    title = " ".join(report.title.split())
    return ctx.session.scalar(
        select(ProviderEvent)
        .where(
            ProviderEvent.provider_id == provider.id,
            ProviderEvent.title == title,  # as add_event stores it
            ProviderEvent.start_date == report.start_date,
            ProviderEvent.end_date == end,
            ProviderEvent.hours == report.hours,
            ProviderEvent.format == EventFormat(report.format),
        )
        .order_by(ProviderEvent.id)
        .limit(1)
    )


def _context(event: ProviderEvent, *, already_recorded: bool) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "title": event.title,
        "provider_name": event.provider.name,
        "provider_number": event.provider.number,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "hours": Decimal(event.hours),
        "format_label": event.format.label,
        "issue_during": event.format in ISSUE_DURING,
        "locations": list(event.locations),
        "schedule": event.schedule,
        "reported_late": event.reported_late,
        "already_recorded": already_recorded,
        "expects_reply": False,
        "reference": None,
    }
