"""Changing an email address from the provider portal: an account's own (with its
password), or the organisation's contact address (its account manager). The new address
gets a single-use, expiring link (its code stored hashed); only when the link is opened in
the session of the account that asked does the address change, and the old address is
told. The rules and the row: models.email_changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from mailbox.tokens import looks_like_token, new_token, token_hash

from sqlalchemy import delete, func, select, update

from models.accounts import ProviderAccount
from models.email_changes import CHANGE_TTL, KEEP, PER_DAY, ChangeTarget, EmailChange
from models.passwords import password_matches
from models.providers import Provider
from models.services.account_access import WrongPassword
from models.services.context import ServiceContext
from models.services.errors import Conflict, NotFound, UserError
from models.services.outbox import enqueue
from models.services.provider_accounts import move_account_address, person_of
from models.services.provider_history import record_provider
from models.services.validation import clean_email

CONFIRM_PATH = "/provider/confirm-email"
ONE_DAY = timedelta(days=1)
REFUSED = {
    "used": "This link has already been used: the change it confirmed is made.",
    "expired": "This link has expired, or a newer change was asked for since. Ask for the "
    "change again: a new link goes to the new address.",
}


class ChangeRefused(UserError):
    """The link cannot confirm anything (used, expired, replaced)."""


@dataclass(frozen=True)
class PendingChange:
    """What a confirmation link would do, for its page."""

    target: ChangeTarget
    old_email: str
    new_email: str
    organization_name: str


def _account(ctx: ServiceContext, account_id: int) -> ProviderAccount:
    account = ctx.session.get(ProviderAccount, account_id)
    if account is None or account.disabled_at is not None:
        raise NotFound("no such account")
    return account


def _provider(ctx: ServiceContext, provider_id: int) -> Provider:
    provider = ctx.session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("no such provider")
    return provider


def current_address(ctx: ServiceContext, account_id: int, target: ChangeTarget) -> str:
    """The account's own address, or its organisation's contact address."""
    return _current(ctx, target, _account(ctx, account_id))


def _current(ctx: ServiceContext, target: ChangeTarget, account: ProviderAccount) -> str:
    """The address the change replaces."""
    if target is ChangeTarget.ORGANISATION:
        return _provider(ctx, account.provider_id).contact_email.lower()
    person = person_of(ctx.session, account.person_id)
    if person is None:
        raise Conflict("this account has no email address on record: ask OPI to add one")
    return person.email


def request_email_change(
    ctx: ServiceContext, account_id: int, target: ChangeTarget, new_email: str,
    *, password: str = "",
) -> EmailChange:  # fmt: skip
    """A change waiting for its link to be opened (the link is emailed to `new_email`).
    The account's own address needs its password; the organisation's, its manager."""
    account = _account(ctx, account_id)
    if target is ChangeTarget.ORGANISATION and not account.is_manager:
        raise NotFound("only the account manager changes the organisation's address")
    if target is ChangeTarget.ACCOUNT and not password_matches(account.password_hash, password):
        raise WrongPassword("Your password is not right.")
    new = clean_email(new_email)
    old = _current(ctx, target, account)
    asked = ctx.session.scalar(
        select(func.count()).where(
            EmailChange.account_id == account.id, EmailChange.created_at > ctx.now - ONE_DAY
        )
    )
    if (asked or 0) >= PER_DAY:
        raise UserError(f"you have asked for {PER_DAY} changes today: try again tomorrow")
    if new == old:
        raise UserError(f"{new} is the address already")
    _forget_older(ctx, target, account)
    code = new_token()
    change = EmailChange(
        token_hash=token_hash(code, ctx.settings.current_key), target=target,
        provider_id=account.provider_id, account_id=account.id, new_email=new,
        created_at=ctx.now, expires_at=ctx.now + CHANGE_TTL,
    )  # fmt: skip
    ctx.session.add(change)
    _tell(ctx, change, account, "confirm", old, to=new, code=code)
    record_provider(
        ctx, account.provider_id, "email_change_asked", account.username,
        f"{target.value}: {old} to {new}, waiting for the new address to confirm",
    )  # fmt: skip
    return change


def _forget_older(ctx: ServiceContext, target: ChangeTarget, account: ProviderAccount) -> None:
    """Void the target's pending changes (the newest link alone works); drop old rows."""
    ctx.session.execute(delete(EmailChange).where(EmailChange.created_at < ctx.now - KEEP))
    same = (
        EmailChange.provider_id == account.provider_id
        if target is ChangeTarget.ORGANISATION
        else EmailChange.account_id == account.id
    )
    ctx.session.execute(
        update(EmailChange)
        .where(same, EmailChange.target == target, EmailChange.used_at.is_(None))
        .where(EmailChange.voided_at.is_(None))
        .values(voided_at=ctx.now)
    )


