"""The emails about a provider account's access (reset link, username, lock, new code,
password changed), all through the outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from mailbox.tokens import new_token, token_hash
from typing import Literal

from models.accounts import ProviderAccount
from models.people import Person
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.outbox import enqueue
from templates.render import render_email

Purpose = Literal["setup", "reset", "username", "locked", "password_changed"]


def _url(ctx: ServiceContext, path: str) -> str:
    return f"{ctx.settings.public_url.rstrip('/')}{path}"


def _context(
    ctx: ServiceContext,
    purpose: Purpose,
    first_name: str,
    username: str,
    provider: Provider,
    code: str | None,
    until: datetime | None,
) -> dict[str, object]:
    return {
        "purpose": purpose,
        "recipient_first_name": first_name,
        "username": username,
        "organization_name": provider.name,
        "provider_number": provider.number,
        "code": code,
        "link": _url(ctx, f"/account/setup?code={code}") if code else None,
        "sign_in_url": _url(ctx, "/provider/sign-in"),
        "until": until,
        "timezone": ctx.settings.timezone,
        "expects_reply": False,
    }


def rehearse_email(ctx: ServiceContext) -> None:
    """Do the work of writing a reset email without writing one: an answer that matched
    nobody takes as long as one that did (no enumeration by timing)."""
    code = new_token()
    token_hash(code, ctx.settings.secret_key)
    sample = Provider(name="", number="")
    render_email("account_access", **_context(ctx, "reset", "", "", sample, code, ctx.now))


def email_account(
    ctx: ServiceContext,
    account: ProviderAccount,
    purpose: Purpose,
    *,
    code: str | None = None,
    until: datetime | None = None,
) -> bool:
    """Write to the account's person about `purpose`; False when it has no address."""
    person = ctx.session.get(Person, account.person_id) if account.person_id else None
    provider = ctx.session.get(Provider, account.provider_id)
    if person is None or provider is None:
        return False
    enqueue(
        ctx.session,
        ctx.settings,
        template="account_access",
        to=[person.email],
        context=_context(ctx, purpose, person.first_name, account.username, provider, code, until),
        now=ctx.now,
    )
    return True
