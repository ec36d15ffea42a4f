"""Small secrets kept in the database sealed (AES-256-GCM), pure: a TOTP secret must be
usable by the server, so it cannot be hashed, but a copy of the database alone must not
give it away.

The key is derived from the deployment's secret (models.keys, a label of its own). The
sealed form is `v1:` + base64url(nonce ‖ ciphertext ‖ tag); the row's own identity is the
associated data, so a value copied into another row does not open. Under rotation
(PDU_SECRET_KEYS, current first) each key is tried in turn; the caller reseals with the
current one what an earlier key (or none: a row from before sealing) opened.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.keys import derive_key

PREFIX = "v1:"
_LABEL = b"sealed values aes-256-gcm v1"
_NONCE_BYTES = 12


class SealError(ValueError):
    """No key opens the value: the secret it was sealed under is no longer configured."""


@dataclass(frozen=True)
class Opened:
    plain: str
    stale: bool  # sealed under an earlier key, or not sealed at all: reseal it


def _aead(secret: str) -> AESGCM:
    return AESGCM(derive_key(secret, _LABEL))


def seal(plain: str, secret: str, context: str) -> str:
    """`plain` sealed under the key of `secret`, bound to `context` (e.g. the row's id)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(secret).encrypt(nonce, plain.encode("utf-8"), context.encode("utf-8"))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def unseal(stored: str, secrets: Sequence[str], context: str) -> Opened:
    """The plain value: opened with the first of `secrets` that fits (current first). A
    value from before sealing is returned as it is, marked stale."""
    if not is_sealed(stored):
        return Opened(stored, stale=True)
    raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for index, secret in enumerate(secrets):
        try:
            plain = _aead(secret).decrypt(nonce, sealed, context.encode("utf-8"))
        except InvalidTag:
            continue
        return Opened(plain.decode("utf-8"), stale=index > 0)
    raise SealError("no configured secret key opens this value (was an old key dropped?)")
