"""CSRF tokens and per-address rate limits for the web front.

CSRF: a random nonce in an HttpOnly, SameSite=Strict cookie, and in the form an HMAC of it
under PDU_SECRET_KEY; a post counts only when the two agree. Another site can neither read
the cookie nor compute the HMAC.

Rate limits count requests per client address in a sliding window, in this process's
memory (one `pdu web` process; several workers would each count their own). They measure
elapsed time with a monotonic timer, not the clock: PDU_NOW may stand still.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

CSRF_COOKIE = "pdu_csrf"
CSRF_FIELD = "csrf_token"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def _mac(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(secret: str, nonce: str) -> str:
    return _mac(secret, "csrf", nonce)


def csrf_ok(secret: str, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce), token)


def sign(secret: str, value: str) -> str:
    """A short signature of `value` (the confirmation page's link cannot be forged)."""
    return _mac(secret, "link", value)[:32]


def signed_ok(secret: str, value: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, value), signature)


MAX_ADDRESSES = 10_000


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: float


class RateLimiter:
    """At most `limit.requests` per `limit.seconds` for each key (a client address)."""

    def __init__(self, limit: Limit, timer: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._timer = timer
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int:
        """0 and the request counted, or the seconds to wait (the request not counted)."""
        now = self._timer()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.limit.seconds:
                hits.popleft()
            if len(hits) >= self.limit.requests:
                return max(1, int(hits[0] + self.limit.seconds - now + 0.999))
            hits.append(now)
            if len(self._hits) > MAX_ADDRESSES:  # forget idle addresses: memory stays bounded
                cutoff = now - self.limit.seconds
                for idle in [k for k, v in self._hits.items() if v[-1] <= cutoff]:
                    del self._hits[idle]
            return 0
