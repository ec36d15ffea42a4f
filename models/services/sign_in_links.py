"""Educators sign in by an emailed link: asking for one, and redeeming it.

Every address typed gets the same treatment, known or not: a link is stored and emailed
(through the outbox, in this transaction). An address with no request or certificate simply
finds nothing once signed in; so the answer, the work done and its timing cannot tell
whether an address is known. Throttled per address and per client address, counted in the
database (`models.sign_in_links`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.outbox import enqueue
from models.services.validation import clean_email
from models.sign_in_links import (
    LINK_TTL,
    THROTTLE,
    SignInLink,
    Throttle,
    client_hash,
    link_hash,
    new_link_token,
)

KEEP = timedelta(days=1)  # a link's row, used or not, is deleted a day after it was asked


class LinkRefused(UserError):
    """The link cannot sign anyone in (unknown, used, expired or superseded)."""


@dataclass(frozen=True)
class LinkAsked:
    sent: bool  # False: throttled, nothing stored or sent
    retry_after_minutes: int = 0


def sign_in_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/me/sign-in/{token}"


def _asked_since(
    ctx: ServiceContext, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    query = select(func.count()).where(column == value, SignInLink.created_at > since)
    return ctx.session.scalar(query) or 0


def request_sign_in_link(
    ctx: ServiceContext, email: str, client: str, throttle: Throttle = THROTTLE
) -> LinkAsked:
    """Email a single-use sign-in link to `email` (older links of the address are void)."""
    address = clean_email(email)
    client_key = client_hash(ctx.settings.secret_key, client)
    # Housekeeping: rows hold addresses, and past the throttle's window they serve nothing.
    ctx.session.execute(delete(SignInLink).where(SignInLink.created_at < ctx.now - KEEP))
    since = ctx.now - throttle.window
    if (
        _asked_since(ctx, SignInLink.email, address, since) >= throttle.per_address
        or _asked_since(ctx, SignInLink.client, client_key, since) >= throttle.per_client
    ):
        return LinkAsked(False, int(throttle.window.total_seconds() // 60))
    ctx.session.execute(
        update(SignInLink)
        .where(SignInLink.email == address, SignInLink.used_at.is_(None))
        .where(SignInLink.voided_at.is_(None))
        .values(voided_at=ctx.now)
    )
    token = new_link_token()
    ctx.session.add(
        SignInLink(
            token_hash=link_hash(token),
            email=address,
            client=client_key,
            created_at=ctx.now,
            expires_at=ctx.now + LINK_TTL,
        )
    )
    enqueue(
        ctx.session,
        ctx.settings,
        template="sign_in_link",
        to=[address],
        context={
            "link": sign_in_url(ctx.settings.public_url, token),
            "minutes": int(LINK_TTL.total_seconds() // 60),
            "expects_reply": False,
        },
        now=ctx.now,
    )
    return LinkAsked(True)


def redeem_sign_in_link(ctx: ServiceContext, token: str) -> str:
    """The address the link signs in (the link is used up now), or LinkRefused."""
    link = ctx.session.scalar(
        select(SignInLink).where(SignInLink.token_hash == link_hash(token)).with_for_update()
    )
    if link is None:
        raise LinkRefused("This sign-in link is not valid. Ask for a new one below.")
    if link.used_at is not None:
        raise LinkRefused("This sign-in link was already used. Ask for a new one below.")
    if link.voided_at is not None:
        raise LinkRefused(
            "A newer sign-in link was sent to this address since: use the newest email, "
            "or ask for a new link below."
        )
    if not link.usable(ctx.now):
        raise LinkRefused("This sign-in link has expired (after 15 minutes). Ask for a new one.")
    link.used_at = ctx.now
    return link.email
