"""Error replies: only to known parties, at most once a day per address and reason.

A refused message gets one reply saying why (`refuse` for a command, `problems_reply` for a
form, listing every problem at once) and is recorded as refused.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from mailbox.commands import HELP_TEXT
from mailbox.parse import ParsedMessage
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import Case
from models.enums import InboundOutcome
from models.messages import ErrorReply
from models.people import Person
from models.provider_requests import RequestSpec, render_request_form
from models.services.context import ServiceContext
from models.services.email.handled import Handled
from models.services.outbox import enqueue
from models.services.staff import staff_by_address
from models.settings import Settings


def is_known_party(session: Session, address: str) -> bool:
    return (
        staff_by_address(session, address) is not None
        or session.scalar(select(Person.id).where(Person.email == address)) is not None
    )


def reply_once_a_day(
    session: Session,
    settings: Settings,
    *,
    address: str,
    reason: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
    case: Case | None = None,
    in_reply_to: str | None = None,
    require_known: bool = True,
) -> bool:
    """Queue the reply unless this address already had one for this reason today."""
    if require_known and not is_known_party(session, address):
        return False
    day = now.astimezone(ZoneInfo(settings.timezone)).date()
    if case is not None:  # a mistake on each case deserves its own explanation
        reason = f"{reason}:{case.reference}"[:48]
    already = session.scalar(
        select(ErrorReply.id).where(
            ErrorReply.address == address, ErrorReply.reason == reason, ErrorReply.day == day
        )
    )
    if already is not None:
        return False
    session.add(ErrorReply(address=address, reason=reason, day=day))
    enqueue(
        session,
        settings,
        template=template,
        to=[address],
        context=context,
        now=now,
        case=case,
        in_reply_to=in_reply_to,
    )
    return True


def refuse(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    reason: str,
    message: str,
    case: Case | None = None,
    template: str = "command_error",
) -> Handled:
    sender = parsed.from_address
    if sender:
        context: dict[str, Any] = {
            "problem": message,
            "help_text": HELP_TEXT,
            "reference": case.reference if case else None,
            "expects_reply": False,
            "subject": parsed.subject or "",
        }
        reply_once_a_day(
            ctx.session,
            ctx.settings,
            address=sender,
            reason=reason,
            template=template,
            context=context,
            now=ctx.now,
            case=case,
            in_reply_to=parsed.message_id,
        )
    return Handled(InboundOutcome.REFUSED, reason, message, case.id if case else None)


def problems_reply(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    problems: list[str],
    reason: str,
    template: str,
    context: dict[str, Any],
) -> Handled:
    """Refuse a form: ONE reply listing every problem (the same problems at most once a day
    to the same sender), and the problems recorded as the message's outcome."""
    sender = parsed.from_address or ""
    fingerprint = hashlib.sha256("\n".join(problems).encode()).hexdigest()[:12]
    reply_once_a_day(
        ctx.session,
        ctx.settings,
        address=sender,
        reason=f"{reason}:{fingerprint}",
        template=template,
        require_known=False,
        now=ctx.now,
        in_reply_to=parsed.message_id,
        context={"problems": problems, "expects_reply": False, "reference": None} | context,
    )
    return Handled(InboundOutcome.REFUSED, reason, "; ".join(problems)[:2000], sender=sender)


def refuse_request(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    spec: RequestSpec,
    data: dict[str, Any],
    problems: list[str],
    reason: str,
) -> Handled:
    """ONE reply listing every problem, with the form as sent, ready to correct."""
    context = {
        "request_subject": spec.subject,
        "request_purpose": spec.purpose,
        "form_text": render_request_form(spec, data),
        "reviewed": spec.reviewed,
    }
    return problems_reply(ctx, parsed, problems, reason, "provider_request_problems", context)
