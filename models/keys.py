"""Keys derived from the deployment's secret (PDU_SECRET_KEY), pure.

Each use gets its own key from HKDF-SHA256 under its own label, so nothing about the secret
or another use's key can be learned from one of them; every process derives the same key
with no key file to distribute. Under rotation (PDU_SECRET_KEYS) each earlier secret
derives its earlier key: what was made under it stays readable.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT = b"pdu-workflows"


def derive_key(secret: str, label: bytes, length: int = 32) -> bytes:
    """`length` bytes for the use named by `label`, from the secret."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=SALT, info=label).derive(
        secret.encode("utf-8")
    )