def _find(ctx: ServiceContext, code: str, account_ids: set[int]) -> EmailChange:
    """The change of `code`, asked by one of `account_ids` (the session's accounts): any
    other session is answered as if the code did not exist."""
    code = code.strip().lower()
    if not looks_like_token(code):
        raise NotFound("no such change")
    hashes = [token_hash(code, key) for key in ctx.settings.keys]
    change = ctx.session.scalar(
        select(EmailChange).where(EmailChange.token_hash.in_(hashes)).with_for_update()
    )
    if change is None or change.account_id not in account_ids:
        raise NotFound("no such change")
    if change.used_at is not None:
        raise ChangeRefused(REFUSED["used"])
    if not change.usable(ctx.now):
        raise ChangeRefused(REFUSED["expired"])
    return change


def pending_change(ctx: ServiceContext, code: str, account_ids: set[int]) -> PendingChange:
    """What the link would change (nothing is changed by looking)."""
    change = _find(ctx, code, account_ids)
    account = _account(ctx, change.account_id)
    return PendingChange(
        change.target, _current(ctx, change.target, account), change.new_email,
        _provider(ctx, change.provider_id).name,
    )  # fmt: skip


def confirm_email_change(ctx: ServiceContext, code: str, account_ids: set[int]) -> EmailChange:
    """Make the change (the link is used up); the old address is told."""
    change = _find(ctx, code, account_ids)
    account = _account(ctx, change.account_id)
    if change.target is ChangeTarget.ORGANISATION and not account.is_manager:
        raise NotFound("only the account manager changes the organisation's address")
    old, new = _current(ctx, change.target, account), change.new_email
    provider = _provider(ctx, change.provider_id)
    if change.target is ChangeTarget.ACCOUNT:
        move_account_address(ctx, provider, account, old, new)
    else:
        provider.contact_email = new
    change.used_at = ctx.now
    _tell(ctx, change, account, "changed", old, to=old)
    record_provider(
        ctx, provider.id, "email_changed", account.username,
        f"{change.target.value}: {old} to {new}, confirmed from the new address",
    )  # fmt: skip
    return change


def _tell(
    ctx: ServiceContext, change: EmailChange, account: ProviderAccount, purpose: str, old: str,
    *, to: str, code: str | None = None,
) -> None:  # fmt: skip
    provider = _provider(ctx, change.provider_id)
    person = person_of(ctx.session, account.person_id)
    base = ctx.settings.public_url.rstrip("/")
    enqueue(
        ctx.session,
        ctx.settings,
        template="email_change",
        to=[to],
        context={
            "purpose": purpose,
            "target": change.target.value,
            "recipient_first_name": person.first_name if person else "",
            "username": account.username,
            "organization_name": provider.name,
            "provider_number": provider.number,
            "old_email": old,
            "new_email": change.new_email,
            "link": f"{base}{CONFIRM_PATH}?code={code}" if code else None,
            "until": change.expires_at,
            "sign_in_url": f"{base}/provider/sign-in",
            "timezone": ctx.settings.timezone,
            "expects_reply": False,
        },
        now=ctx.now,
    )
