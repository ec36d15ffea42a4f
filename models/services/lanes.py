"""Sending on several SMTP connections at once.

One connection waits a round trip per email (our relay here: ~15 ms; a hosted one over
the internet: 100-300 ms), so it caps the outbox at a few dozen emails a second whatever
our CPU does. In a pass, the emails of one address take one connection, in the order they
were queued, and a pass ends before the next begins, so nobody gets an answer before the
acknowledgment it follows. Addresses are dealt to the connection with the fewest emails so
far: a pass lasts as long as its busiest connection.
"""

from __future__ import annotations

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
        lanes = dict(enumerate(_deal(emails, len(self.senders))))
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


def _deal(emails: Sequence[tuple[Row, Any]], lanes: int) -> list[list[tuple[Row, Any]]]:
    """The emails in `lanes` lists: one address's together in queue order, each address
    (in order of its first email) to the list with the fewest so far. Hashing addresses
    to lanes instead left one lane with 5-6 of 10 emails and the others idle."""
    by_address: dict[str, list[tuple[Row, Any]]] = defaultdict(list)
    for row, message in emails:
        found = getaddresses([str(message.get("To", ""))])
        by_address[found[0][1].lower() if found else ""].append((row, message))
    dealt: list[list[tuple[Row, Any]]] = [[] for _ in range(lanes)]
    for mine in by_address.values():
        min(dealt, key=len).extend(mine)
    return [lane for lane in dealt if lane]
