"""How a poll cuts the inbox into batches: at most 25 messages and 32 MB to download at
once, in order, nothing left out (a batch is stored, acted on and filed together)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models.services.email.poll import batches

MB = 2**20
CAP = 30 * MB  # the default size cap: larger messages are never downloaded


def test_a_backlog_is_read_25_messages_at_a_time_in_order() -> None:
    pending = [(uid, 10_000) for uid in range(1, 61)]
    cut = list(batches(pending, max_message_bytes=CAP))
    assert [len(batch) for batch in cut] == [25, 25, 10]
    assert [uid for batch in cut for uid, _ in batch] == list(range(1, 61))


def test_large_messages_start_a_new_batch_before_32_mb_are_held_at_once() -> None:
    pending = [(1, 20 * MB), (2, 10 * MB), (3, 5 * MB), (4, 1 * MB)]
    assert list(batches(pending, max_message_bytes=CAP)) == [
        [(1, 20 * MB), (2, 10 * MB)],
        [(3, 5 * MB), (4, 1 * MB)],
    ]


def test_a_message_over_the_cap_weighs_nothing_as_it_is_never_downloaded() -> None:
    pending = [(1, 30 * MB), (2, 500 * MB), (3, 2 * MB)]
    assert list(batches(pending, max_message_bytes=CAP)) == [pending]


@given(st.lists(st.integers(min_value=0, max_value=40 * MB), max_size=80))
def test_every_message_is_in_exactly_one_batch_within_the_bounds(sizes: list[int]) -> None:
    pending = list(enumerate(sizes, 1))
    cut = list(batches(pending, max_message_bytes=CAP))
    assert [item for batch in cut for item in batch] == pending
    for batch in cut:
        downloaded = sum(size for _, size in batch if size <= CAP)
        assert 1 <= len(batch) <= 25
        assert downloaded <= 32 * MB or len(batch) == 1
