"""An approved provider's people: its accounts, its current account manager, its addresses.

Used wherever a provider's people matter: requests by email, their review emails, their
approval, and the provider portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from mailbox.tokens import new_token, token_hash

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts import ProviderAccount
from models.people import Person
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.directory import directory_entries, find_provider
from models.triage import explain_match
from models.usernames import make_username

SETUP_CODE_TTL = timedelta(days=14)  # a new account's one-time set-password code


@dataclass(frozen=True)
class Contact:
    """The provider's current account manager (or, without accounts, its directory contact)."""

    email: str
    name: str
    phone: str | None
    username: str | None


def accounts_of(session: Session, provider_id: int) -> list[ProviderAccount]:
    return list(
        session.scalars(
            select(ProviderAccount)
            .where(ProviderAccount.provider_id == provider_id)
            .order_by(ProviderAccount.id)
        )
    )


def person_of(session: Session, person_id: int | None) -> Person | None:
    return session.get(Person, person_id) if person_id is not None else None


def account_of(session: Session, provider_id: int, email: str) -> ProviderAccount | None:
    return session.scalar(
        select(ProviderAccount)
        .join(Person, Person.id == ProviderAccount.person_id)
        .where(ProviderAccount.provider_id == provider_id, Person.email == email.lower())
        .order_by(ProviderAccount.id)
        .limit(1)
    )


def current_manager(session: Session, provider: Provider) -> Contact:
    managers = [a for a in accounts_of(session, provider.id) if a.is_manager]
    for account in reversed(managers):  # the latest manager is the current one
        person = person_of(session, account.person_id)
        if person is not None:
            return Contact(person.email, person.full_name, person.phone, account.username)
    # Imported directory entries have no accounts yet: their contact is the manager.
    return Contact(
        provider.contact_email, provider.contact_name or provider.name, provider.contact_phone, None
    )


def provider_addresses(session: Session, provider: Provider) -> set[str]:
    people = [person_of(session, a.person_id) for a in accounts_of(session, provider.id)]
    return {provider.contact_email.lower()} | {p.email for p in people if p is not None}


def resolve_provider(session: Session, name: str) -> tuple[Provider | None, str]:
    """The approved provider a request names, and how it matched (or what is wrong)."""
    exact = find_provider(session, name)
    if exact is not None:
        how = "provider number" if exact.number == name.strip().upper() else "exact name"
        return exact, how
    match = explain_match(name, directory_entries(session))
    if match.entry is not None:
        return session.get(Provider, match.entry.id), match.how
    if match.how == "ambiguous":
        names = ", ".join(f"{c.name}" for c in match.candidates[:5])
        return None, f"matches several approved providers ({names}): give the provider number"
    return None, (
        f"no approved PDU provider is called '{name}': check the spelling or give the provider "
        "number. An organization that is not yet a provider registers first (the "
        "provider registration form)"
    )


def open_account(
    ctx: ServiceContext, provider: Provider, person: Person, *, is_manager: bool
) -> tuple[ProviderAccount, str]:
    """A new account with OPI's username and a one-time set-password code (hashed)."""
    taken = set(ctx.session.scalars(select(ProviderAccount.username)))
    account = ProviderAccount(
        username=make_username(person.first_name, person.last_name, taken),
        provider_id=provider.id,
        person_id=person.id,
        is_manager=is_manager,
        created_at=ctx.now,
    )
    ctx.session.add(account)
    return account, new_setup_code(ctx, account)


def new_setup_code(
    ctx: ServiceContext, account: ProviderAccount, ttl: timedelta = SETUP_CODE_TTL
) -> str:
    """A new one-time set-password code (stored hashed); any earlier one stops working."""
    code = new_token()
    account.setup_token_hash = token_hash(code, ctx.settings.current_key)
    account.setup_expires_at = ctx.now + ttl
    account.setup_used_at = None
    return code


def move_account_address(
    ctx: ServiceContext, provider: Provider, account: ProviderAccount, old: str, new: str
) -> None:
    """The account's email becomes `new` (its person's, so all their mail follows; or, when
    `new` is someone's record already, the account moves to it); the directory contact
    follows when it was `old`."""
    person = person_of(ctx.session, account.person_id)
    if person is not None and person.email != new:
        holder = ctx.session.scalar(select(Person).where(Person.email == new))
        if holder is None:
            person.email = new
        else:
            account.person_id = holder.id
    if provider.contact_email.lower() == old:
        provider.contact_email = new
