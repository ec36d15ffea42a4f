"""Sending on several SMTP connections at once.

One connection waits a round trip per email (our relay here: ~15 ms; a hosted one over
the internet: 100-300 ms), so it caps the outbox at a few dozen emails a second whatever
our CPU does. The emails of one address always take the same connection, in the order
they were queued, so nobody gets an answer before the acknowledgment it follows.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import getaddresses
from queue import SimpleQueue
from threading import Event
from types import TracebackType
from typing import Any, Protocol, TypeVar

Row = TypeVar("Row")


class Sender(Protocol):
    def send(self, message: Any) -> None: ...


class Lanes:
    """One lane a sender; a thread a lane when there is more than one. The threads only
    talk SMTP: the caller records each outcome in its own thread and transaction."""

    def __init__(self, senders: Sequence[Sender]) -> None:
        if not senders:
            raise ValueError("at least one sender")
        self.senders = list(senders)
        self._pool = (
            ThreadPoolExecutor(len(self.senders), "smtp-lane") if len(self.senders) > 1 else None
        )

    def __enter__(self) -> Lanes:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def send(
        self, emails: Sequence[tuple[Row, Any]], in_time: Callable[[], bool]
    ) -> Iterator[tuple[Row, Exception | None]]:
        """(row, None) for each email the server took, (row, its error) for each it did
        not, as they finish; an email not started before `in_time()` turns false is not
        sent and not yielded. Every lane is finished when the iteration ends."""
        if self._pool is None:
            for row, message in emails:
                if not in_time():
                    return
                yield row, _attempt(self.senders[0], message)
            return
        lanes: dict[int, list[tuple[Row, Any]]] = defaultdict(list)
        for row, message in emails:
            lanes[_lane(message, len(self.senders))].append((row, message))
        finished: SimpleQueue[tuple[Row, Exception | None] | None] = SimpleQueue()
        abandoned = Event()  # the caller stopped listening (its database failed): stop too

        def run(sender: Sender, mine: list[tuple[Row, Any]]) -> None:
            try:
                for row, message in mine:
                    if abandoned.is_set() or not in_time():
                        break
                    finished.put((row, _attempt(sender, message)))
            finally:
                finished.put(None)  # this lane is done

        for lane, mine in lanes.items():
            self._pool.submit(run, self.senders[lane], mine)
        running = len(lanes)
        try:
            while running:
                item = finished.get()
                if item is None:
                    running -= 1
                else:
                    yield item
        finally:
            abandoned.set()


def _attempt(sender: Sender, message: Any) -> Exception | None:
    try:
        sender.send(message)
    except Exception as exc:
        return exc
    return None


def _lane(message: Any, lanes: int) -> int:
    """The same lane for the same first recipient, in every pass and every process."""
    found = getaddresses([str(message.get("To", ""))])
    first = found[0][1].lower() if found else ""
    return zlib.crc32(first.encode()) % lanes
