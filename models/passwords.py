"""Provider passwords, as NIST SP 800-63B asks: long, any characters, not a common one.

12 to 128 characters (counted after Unicode NFC normalisation, which is also what is
hashed, so the same password typed on another keyboard matches); refused when it is on the
shipped list of common passwords (models/data/, 19,640 of them) or contains the username
or organisation name; no composition rules, no expiry. Hashed with argon2id.
"""

from __future__ import annotations

import gzip
import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"

# argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): ~50 ms on one core, and no
# more lanes than the small servers this runs on have.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# A hash of nothing anyone knows: checked when a name matches no account, so a sign-in
# takes as long whether or not the name exists.
_DUMMY = _hasher.hash("no account has this password: it only spends the same time")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def normalized(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def _folded(text: str) -> str:
    return "".join(ch for ch in normalized(text).casefold() if ch.isalnum())


def password_problem(password: str, *, username: str = "", organization: str = "") -> str | None:
    """Why `password` cannot be used, in plain words, or None."""
    text = normalized(password)
    if len(text) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (a few words make an easy one to remember)."
    if len(text) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if text.strip().casefold() in common_passwords() or _folded(text) in common_passwords():
        return "This password is one of the most common ones: choose one that is harder to guess."
    folded = _folded(text)
    for name, what in ((username, "your username"), (organization, "your organisation's name")):
        if len(_folded(name)) >= 4 and _folded(name) in folded:
            return f"The password contains {what}: choose one that is harder to guess."
    if len(set(folded)) <= 2:
        return "The password repeats one or two characters: choose one that is harder to guess."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(normalized(password))


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was made from (the same work when none)."""
    try:
        return _hasher.verify(stored or _DUMMY, normalized(password)) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def spend_hashing_time(password: str) -> None:
    """The work of one verification, for answers that must not be faster when nobody matches."""
    password_matches(None, password)
