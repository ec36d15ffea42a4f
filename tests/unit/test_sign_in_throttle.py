"""The back-off and lock rule for failed sign-ins (pure: instants in, instant out)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.sign_ins import ACCOUNT, ADDRESS, LOCK, WINDOW, locks_now, wait_until

T0 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def every(seconds: float, n: int) -> list[datetime]:
    return [T0 + timedelta(seconds=seconds * i) for i in range(n)]


def test_the_first_failures_are_free_then_each_wait_doubles():
    assert wait_until(every(1, 2), ACCOUNT, T0 + timedelta(seconds=2)) is None
    last = T0 + timedelta(seconds=2)
    waits = [wait_until(every(1, n), ACCOUNT, last) for n in (3, 4, 5)]
    assert waits == [
        T0 + timedelta(seconds=2) + timedelta(seconds=1),
        T0 + timedelta(seconds=3) + timedelta(seconds=2),
        T0 + timedelta(seconds=4) + timedelta(seconds=4),
    ]
    later = wait_until(every(1, 9), ACCOUNT, T0 + timedelta(seconds=9))
    assert later == T0 + timedelta(seconds=8 + 60)  # capped at a minute


def test_ten_failures_in_the_window_lock_for_fifteen_minutes_from_the_tenth():
    failures = every(61, 10)
    tenth = failures[-1]
    assert wait_until(failures, ACCOUNT, tenth + timedelta(minutes=14)) == tenth + LOCK
    assert wait_until(failures, ACCOUNT, tenth + LOCK) is None
    assert wait_until(failures, ACCOUNT, tenth + timedelta(minutes=10)) == tenth + LOCK
    assert locks_now(9, ACCOUNT) and not locks_now(10, ACCOUNT) and not locks_now(8, ACCOUNT)


def test_failures_older_than_the_window_do_not_count():
    old = every(1, 9)
    assert wait_until(old, ACCOUNT, T0 + WINDOW + timedelta(seconds=10)) is None


def test_an_address_gets_more_free_tries_than_one_account():
    failures = every(1, 9)
    assert wait_until(failures, ADDRESS, T0 + timedelta(seconds=9)) is None
    assert wait_until(failures, ACCOUNT, T0 + timedelta(seconds=9)) is not None
