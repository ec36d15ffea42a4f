"""A second factor for a provider account: TOTP (RFC 6238, the authenticator apps') with
ten single-use recovery codes, stored hashed.

Enrolment stores a new secret, and turns it on only once a code from the app proves it was
scanned. A TOTP code works once (the last accepted time step is kept); one step of clock
drift either way is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp

from models.accounts import ProviderAccount
from models.services.context import ServiceContext
from models.services.errors import NotFound, UserError
from models.services.provider_history import record_provider

ISSUER = "Montana OPI PDU"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def _account(ctx: ServiceContext, account_id: int) -> ProviderAccount:
    account = ctx.session.get(ProviderAccount, account_id)
    if account is None:
        raise NotFound("no such account")
    return account


def _hash(ctx: ServiceContext, code: str) -> str:
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    key = ctx.settings.secret_key.encode()
    return hmac.new(key, f"recovery|{plain}".encode(), hashlib.sha256).hexdigest()


def provisioning_uri(account: ProviderAccount) -> str:
    """What the QR code holds (otpauth://...) for the account's pending or active secret."""
    assert account.totp_secret is not None
    totp = pyotp.TOTP(account.totp_secret)
    return totp.provisioning_uri(name=account.username, issuer_name=ISSUER)


def begin_enrolment(ctx: ServiceContext, account_id: int) -> ProviderAccount:
    """The account with a secret to scan (kept until confirmed); refused while a second
    factor is on (turn it off first)."""
    account = _account(ctx, account_id)
    if account.has_second_factor:
        raise UserError("A second factor is already on for this account.")
    if account.totp_secret is None:
        account.totp_secret = pyotp.random_base32()
    return account


def _step_of(account: ProviderAccount, code: str, ctx: ServiceContext) -> int | None:
    """The time step `code` belongs to (now, or one step either side), or None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if account.totp_secret is None or len(digits) != 6:
        return None
    totp = pyotp.TOTP(account.totp_secret)
    step = int(ctx.now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), digits):
            return candidate
    return None


def confirm_enrolment(ctx: ServiceContext, account_id: int, code: str) -> list[str]:
    """Turn the second factor on with a first good code; the ten recovery codes (shown
    once, stored hashed)."""
    account = _account(ctx, account_id)
    step = _step_of(account, code, ctx)
    if account.has_second_factor or step is None:
        raise UserError("That code is not the one your app shows now. Check the app's clock, "
                        "and type the six digits it shows.")  # fmt: skip
    account.totp_enabled_at = ctx.now
    account.totp_last_step = step
    record_provider(ctx, account.provider_id, "second_factor_on", account.username)
    return new_recovery_codes(ctx, account)


def new_recovery_codes(ctx: ServiceContext, account: ProviderAccount) -> list[str]:
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    account.recovery_code_hashes = [_hash(ctx, c) for c in codes]
    return codes


def renew_recovery_codes(ctx: ServiceContext, account_id: int) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    account = _account(ctx, account_id)
    if not account.has_second_factor:
        raise UserError("There is no second factor on this account.")
    record_provider(ctx, account.provider_id, "recovery_codes_renewed", account.username)
    return new_recovery_codes(ctx, account)


def second_factor_ok(ctx: ServiceContext, account: ProviderAccount, code: str) -> bool:
    """A TOTP code not used before, or an unused recovery code (used up now)."""
    step = _step_of(account, code, ctx)
    if step is not None and (account.totp_last_step is None or step > account.totp_last_step):
        account.totp_last_step = step
        return True
    hashed = _hash(ctx, code)
    remaining = list(account.recovery_code_hashes or [])
    if len(code.strip()) >= 10 and hashed in remaining:
        remaining.remove(hashed)
        account.recovery_code_hashes = remaining  # a new list: the JSON column sees the change
        record_provider(
            ctx, account.provider_id, "recovery_code_used", account.username,
            f"{len(remaining)} left",
        )  # fmt: skip
        return True
    return False


def turn_off(ctx: ServiceContext, account_id: int, actor: str) -> None:
    """No second factor any more (the person, or OPI staff when the phone is lost)."""
    account = _account(ctx, account_id)
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    account.recovery_code_hashes = []
    record_provider(ctx, account.provider_id, "second_factor_off", actor, account.username)
