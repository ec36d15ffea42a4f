"""Signing in to a provider account: username (any case) or the account's address, and a
password; then, for an account with a second factor, a code.

Throttled per account and per client address (models/sign_ins.py): a refused try is not
checked at all, so the 11th try within the window fails even with the right password. A
name that matches no account is throttled the same way and costs the same hashing work, so
neither the answer nor its timing tells whether it exists.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute

from models.accounts import ProviderAccount
from models.passwords import password_matches, spend_hashing_time
from models.services.account_access import accounts_named
from models.services.account_mail import email_account
from models.services.context import ServiceContext
from models.services.provider_history import record_provider
from models.services.two_factor import second_factor_ok
from models.services.web_sessions import begin_provider_session, find_session
from models.sign_ins import ACCOUNT, ADDRESS, LOCK, WINDOW, SignInFailure, locks_now, wait_until


@dataclass(frozen=True)
class SignInOutcome:
    token: str | None = None  # the new session's cookie value: signed in (maybe code due)
    second_factor_due: bool = False
    wait_until: datetime | None = None  # refused unchecked: too many failures
    disabled: bool = False  # the right password, but OPI disabled the account


def _key(ctx: ServiceContext, kind: str, value: str) -> str:
    secret = ctx.settings.secret_key.encode()
    return hmac.new(secret, f"sign-in|{kind}|{value}".encode(), hashlib.sha256).hexdigest()


def _account_keys(
    ctx: ServiceContext, identifier: str, accounts: list[ProviderAccount]
) -> list[str]:
    if accounts:
        return [_key(ctx, "account", str(a.id)) for a in accounts]
    return [_key(ctx, "name", identifier.strip().casefold())]


def _failures(ctx: ServiceContext, column: InstrumentedAttribute[str], key: str) -> list[datetime]:
    return list(
        ctx.session.scalars(
            select(SignInFailure.at)
            .where(column == key, SignInFailure.at > ctx.now - WINDOW - LOCK)
            .order_by(SignInFailure.at)
        )
    )


def _wait(ctx: ServiceContext, account_keys: list[str], address_key: str) -> datetime | None:
    waits = [
        wait_until(_failures(ctx, SignInFailure.account_key, k), ACCOUNT, ctx.now)
        for k in account_keys
    ]
    waits.append(
        wait_until(_failures(ctx, SignInFailure.address_key, address_key), ADDRESS, ctx.now)
    )
    found = [w for w in waits if w is not None]
    return max(found) if found else None


def _record_failure(
    ctx: ServiceContext, identifier: str, accounts: list[ProviderAccount], address_key: str
) -> None:
    ctx.session.execute(delete(SignInFailure).where(SignInFailure.at < ctx.now - WINDOW - LOCK))
    pairs: list[tuple[str, ProviderAccount | None]] = (
        [(_key(ctx, "account", str(a.id)), a) for a in accounts]
        if accounts
        else [(_key(ctx, "name", identifier.strip().casefold()), None)]
    )
    for key, account in pairs:
        earlier = _failures(ctx, SignInFailure.account_key, key)
        before = sum(1 for at in earlier if at > ctx.now - WINDOW)
        ctx.session.add(
            SignInFailure(
                at=ctx.now,
                account_key=key,
                address_key=address_key,
                account_id=account.id if account else None,
            )
        )
        if account is not None and locks_now(before, ACCOUNT):
            email_account(ctx, account, "locked", until=ctx.now + LOCK)
            record_provider(
                ctx, account.provider_id, "sign_in_locked", "system",
                f"{account.username}: {ACCOUNT.lock_at} wrong passwords; locked 15 minutes",
            )  # fmt: skip
    ctx.session.flush()


def sign_in(
    ctx: ServiceContext,
    identifier: str,
    password: str,
    client_address: str,
    *,
    replacing: str | None = None,
) -> SignInOutcome:
    """Check a sign-in and, when it is right, begin a session (replacing the browser's)."""
    accounts = accounts_named(ctx, identifier)
    address_key = _key(ctx, "address", client_address)
    waiting = _wait(ctx, _account_keys(ctx, identifier, accounts), address_key)
    if waiting is not None:
        return SignInOutcome(wait_until=waiting)
    matched = next((a for a in accounts if password_matches(a.password_hash, password)), None)
    if not accounts:
        spend_hashing_time(password)
    if matched is None:
        _record_failure(ctx, identifier, accounts, address_key)
        return SignInOutcome()
    if matched.disabled_at is not None:
        return SignInOutcome(disabled=True)
    ctx.session.execute(
        delete(SignInFailure).where(
            SignInFailure.account_key == _key(ctx, "account", str(matched.id))
        )
    )
    token = begin_provider_session(
        ctx, matched, replacing=replacing, second_factor_due=matched.has_second_factor
    )
    return SignInOutcome(token=token, second_factor_due=matched.has_second_factor)


def complete_sign_in(
    ctx: ServiceContext, token: str | None, code: str, client_address: str
) -> SignInOutcome:
    """The second step: a TOTP or recovery code for the session the password opened. A
    good code replaces that session by a full one (a new id); a wrong one counts as a
    failed sign-in. No such session: an empty outcome (sign in again)."""
    row = find_session(ctx, token)
    account = ctx.session.get(ProviderAccount, row.account_id) if row and row.account_id else None
    if row is None or account is None or not row.second_factor_due or token is None:
        return SignInOutcome()
    address_key = _key(ctx, "address", client_address)
    waiting = _wait(ctx, _account_keys(ctx, account.username, [account]), address_key)
    if waiting is not None:
        return SignInOutcome(wait_until=waiting, second_factor_due=True)
    if not second_factor_ok(ctx, account, code):
        _record_failure(ctx, account.username, [account], address_key)
        return SignInOutcome(second_factor_due=True)
    return SignInOutcome(token=begin_provider_session(ctx, account, replacing=token))
