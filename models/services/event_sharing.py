"""Sharing a reported event on the Learning Opportunities Portal from the provider portal:
the event's facts fill the opportunity form, the user adds audience, cost, website and
contact, and the request takes the email request's path (rules, flags, OP- case, review)."""

from __future__ import annotations

from typing import Any

from models.accounts import ProviderAccount
from models.cases import Case
from models.events import EventFormat
from models.people import Person
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.provider_events import get_event
from models.services.request_cases import share_from_portal

# The portal's formats; a virtual conference is listed as virtual.
_FORMAT = {EventFormat.VIRTUAL_CONFERENCE: "virtual"}
EXTRA = ("description", "audience", "cost", "website", "contact_name", "contact_email",
         "contact_phone", "standards")  # fmt: skip


def share_defaults(
    ctx: ServiceContext, provider_id: int, event_id: int, account_id: int
) -> dict[str, str]:
    """What the form starts with: the event's description, the signed-in user as contact."""
    event = get_event(ctx.session, event_id, provider_id)
    account = ctx.session.get(ProviderAccount, account_id)
    person = ctx.session.get(Person, account.person_id) if account and account.person_id else None
    blank = dict.fromkeys(EXTRA, "") | {"description": event.description or ""}
    if person is None:
        return blank
    return blank | {"contact_name": person.full_name, "contact_email": person.email,
                    "contact_phone": person.phone or ""}  # fmt: skip


def share_event(
    ctx: ServiceContext, provider_id: int, event_id: int, account_id: int, extra: dict[str, str]
) -> tuple[Case | None, list[str]]:
    event = get_event(ctx.session, event_id, provider_id)
    provider = ctx.session.get(Provider, provider_id)
    account = ctx.session.get(ProviderAccount, account_id)
    person = ctx.session.get(Person, account.person_id) if account and account.person_id else None
    assert provider is not None and person is not None
    self_paced = event.format is EventFormat.SELF_PACED
    data: dict[str, Any] = {
        "title": event.title,
        "description": event.description or "",
        "format": _FORMAT.get(event.format, event.format.value),
        "start_date": None if self_paced else event.start_date.isoformat(),
        "end_date": None if self_paced else event.end_date.isoformat(),
        "location": "; ".join(p for p in event.locations if p != "online") or None,
    }
    data |= {k: v.strip() for k, v in extra.items() if k in EXTRA}
    # A blank answer is a missing one (the form's own words: "is missing (...)").
    present = {k: v for k, v in data.items() if v}
    return share_from_portal(ctx, provider, person.email, present)
