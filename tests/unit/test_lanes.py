"""Sending on several connections: every email once, one address's emails in order on one
connection, errors per email, and nothing new started once time is up or the caller stops
listening."""

from __future__ import annotations

import threading
import time
from email.message import EmailMessage

import pytest

from models.services.lanes import Lanes


class Connection:
    """A sender that records what it sent, and from which thread."""

    def __init__(self, refuse: str = "", seconds: float = 0.0) -> None:
        self.sent: list[str] = []
        self.threads: set[int] = set()
        self.refuse, self.seconds = refuse, seconds

    def send(self, message: EmailMessage) -> None:
        time.sleep(self.seconds)
        self.threads.add(threading.get_ident())
        if self.refuse and self.refuse in str(message["To"]):
            raise OSError("refused")
        self.sent.append(str(message["Subject"]))


def email(n: int, to: str) -> tuple[int, EmailMessage]:
    message = EmailMessage()
    message["To"], message["Subject"] = to, f"email {n}"
    return n, message


def addresses(count: int) -> list[str]:
    return [f"Person {n} <person{n}@school.example>" for n in range(count)]


def test_every_email_is_sent_once_spread_over_the_connections():
    connections = [Connection() for _ in range(3)]
    emails = [email(n, to) for n, to in enumerate(addresses(30))]

    with Lanes(connections) as lanes:
        results = list(lanes.send(emails, lambda: True))

    assert sorted(row for row, _ in results) == list(range(30))
    assert all(error is None for _, error in results)
    sent = [subject for c in connections for subject in c.sent]
    assert sorted(sent) == sorted(f"email {n}" for n in range(30))
    assert [len(c.sent) for c in connections] == [10, 10, 10]  # none waits on a busier one
    assert all(len(c.threads) == 1 for c in connections)  # a connection is one thread's


def test_one_addresses_emails_keep_their_order_on_one_connection_whatever_its_display_name():
    connections = [Connection(seconds=0.002) for _ in range(3)]
    names = ["Ann Lee", "Ann B. Lee", '"Lee, Ann"']
    emails = [email(n, f"{names[n % 3]} <Ann@School.example>") for n in range(12)]
    emails += [email(100 + n, to) for n, to in enumerate(addresses(9))]

    with Lanes(connections) as lanes:
        list(lanes.send(emails, lambda: True))

    [ann] = [c for c in connections if "email 0" in c.sent]
    assert [s for s in ann.sent if int(s.split()[1]) < 100] == [f"email {n}" for n in range(12)]


def test_one_addresses_emails_count_toward_their_connections_load():
    connections = [Connection() for _ in range(3)]
    emails = [email(n, "ann@school.example") for n in range(4)]
    emails += [email(10 + n, to) for n, to in enumerate(addresses(8))]

    with Lanes(connections) as lanes:
        list(lanes.send(emails, lambda: True))

    assert sorted(len(c.sent) for c in connections) == [4, 4, 4]
    [ann] = [c for c in connections if "email 0" in c.sent]
    assert ann.sent == [f"email {n}" for n in range(4)]  # Ann's, and nobody else's


def test_an_error_is_that_emails_outcome_and_the_others_go_on():
    connections = [Connection(refuse="person4@") for _ in range(2)]
    emails = [email(n, to) for n, to in enumerate(addresses(8))]

    with Lanes(connections) as lanes:
        results = dict(lanes.send(emails, lambda: True))

    assert isinstance(results.pop(4), OSError)
    assert list(results.values()) == [None] * 7


@pytest.mark.parametrize("count", [1, 3])
def test_no_email_is_started_once_time_is_up(count):
    connections = [Connection() for _ in range(count)]
    emails = [email(n, to) for n, to in enumerate(addresses(10))]
    started = iter([True, True])  # time for two emails, then none

    with Lanes(connections) as lanes:
        results = list(lanes.send(emails, lambda: next(started, False)))

    assert len(results) == 2
    assert sum(len(c.sent) for c in connections) == 2


class Gated(Connection):
    """The first email of all goes at once; every other waits at the gate."""

    first = threading.Lock()

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def send(self, message: EmailMessage) -> None:
        if not Gated.first.acquire(blocking=False):
            assert self.gate.wait(5)
        super().send(message)


def test_a_caller_that_stops_listening_stops_every_lane_after_its_email_in_flight():
    gate = threading.Event()
    connections = [Gated(gate) for _ in range(3)]
    emails = [email(n, to) for n, to in enumerate(addresses(60))]

    with Lanes(connections) as lanes:
        for _row, _error in lanes.send(emails, lambda: True):
            break  # e.g. recording the first outcome failed
        gate.set()  # the emails in flight, one a lane, now finish

    assert sum(len(c.sent) for c in connections) == 1 + len(connections)


def test_lanes_need_a_sender():
    with pytest.raises(ValueError, match="at least one sender"):
        Lanes([])
