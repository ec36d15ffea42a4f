"""The provider's users, managed by its account manager in the portal (OPI: "Managing
Usernames and Account Access"): list them, invite one by name and email (OPI's username,
the set-password email), remove one, hand the manager role to another; and the provider's
contact phone and address. The same records as the email account requests
(models.services.provider_requests) and staff's `pdu provider account ...`; every change
goes on the provider's history.

Removing a user disables their account (no sign-in, every session ended) rather than
deleting it: events' histories name it, and OPI staff can enable it again.
"""

from __future__ import annotations

from sqlalchemy import select

from models.accounts import ProviderAccount
from models.people import Person
from models.providers import Provider
from models.services.account_admin import AccountRow, list_accounts
from models.services.account_mail import email_account
from models.services.casework import upsert_person
from models.services.context import ServiceContext
from models.services.errors import Conflict, NotFound, UserError
from models.services.provider_accounts import open_account
from models.services.provider_history import record_provider
from models.services.validation import clean_email
from models.services.web_sessions import end_account_sessions

MAX_NAME = 100


def _provider(ctx: ServiceContext, provider_id: int) -> Provider:
    provider = ctx.session.get(Provider, provider_id)
    if provider is None:
        raise NotFound("no such provider")
    return provider


def _require_manager(ctx: ServiceContext, provider_id: int, account_id: int) -> ProviderAccount:
    account = ctx.session.get(ProviderAccount, account_id)
    if account is None or account.provider_id != provider_id or not account.is_manager:
        raise NotFound("only the account manager manages the users")
    return account


def _user(ctx: ServiceContext, provider_id: int, username: str) -> ProviderAccount:
    account = ctx.session.scalar(
        select(ProviderAccount).where(
            ProviderAccount.provider_id == provider_id, ProviderAccount.username == username
        )
    )
    if account is None:
        raise NotFound(f"no user {username}")
    return account


def provider_users(ctx: ServiceContext, provider_id: int) -> list[AccountRow]:
    return list_accounts(ctx, _provider(ctx, provider_id).number)


def invite_user(
    ctx: ServiceContext, provider_id: int, manager_id: int, first: str, last: str, email: str
) -> ProviderAccount:
    manager = _require_manager(ctx, provider_id, manager_id)
    first, last = " ".join(first.split()), " ".join(last.split())
    if not first or not last:
        raise UserError("give the new user's first and last name")
    if len(first) > MAX_NAME or len(last) > MAX_NAME:
        raise UserError(f"a name is at most {MAX_NAME} characters")
    address = clean_email(email)
    existing = ctx.session.scalar(
        select(ProviderAccount)
        .join(Person, Person.id == ProviderAccount.person_id)
        .where(ProviderAccount.provider_id == provider_id, Person.email == address)
    )
    if existing is not None:
        raise Conflict(f"{address} already has the user {existing.username} here")
    person = ctx.session.scalar(select(Person).where(Person.email == address))
    if person is None:
        person = upsert_person(ctx, address, first, last)
        ctx.session.flush()
    account, code = open_account(ctx, _provider(ctx, provider_id), person, is_manager=False)
    ctx.session.flush()
    email_account(ctx, account, "setup", code=code, until=account.setup_expires_at)
    record_provider(
        ctx, provider_id, "account_invited", manager.username, f"{account.username} ({address})"
    )
    return account


def remove_user(
    ctx: ServiceContext, provider_id: int, manager_id: int, username: str
) -> ProviderAccount:
    manager = _require_manager(ctx, provider_id, manager_id)
    account = _user(ctx, provider_id, username)
    if account.id == manager.id:
        raise Conflict("you cannot remove yourself: hand the manager role to another user first")
    if account.disabled_at is not None:
        raise Conflict(f"{account.username} was already removed")
    account.disabled_at = ctx.now
    ended = end_account_sessions(ctx, account.id)
    record_provider(
        ctx, provider_id, "account_removed", manager.username,
        f"{account.username}; {ended} session(s) ended",
    )  # fmt: skip
    return account


def hand_manager_role(
    ctx: ServiceContext, provider_id: int, manager_id: int, username: str
) -> ProviderAccount:
    """Another active user becomes the account manager (and the directory contact); the
    current manager stays a user."""
    manager = _require_manager(ctx, provider_id, manager_id)
    account = _user(ctx, provider_id, username)
    if account.id == manager.id:
        raise Conflict("you are the account manager already")
    if account.disabled_at is not None or account.password_hash is None:
        raise Conflict(f"{account.username} must have signed in before becoming the manager")
    person = ctx.session.get(Person, account.person_id) if account.person_id else None
    if person is None:
        raise Conflict(f"{account.username} has no email address on record")
    for other in ctx.session.scalars(
        select(ProviderAccount).where(ProviderAccount.provider_id == provider_id)
    ):
        other.is_manager = other.id == account.id
    provider = _provider(ctx, provider_id)
    provider.contact_name, provider.contact_email = person.full_name, person.email
    provider.contact_phone = person.phone or provider.contact_phone
    record_provider(
        ctx, provider_id, "account_manager_changed", manager.username,
        f"{manager.username} to {account.username}",
    )  # fmt: skip
    return account


def change_contact(
    ctx: ServiceContext, provider_id: int, manager_id: int, *, phone: str, address: str
) -> Provider:
    """The provider's phone and postal address (its email changes through OPI)."""
    manager = _require_manager(ctx, provider_id, manager_id)
    provider = _provider(ctx, provider_id)
    phone, address = " ".join(phone.split()), " ".join(address.split())
    if len(phone) > 40 or (phone and sum(ch.isdigit() for ch in phone) < 7):
        raise UserError("the phone number needs at least 7 digits (and at most 40 characters)")
    if len(address) > 500:
        raise UserError("the address is longer than 500 characters")
    changes = []
    if (provider.contact_phone or "") != phone:
        changes.append(f"phone {provider.contact_phone or '-'} to {phone or '-'}")
        provider.contact_phone = phone or None
    if (provider.address or "") != address:
        changes.append(f"address {provider.address or '-'} to {address or '-'}")
        provider.address = address or None
    if changes:
        record_provider(ctx, provider_id, "contact_changed", manager.username, "; ".join(changes))
    return provider
