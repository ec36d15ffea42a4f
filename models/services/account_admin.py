"""OPI staff's side of provider accounts (`pdu provider account ...`): list, disable,
enable, send a new set-password link. Each change goes on the provider's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from models.accounts import ProviderAccount
from models.people import Person
from models.providers import Provider
from models.services.account_mail import email_account
from models.services.context import ServiceContext
from models.services.directory import find_provider
from models.services.errors import Conflict, NotFound
from models.services.provider_accounts import new_setup_code
from models.services.provider_history import record_provider
from models.services.web_sessions import end_account_sessions


@dataclass(frozen=True)
class AccountRow:
    username: str
    provider_number: str
    provider_name: str
    name: str
    email: str
    is_manager: bool
    status: str  # active, disabled, no password yet
    second_factor: bool
    password_changed_at: datetime | None


def _status(account: ProviderAccount) -> str:
    if account.disabled_at is not None:
        return "disabled"
    return "active" if account.password_hash else "no password yet"


def list_accounts(ctx: ServiceContext, provider: str | None = None) -> list[AccountRow]:
    query = (
        select(ProviderAccount, Provider, Person)
        .join(Provider, Provider.id == ProviderAccount.provider_id)
        .outerjoin(Person, Person.id == ProviderAccount.person_id)
        .order_by(Provider.number, ProviderAccount.username)
    )
    if provider is not None:
        found = find_provider(ctx.session, provider)
        if found is None:
            raise NotFound(f"no approved provider {provider!r} (give its number or name)")
        query = query.where(Provider.id == found.id)
    return [
        AccountRow(
            username=account.username,
            provider_number=org.number,
            provider_name=org.name,
            name=person.full_name if person else "",
            email=person.email if person else "",
            is_manager=account.is_manager,
            status=_status(account),
            second_factor=account.has_second_factor,
            password_changed_at=account.password_changed_at,
        )
        for account, org, person in ctx.session.execute(query)
    ]


def account_named(ctx: ServiceContext, username: str) -> ProviderAccount:
    account = ctx.session.scalar(
        select(ProviderAccount).where(
            func.lower(ProviderAccount.username) == username.strip().lower()
        )
    )
    if account is None:
        raise NotFound(f"no provider account {username!r}")
    return account


def disable_account(ctx: ServiceContext, username: str, actor: str) -> ProviderAccount:
    """No more sign-in; every session of the account ends now."""
    account = account_named(ctx, username)
    if account.disabled_at is not None:
        raise Conflict(f"{account.username} is already disabled")
    account.disabled_at = ctx.now
    ended = end_account_sessions(ctx, account.id)
    record_provider(
        ctx, account.provider_id, "account_disabled", actor,
        f"{account.username}; {ended} session(s) ended",
    )  # fmt: skip
    return account


def enable_account(ctx: ServiceContext, username: str, actor: str) -> ProviderAccount:
    account = account_named(ctx, username)
    if account.disabled_at is None:
        raise Conflict(f"{account.username} is not disabled")
    account.disabled_at = None
    record_provider(ctx, account.provider_id, "account_enabled", actor, account.username)
    return account


def send_setup_link(ctx: ServiceContext, username: str, actor: str) -> ProviderAccount:
    """Email the account's person a new set-password link (SETUP_CODE_TTL); any earlier code
    stops working. The current password keeps working until a new one is chosen."""
    return email_setup_link(ctx, account_named(ctx, username), actor)


def email_setup_link(ctx: ServiceContext, account: ProviderAccount, actor: str) -> ProviderAccount:
    """`send_setup_link` for an account at hand (an imported one, not yet flushed)."""
    if account.disabled_at is not None:
        raise Conflict(f"{account.username} is disabled: enable it first")
    code = new_setup_code(ctx, account)
    if not email_account(ctx, account, "setup", code=code, until=account.setup_expires_at):
        raise Conflict(f"{account.username} has no email address on record")
    record_provider(
        ctx, account.provider_id, "account_setup_link", actor, f"{account.username}: new link"
    )
    return account
