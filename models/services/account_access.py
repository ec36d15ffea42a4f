"""Getting into a provider account: choose a password with a one-time code (welcome or
reset), ask for a reset or for the username, change the password.

Codes are the welcome emails' (14 days) or a reset's (30 minutes), stored hashed in one
place per account; a used code is kept (marked used) so a second use is told apart from a
mistyped one. Asking for a reset or a username answers the same whether or not anything
matched, and does the same hashing work either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from mailbox.tokens import looks_like_token, token_hash

from sqlalchemy import func, select

from models.accounts import ProviderAccount
from models.passwords import hash_password, password_matches, password_problem
from models.people import Person
from models.providers import Provider
from models.services.account_mail import email_account, rehearse_email
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.provider_accounts import SETUP_CODE_TTL, new_setup_code
from models.services.provider_history import record_provider
from models.services.web_sessions import end_account_sessions

RESET_TTL = timedelta(minutes=30)  # a code the person asks for


class CodeState(StrEnum):
    GOOD = "good"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


CODE_PROBLEMS = {
    CodeState.USED: "This link or code has already been used to choose a password: each works "
    "only once.",
    CodeState.EXPIRED: "This link or code has expired.",
    CodeState.UNKNOWN: "This code is not one we sent, or a newer one has replaced it. Check "
    "that it was copied whole.",
}


class CodeRefused(UserError):
    """The code cannot be used: `state` says why (used, expired, unknown)."""

    def __init__(self, state: CodeState) -> None:
        super().__init__(CODE_PROBLEMS.get(state, CODE_PROBLEMS[CodeState.UNKNOWN]))
        self.state = state


class PasswordRefused(UserError):
    """The new password breaks a rule; the message says which, in plain words."""


class WrongPassword(UserError):
    """The current password given to change it is not right."""


@dataclass(frozen=True)
class CodeCheck:
    state: CodeState
    account: ProviderAccount | None


def check_code(ctx: ServiceContext, code: str) -> CodeCheck:
    code = code.strip().lower()
    if not looks_like_token(code):
        return CodeCheck(CodeState.UNKNOWN, None)
    hashes = [token_hash(code, key) for key in ctx.settings.keys]  # earlier keys too
    account = ctx.session.scalar(
        select(ProviderAccount).where(ProviderAccount.setup_token_hash.in_(hashes))
    )
    if account is None or account.disabled_at is not None:
        return CodeCheck(CodeState.UNKNOWN, None)
    if account.setup_used_at is not None:
        return CodeCheck(CodeState.USED, account)
    if account.setup_expires_at is None or account.setup_expires_at <= ctx.now:
        return CodeCheck(CodeState.EXPIRED, account)
    return CodeCheck(CodeState.GOOD, account)


def _organization(ctx: ServiceContext, account: ProviderAccount) -> str:
    provider = ctx.session.get(Provider, account.provider_id)
    return provider.name if provider else ""


def _set_password(ctx: ServiceContext, account: ProviderAccount, password: str) -> None:
    problem = password_problem(
        password, username=account.username, organization=_organization(ctx, account)
    )
    if problem:
        raise PasswordRefused(problem)
    first = account.password_hash is None
    account.password_hash = hash_password(password)
    account.password_changed_at = ctx.now
    if not first:
        email_account(ctx, account, "password_changed")


def set_password_with_code(ctx: ServiceContext, code: str, password: str) -> ProviderAccount:
    """Choose a password with a good code (used up now); every session of the account ends.
    Raises CodeRefused or PasswordRefused."""
    found = check_code(ctx, code)
    if found.state is not CodeState.GOOD or found.account is None:
        raise CodeRefused(found.state)
    account = found.account
    _set_password(ctx, account, password)
    account.setup_used_at = ctx.now
    end_account_sessions(ctx, account.id)
    record_provider(
        ctx, account.provider_id, "password_set", account.username, "with a one-time code"
    )
    return account


def send_new_code(ctx: ServiceContext, code: str) -> None:
    """A used or expired code asks for a fresh one: it goes to the account's own address
    (never to whoever typed the code). A good or unknown code sends nothing."""
    found = check_code(ctx, code)
    if found.state in (CodeState.USED, CodeState.EXPIRED) and found.account is not None:
        account = found.account
        # A person who has a password gets a reset link; one who never chose one, a setup link.
        if account.password_hash:
            fresh = new_setup_code(ctx, account, RESET_TTL)
            email_account(ctx, account, "reset", code=fresh, until=account.setup_expires_at)
        else:
            fresh = new_setup_code(ctx, account, SETUP_CODE_TTL)
            email_account(ctx, account, "setup", code=fresh, until=account.setup_expires_at)


def accounts_named(ctx: ServiceContext, identifier: str) -> list[ProviderAccount]:
    """The enabled or disabled accounts a sign-in name means: a username (any case) or the
    address of the person holding them."""
    name = identifier.strip()
    if not name or len(name) > 320:
        return []
    if "@" in name:
        query = (
            select(ProviderAccount)
            .join(Person, Person.id == ProviderAccount.person_id)
            .where(Person.email == name.lower())
        )
    else:
        query = select(ProviderAccount).where(func.lower(ProviderAccount.username) == name.lower())
    return list(ctx.session.scalars(query.order_by(ProviderAccount.id)))


def request_password_reset(ctx: ServiceContext, identifier: str) -> None:
    """Email a 30-minute reset link to each enabled account the name means; say nothing."""
    accounts = [a for a in accounts_named(ctx, identifier) if a.disabled_at is None]
    for account in accounts:
        code = new_setup_code(ctx, account, RESET_TTL)
        email_account(ctx, account, "reset", code=code, until=account.setup_expires_at)
    if not accounts:
        rehearse_email(ctx)  # the same work as one reset email, so timing tells nothing


def send_usernames(ctx: ServiceContext, email: str) -> None:
    """Email each username held by the person at `email`; say nothing."""
    accounts = [a for a in accounts_named(ctx, email) if a.disabled_at is None]
    if "@" not in email:
        accounts = []
    for account in accounts:
        email_account(ctx, account, "username")
    if not accounts:
        rehearse_email(ctx)


def change_password(
    ctx: ServiceContext, account_id: int, current: str, new: str, *, keep_session: int
) -> None:
    """Change a signed-in account's password; its other sessions end."""
    account = ctx.session.get(ProviderAccount, account_id)
    if account is None or not password_matches(account.password_hash, current):
        raise WrongPassword("Your current password is not right.")
    if new == current:
        raise PasswordRefused("The new password is the same as the current one.")
    _set_password(ctx, account, new)
    end_account_sessions(ctx, account.id, keep=keep_session)
    record_provider(ctx, account.provider_id, "password_changed", account.username)
