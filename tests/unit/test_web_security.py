"""The web front's CSRF tokens and rate limits (pure: an injected timer)."""

from __future__ import annotations

from web import security
from web.security import Limit, RateLimiter, csrf_ok, csrf_token, new_nonce, sign, signed_ok


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_csrf_token_is_good_only_with_its_own_nonce_and_secret():
    nonce = new_nonce()
    token = csrf_token("a-secret-of-sixteen", nonce)
    assert csrf_ok("a-secret-of-sixteen", nonce, token)
    assert not csrf_ok("a-secret-of-sixteen", new_nonce(), token)
    assert not csrf_ok("another-secret-key!", nonce, token)
    assert not csrf_ok("a-secret-of-sixteen", None, token)
    assert not csrf_ok("a-secret-of-sixteen", nonce, "")


def test_a_signed_link_cannot_be_changed():
    signature = sign("a-secret-of-sixteen", "PA-2026-00001|in_review|1")
    assert signed_ok("a-secret-of-sixteen", "PA-2026-00001|in_review|1", signature)
    assert not signed_ok("a-secret-of-sixteen", "PA-2026-00002|in_review|1", signature)


def test_the_limit_refuses_beyond_its_count_per_address_until_the_window_passes():
    timer = Timer()
    limiter = RateLimiter(Limit(2, 60), timer)
    assert [limiter.retry_after("10.0.0.1") for _ in range(3)] == [0, 0, 60]
    assert limiter.retry_after("10.0.0.2") == 0  # another address has its own count
    timer.now += 30
    assert limiter.retry_after("10.0.0.1") == 30  # a refused request does not count
    timer.now += 30
    assert limiter.retry_after("10.0.0.1") == 0


def test_idle_addresses_are_forgotten_so_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(security, "MAX_ADDRESSES", 3)
    timer = Timer()
    limiter = RateLimiter(Limit(5, 60), timer)
    for address in ("a", "b", "c"):
        limiter.retry_after(address)
    timer.now += 61
    limiter.retry_after("d")
    assert set(limiter._hits) == {"d"}
