"""Reply tokens: the secret in `pdu+<token>@…` that binds a reply to a case and a person.

Pure. Tokens are 128 random bits in lower-case base32 (mail systems may lower-case the
local part, so the alphabet must survive it); only an HMAC of a token is ever stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

TOKEN_LENGTH = 26  # 130 bits of base32, padding dropped
_TOKEN = re.compile(r"^[a-z2-7]{26}$")


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(17)).decode("ascii").lower()[:TOKEN_LENGTH]


def looks_like_token(candidate: str) -> bool:
    return bool(_TOKEN.match(candidate))


def token_hash(token: str, secret_key: str) -> str:
    """What the database stores: a leaked table does not reveal usable tokens."""
    return hmac.new(secret_key.encode(), token.lower().encode(), hashlib.sha256).hexdigest()


def reply_address(mail_address: str, token: str) -> str:
    local, _, domain = mail_address.partition("@")
    return f"{local}+{token}@{domain}"
