"""After a fault: what the office recorded and what the mail servers hold must agree.

- every inbound message has exactly one recorded outcome and was filed into Processed or
  Quarantine (the inbox is empty, and the folders hold one message per recorded row);
- every state change happened once (per email that caused it);
- every email that should go out went out, and exactly once: counted by Message-ID in
  each recipient's real mailbox;
- every open task still has its deadline (`deadlines()` before and after).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from devmail import client as mail_client
from models.cases import ReviewTask, TimelineEntry
from models.enums import OutboxStatus, TaskStatus
from models.messages import InboundMessage, OutboxMessage
from models.uow import UnitOfWork

FOLDERS = ("Processed", "Quarantine")


@dataclass(frozen=True)
class Figures:
    inbound: int  # messages with a recorded outcome
    outcomes: dict[str, int]
    emails: int  # outbox rows, all sent
    deliveries: int  # (mailbox, Message-ID) pairs found at the receiving mailboxes
    duplicates: int  # extra copies (same Message-ID) found


def check(server, system: str, max_duplicates: int = 0) -> Figures:  # type: ignore[no-untyped-def]
    """The invariants above; `max_duplicates` only for a sender killed with SIGKILL (see
    the test that kills it)."""
    with UnitOfWork() as work:
        inbound = list(work.session.scalars(select(InboundMessage)))
        outbox = list(work.session.scalars(select(OutboxMessage)))
        work.session.expunge_all()  # plain records once the unit of work closes
        changes = work.session.execute(
            select(TimelineEntry.case_id, TimelineEntry.message_id).where(
                TimelineEntry.message_id.is_not(None), TimelineEntry.to_status.is_not(None)
            )
        ).all()

    unfinished = [(r.id, r.outcome, r.filed_to) for r in inbound if r.filed_to not in FOLDERS]
    assert not unfinished, f"inbound messages without an outcome or a folder: {unfinished}"
    assert all(r.outcome and r.processed_at for r in inbound)
    assert server.messages(system, "INBOX") == []
    filed = sum(len(server.messages(system, folder)) for folder in FOLDERS)
    assert filed == len(inbound), f"{filed} messages filed, {len(inbound)} recorded"

    twice = [key for key, n in Counter(changes).items() if n > 1]
    assert not twice, f"state changes applied twice: {twice}"

    unsent = [(m.id, m.status, m.last_error) for m in outbox if m.status != OutboxStatus.SENT]
    assert not unsent, f"emails not sent: {unsent}"
    expected: dict[str, set[str]] = {}
    for row in outbox:
        for address in [*row.to_addresses, *row.cc_addresses]:
            expected.setdefault(address, set()).add(row.message_id)
    deliveries = duplicates = 0
    for address, wanted in expected.items():
        ids = Counter(str(mail_client.parse(raw)["Message-ID"]) for raw in server.messages(address))
        ours = Counter({mid: n for mid, n in ids.items() if mid in wanted})
        missing = wanted - set(ours)
        assert not missing, f"{address} never received {sorted(missing)}"
        duplicates += sum(n - 1 for n in ours.values())
        deliveries += sum(ours.values())
    assert duplicates <= max_duplicates, f"{duplicates} emails delivered more than once"
    return Figures(
        len(inbound),
        dict(Counter(f"{r.outcome} {r.reason}" for r in inbound)),
        len(outbox),
        deliveries,
        duplicates,
    )


def deadlines() -> dict[int, object]:
    """Due date of every open task, by task id."""
    with UnitOfWork() as work:
        rows = work.session.execute(
            select(ReviewTask.id, ReviewTask.due_at).where(ReviewTask.status == TaskStatus.OPEN)
        ).all()
        return dict(rows)
