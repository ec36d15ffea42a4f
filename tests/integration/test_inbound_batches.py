"""A poll's batch: stored in one transaction, then each message acted on in a savepoint of
one more. What one message does is still all or nothing, its error is its own, and a batch
that cannot commit is acted on one message at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from models.enums import InboundOutcome
from models.messages import InboundMessage
from models.services.email import receive as gateway
from models.services.email.receive import InboundResult, Incoming, receive_many
from models.uow import UnitOfWork
from tests.inbound_support import JANE, RITA, Desk, Mail, reply

APPLIED, ERROR = InboundOutcome.APPLIED, InboundOutcome.ERROR
MAIL = Path(__file__).parents[1] / "fixtures" / "email" / "first-month"


@pytest.fixture
def desk(uow: object, monkeypatch: pytest.MonkeyPatch) -> Desk:
    return Desk(monkeypatch)


def tasks(desk: Desk, count: int) -> list[tuple[str, Mail]]:
    """`count` new cases, each with its review task email to Rita."""
    found = []
    for n in range(count):
        reference = desk.submit(activity__title=f"Reading Institute, session {n}")
        case_id = desk.case_id(reference)
        task = [m for m in desk.outbox() if m.template == "review_task" and m.case_id == case_id]
        found.append((reference, task[-1]))
    return found


def receive_batch(desk: Desk, *raws: bytes, factory: Any = UnitOfWork) -> list[InboundResult]:
    return receive_many(factory, [Incoming.of(raw) for raw in raws], now=desk.now)


def decisions(desk: Desk, mark: int) -> list[int | None]:
    """The case of every decision email queued since `mark`."""
    return [m.case_id for m in desk.outbox(after=mark) if m.template == "decision_approved"]


def test_an_internal_error_in_one_message_undoes_only_that_message(desk, monkeypatch):
    cases = tasks(desk, 3)
    mark = desk.mark()
    real_decide, calls = gateway.decide, []

    def decide_then_fail_the_second(work, row, now, parsed):  # type: ignore[no-untyped-def]
        verdict = real_decide(work, row, now, parsed)  # the approval is applied, then the bug
        calls.append(row.id)
        if len(calls) == 2:
            raise RuntimeError("a bug after acting")
        return verdict

    monkeypatch.setattr(gateway, "decide", decide_then_fail_the_second)
    results = receive_batch(desk, *(reply(task, RITA, "APPROVE").as_bytes() for _, task in cases))

    assert [(r.outcome, r.reason) for r in results] == [
        (APPLIED, "approve"),
        (ERROR, "internal_error"),
        (APPLIED, "approve"),
    ]
    assert [desk.status(reference) for reference, _ in cases] == [
        "awaiting_proof",
        "in_review",  # nothing of the failed message's approval stayed
        "awaiting_proof",
    ]
    assert decisions(desk, mark) == [desk.case_id(cases[0][0]), desk.case_id(cases[2][0])]
    failed = desk.inbound(results[1].inbound_id)
    assert (failed.outcome, failed.detail) == ("error", "RuntimeError")


def test_a_batch_that_cannot_commit_is_acted_on_one_message_at_a_time(desk):
    cases = tasks(desk, 3)
    mark = desk.mark()
    commits: list[int] = []

    class CommitFailsOnce(UnitOfWork):
        def commit(self) -> None:
            commits.append(1)
            if len(commits) == 2:  # the batch's acting transaction (the first stored them)
                raise ValueError("a constraint only the commit checks")
            super().commit()

    results = receive_batch(
        desk,
        *(reply(task, RITA, "APPROVE").as_bytes() for _, task in cases),
        factory=CommitFailsOnce,
    )

    assert [(r.outcome, r.reason, r.case_reference) for r in results] == [
        (APPLIED, "approve", reference) for reference, _ in cases
    ]
    assert len(commits) == 2 + 3  # stored, the failed batch, then one commit a message
    assert [desk.status(reference) for reference, _ in cases] == ["awaiting_proof"] * 3
    assert decisions(desk, mark) == [desk.case_id(reference) for reference, _ in cases]


def test_the_same_message_twice_in_a_batch_is_acted_on_once(desk):
    [(reference, task)] = tasks(desk, 1)
    mark = desk.mark()
    raw = reply(task, RITA, "APPROVE").as_bytes()

    first, second = receive_batch(desk, raw, raw)

    assert (first.outcome, first.reason, first.duplicate) == (APPLIED, "approve", False)
    assert (second.outcome, second.reason, second.duplicate) == (APPLIED, "approve", True)
    assert first.inbound_id == second.inbound_id
    assert decisions(desk, mark) == [desk.case_id(reference)]
    with UnitOfWork() as work:
        assert len(work.session.scalars(select(InboundMessage.id)).all()) == 1


def test_a_message_stored_by_an_earlier_batch_is_a_duplicate_in_the_next(desk):
    [(reference, task)] = tasks(desk, 1)
    raw = reply(task, RITA, "APPROVE").as_bytes()
    [first] = receive_batch(desk, raw)
    mark = desk.mark()

    again, other = receive_batch(desk, raw, reply(task, JANE, "Thanks!").as_bytes())

    assert (again.outcome, again.duplicate, again.inbound_id) == (APPLIED, True, first.inbound_id)
    assert again.case_reference == reference
    assert other.outcome is InboundOutcome.REFUSED  # Jane is not whom Rita's task was sent to
    assert decisions(desk, mark) == []


def test_two_messages_sharing_a_message_id_in_one_batch_are_both_processed_the_second_flagged(
    desk,
):
    first_raw = (MAIL / "reused_id_first.eml").read_bytes()
    second_raw = (MAIL / "reused_id_second.eml").read_bytes()

    first, second = receive_batch(desk, first_raw, second_raw)

    assert not second.duplicate and second.inbound_id != first.inbound_id
    assert desk.inbound(second.inbound_id).collides_with_id == first.inbound_id
    assert desk.inbound(first.inbound_id).collides_with_id is None


def test_a_batch_reads_its_reply_tokens_and_their_cases_once_not_once_a_message(desk):
    cases = tasks(desk, 3)
    reads: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        first_line = statement.split("\n")[0]
        if first_line.startswith("SELECT") and "FROM reply_tokens" in statement:
            reads.append("token")
        if first_line.startswith("SELECT cases.id"):
            reads.append("case")

    approvals = [reply(task, RITA, "APPROVE").as_bytes() for _, task in cases]
    event.listen(Engine, "before_cursor_execute", count)
    try:
        results = receive_batch(desk, *approvals)
    finally:
        event.remove(Engine, "before_cursor_execute", count)

    assert [(r.outcome, r.case_reference) for r in results] == [
        (APPLIED, reference) for reference, _ in cases
    ]
    assert sorted(reads) == ["case", "token"]


def test_two_decisions_on_one_task_in_one_batch_apply_once_the_second_told_already_decided(
    desk,
):
    """The batch's tokens are read ahead; the second message sees what the first did."""
    [(reference, task)] = tasks(desk, 1)
    mark = desk.mark()

    approve, deny = receive_batch(
        desk,
        reply(task, RITA, "APPROVE").as_bytes(),
        reply(task, RITA, "DENY not in scope").as_bytes(),
    )

    assert (approve.outcome, approve.reason) == (APPLIED, "approve")
    assert (deny.outcome, deny.reason) == (InboundOutcome.REFUSED, "token_used")
    assert desk.status(reference) == "awaiting_proof"
    assert decisions(desk, mark) == [desk.case_id(reference)]
    assert [m.template for m in desk.outbox(after=mark) if RITA in m.to] == ["already_decided"]
