"""A second factor for a provider account: TOTP (RFC 6238, the authenticator apps') with
ten single-use recovery codes, stored hashed.

Enrolment stores a new secret, and turns it on only once a code from the app proves it was
scanned. The secret is stored sealed (models/sealed.py: AES-GCM under a key derived from
the deployment's secret key, bound to the account's row); a value sealed under an earlier
key of PDU_SECRET_KEYS, or a plain one from before sealing, is resealed under the current
key when next read. Recovery codes are hashed under the current key and checked under all.
A TOTP code works once (the last accepted time step is kept); one step of clock
drift either way is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

import pyotp

from models.accounts import ProviderAccount
from models.sealed import SealError, seal, unseal
from models.services.context import ServiceContext
from models.services.errors import NotFound, UserError
from models.services.provider_history import record_provider

log = logging.getLogger(__name__)
ISSUER = "Montana OPI PDU"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def _account(ctx: ServiceContext, account_id: int) -> ProviderAccount:
    account = ctx.session.get(ProviderAccount, account_id)
    if account is None:
        raise NotFound("no such account")
    return account


def _hash(key: str, code: str) -> str:
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    return hmac.new(key.encode(), f"recovery|{plain}".encode(), hashlib.sha256).hexdigest()


def _bound_to(account: ProviderAccount) -> str:
    """The sealed secret's associated data: it opens only in its own row."""
    return f"provider_accounts.totp_secret|{account.id}"


def totp_secret(ctx: ServiceContext, account: ProviderAccount) -> str | None:
    """The account's TOTP secret in plain base32 (resealed under the current key when it
    was sealed under an earlier one, or not at all)."""
    if account.totp_secret is None:
        return None
    try:
        opened = unseal(account.totp_secret, ctx.settings.keys, _bound_to(account))
    except SealError:  # its key was dropped from PDU_SECRET_KEYS: no code can match
        log.warning("account %s: no configured secret key opens its TOTP secret", account.id)
        return None
    if opened.stale:
        account.totp_secret = seal(opened.plain, ctx.settings.current_key, _bound_to(account))
    return opened.plain


@dataclass(frozen=True)
class Enrolment:
    username: str
    secret: str  # base32, to show and to put in the QR code

    @property
    def provisioning_uri(self) -> str:
        """What the QR code holds (otpauth://...)."""
        totp = pyotp.TOTP(self.secret)
        return totp.provisioning_uri(name=self.username, issuer_name=ISSUER)


def begin_enrolment(ctx: ServiceContext, account_id: int) -> Enrolment:
    """A secret to scan (kept, sealed, until confirmed); refused while a second factor is
    on (turn it off first)."""
    account = _account(ctx, account_id)
    if account.has_second_factor:
        raise UserError("A second factor is already on for this account.")
    secret = totp_secret(ctx, account)
    if secret is None:
        secret = pyotp.random_base32()
        account.totp_secret = seal(secret, ctx.settings.current_key, _bound_to(account))
    return Enrolment(account.username, secret)


def _step_of(account: ProviderAccount, code: str, ctx: ServiceContext) -> int | None:
    """The time step `code` belongs to (now, or one step either side), or None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    secret = totp_secret(ctx, account)
    if secret is None or len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
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
    account.recovery_code_hashes = [_hash(ctx.settings.current_key, c) for c in codes]
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
    remaining = list(account.recovery_code_hashes or [])
    hashed = next((h for k in ctx.settings.keys if (h := _hash(k, code)) in remaining), None)
    if len(code.strip()) >= 10 and hashed is not None:
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
