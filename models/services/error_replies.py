"""Error replies: only to known parties, at most once a day per address and reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import Case
from models.messages import ErrorReply
from models.people import Person, Staff
from models.services.outbox import enqueue
from models.settings import Settings


def is_known_party(session: Session, address: str) -> bool:
    return (
        session.scalar(select(Person.id).where(Person.email == address)) is not None
        or session.scalar(select(Staff.id).where(Staff.email == address)) is not None
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
