"""A provider's attendee roster by email: the reply to the "activity recorded" email (or a
message to the office address naming the event in its subject) with the roster CSV
attached. The same checks as `pdu provider issue` and the portal; one answer: every
problem by line (nothing issued), or, once issued, the count (`roster_issued`).

Who may send one: an address of the event's provider (its accounts, its directory
contact), DMARC-aligned when `PDU_TRUSTED_AUTHSERV_ID` is set; anyone else is told, in
words that do not reveal whether the event exists. The CSV is read only here: everywhere
else attachments stay PDF, JPEG, PNG and JSON (mailbox.attachments).
"""

from __future__ import annotations

import re
from mailbox.classify import dmarc_pass
from mailbox.parse import ParsedMessage, csv_files

from sqlalchemy import select

from models.enums import Channel, InboundOutcome
from models.events import ProviderEvent
from models.people import Person
from models.services.batches import Requester, batch_starter, tell_requester_now
from models.services.casework import upsert_person
from models.services.context import ServiceContext
from models.services.email.handled import Handled
from models.services.email.replies import problems_reply
from models.services.errors import UserError
from models.services.provider_accounts import provider_addresses
from models.services.provider_events import take_roster
from models.services.roster import MAX_BYTES

# "Re: Activity recorded as event 12: …", "Roster for event #12", "Event ID 12".
EVENT_IN_SUBJECT = re.compile(r"\bevent\s*(?:id\s*)?(?:#|no\.?\s*)?:?\s*(\d{1,9})\b", re.I)


def event_named(subject: str) -> int | None:
    match = EVENT_IN_SUBJECT.search(subject)
    return int(match.group(1)) if match else None


def roster_from_email(ctx: ServiceContext, parsed: ParsedMessage, raw: bytes) -> Handled | None:
    """The message's verdict when it is a roster (a CSV attached, an event named in the
    subject); None when it is not one, for the other rules to decide."""
    event_id = event_named(parsed.subject or "")
    if event_id is None:
        return None
    files = csv_files(raw, max_bytes=MAX_BYTES)
    if not files:
        return None
    sender = (parsed.from_address or "").lower()
    event = ctx.session.get(ProviderEvent, event_id)
    if event is None or sender not in provider_addresses(ctx.session, event.provider):
        return _refuse(
            ctx, parsed, f"event {event_id}", "roster_sender_not_allowed",
            [f"a roster is accepted only from an address of the account of the event's "
             f"provider, and {sender} is not one for event {event_id}: send it from your "
             "provider account's address, or upload it in the provider portal"],
        )  # fmt: skip
    label = f"event {event.id}: {event.title}"
    trusted = ctx.settings.trusted_authserv_id
    if trusted and not dmarc_pass(parsed, trusted):
        problem = (
            f"we could not confirm that this email came from {sender} (its domain did not "
            "pass DMARC at our server), so nothing was issued"
        )
        return _refuse(ctx, parsed, label, "roster_not_authenticated", [problem])
    if len(files) > 1:
        names = ", ".join(name for name, _ in files)
        problem = f"attach one roster per email ({len(files)} CSV files came: {names})"
        return _refuse(ctx, parsed, label, "roster_several_files", [problem])
    requester = Requester(sender, _person(ctx, sender, event).id, Channel.EMAIL, parsed.message_id)
    try:
        result = take_roster(ctx, event.id, files[0][1], start_batch=batch_starter(requester))
    except UserError as exc:
        return _refuse(ctx, parsed, label, "roster_invalid", [str(exc)])
    if result.roster.problems:
        problems = [str(p) for p in result.roster.problems]
        return _refuse(ctx, parsed, label, "roster_invalid", problems)
    if result.batch_id is None:  # everyone already on the roster: say so now
        tell_requester_now(ctx, event, requester, skipped=len(result.roster.skipped))
    detail = f"event {event.id}: {result.queued} queued, {len(result.roster.skipped)} skipped"
    return Handled(InboundOutcome.SUBMISSION, "roster_accepted", detail, sender=sender)


def _person(ctx: ServiceContext, sender: str, event: ProviderEvent) -> Person:
    """Whom the result is written to: the sender (a directory contact may have no record)."""
    person = ctx.session.scalar(select(Person).where(Person.email == sender))
    if person is not None:
        return person
    first, _, last = (event.provider.contact_name or "").partition(" ")
    person = upsert_person(ctx, sender, first, last)
    ctx.session.flush()
    return person


def _refuse(
    ctx: ServiceContext, parsed: ParsedMessage, label: str, reason: str, problems: list[str]
) -> Handled:
    return problems_reply(
        ctx, parsed, problems, reason, "roster_problems", {"event_label": label}
    )
