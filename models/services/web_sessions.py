"""Portal sessions: begin (a new id every time: rotation), resolve, choose the provider
acted for, end one, end all of an account's others. Each is one step of a use case; the
caller's unit of work commits.

The cookie's value is a fresh random token; only its HMAC under PDU_SECRET_KEY is stored.
A session ends at sign-out, after `portal_idle_minutes` unused, after
`portal_absolute_hours` whatever happens, and when the account's password changes or the
account is disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from mailbox.tokens import new_token, token_hash

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.accounts import ProviderAccount
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.errors import NotFound
from models.settings import Settings
from models.web_sessions import Party, WebSession

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute
KEEP_ENDED = timedelta(days=1)  # ended rows are deleted a day later


def _idle_seconds(settings: Settings) -> float:
    return settings.portal_idle_minutes * 60.0


def _begin(ctx: ServiceContext, replacing: str | None, **fields: object) -> tuple[str, WebSession]:
    if replacing:
        end_session(ctx, replacing)
    ctx.session.execute(
        delete(WebSession).where(WebSession.expires_at < ctx.now - KEEP_ENDED)
    )  # housekeeping: sessions long over
    token = new_token() + new_token()  # 260 bits
    row = WebSession(
        token_hash=token_hash(token, ctx.settings.secret_key),
        created_at=ctx.now,
        last_seen_at=ctx.now,
        expires_at=ctx.now + timedelta(hours=ctx.settings.portal_absolute_hours),
        **fields,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return token, row


def begin_provider_session(
    ctx: ServiceContext,
    account: ProviderAccount,
    *,
    replacing: str | None = None,
    second_factor_due: bool = False,
) -> str:
    """A new session for `account` (its password checked by the caller); the cookie value.

    `replacing` (the browser's current cookie, if any) is ended: an id planted before
    sign-in is never the id after it. With one provider to act for, it is chosen now.
    """
    providers = providers_of(ctx.session, account)
    token, _ = _begin(
        ctx,
        replacing,
        party=Party.PROVIDER,
        account_id=account.id,
        provider_id=providers[0].id if len(providers) == 1 else None,
        second_factor_due=second_factor_due,
    )
    return token


def begin_educator_session(ctx: ServiceContext, email: str, *, replacing: str | None = None) -> str:
    """A new session for the educator at `email` (their sign-in link verified by the
    caller, in the same unit of work); the cookie value."""
    token, _ = _begin(ctx, replacing, party=Party.EDUCATOR, educator_email=email.strip().lower())
    return token


def find_session(ctx: ServiceContext, token: str | None) -> WebSession | None:
    """The live session of a cookie value, its idle clock restarted; None if none."""
    if not token or len(token) > 128:
        return None
    row = ctx.session.scalar(
        select(WebSession).where(
            WebSession.token_hash == token_hash(token, ctx.settings.secret_key)
        )
    )
    if row is None or not row.is_live(ctx.now, _idle_seconds(ctx.settings)):
        return None
    if ctx.now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = ctx.now
    return row


def end_session(ctx: ServiceContext, token: str) -> None:
    ctx.session.execute(
        update(WebSession)
        .where(
            WebSession.token_hash == token_hash(token, ctx.settings.secret_key),
            WebSession.ended_at.is_(None),
        )
        .values(ended_at=ctx.now)
    )


def end_account_sessions(ctx: ServiceContext, account_id: int, *, keep: int | None = None) -> int:
    """End every session of an account but `keep` (a session id); how many ended."""
    query = update(WebSession).where(
        WebSession.account_id == account_id, WebSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(WebSession.id != keep)
    result = ctx.session.execute(query.values(ended_at=ctx.now))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class ProviderChoice:
    id: int
    number: str
    name: str


def providers_of(session: Session, account: ProviderAccount) -> list[ProviderChoice]:
    """The providers this account's person may act for: each where they hold an enabled
    account (just the account's own when it is tied to no person)."""
    query = (
        select(Provider.id, Provider.number, Provider.name)
        .join(ProviderAccount, ProviderAccount.provider_id == Provider.id)
        .where(ProviderAccount.disabled_at.is_(None))
        .order_by(Provider.name, Provider.id)
        .distinct()
    )
    if account.person_id is None:
        query = query.where(ProviderAccount.id == account.id)
    else:
        query = query.where(ProviderAccount.person_id == account.person_id)
    return [ProviderChoice(r.id, r.number, r.name) for r in session.execute(query)]


def acting_account(
    session: Session, account: ProviderAccount, provider_id: int
) -> ProviderAccount | None:
    """The account through which `account`'s person acts for `provider_id`, if any."""
    if account.provider_id == provider_id:
        return account if account.disabled_at is None else None
    if account.person_id is None:
        return None
    return session.scalar(
        select(ProviderAccount)
        .where(
            ProviderAccount.person_id == account.person_id,
            ProviderAccount.provider_id == provider_id,
            ProviderAccount.disabled_at.is_(None),
        )
        .order_by(ProviderAccount.id)
    )


def choose_provider(ctx: ServiceContext, session_id: int, provider_id: int) -> None:
    """Act for `provider_id` from now on in this session (refused unless allowed)."""
    row = ctx.session.get(WebSession, session_id)
    if row is None or row.account_id is None:
        raise NotFound("no such session")
    account = ctx.session.get(ProviderAccount, row.account_id)
    if account is None or acting_account(ctx.session, account, provider_id) is None:
        raise NotFound("you cannot act for this provider")
    row.provider_id = provider_id
