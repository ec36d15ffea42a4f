"""A poll's batch: stored in one transaction, then acted on in one more, first without
savepoints and, should anything fail, again with a savepoint a message. What one message
does is still all or nothing, its error is its own, and a batch that cannot commit is
acted on one message at a time."""

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
    real_decide, seen = gateway.decide, []

    def decide_then_fail_the_second(ctx, row, parsed):  # type: ignore[no-untyped-def]
        verdict = real_decide(ctx, row, parsed)  # the approval is applied, then the bug
        seen.extend([row.id] if row.id not in seen else [])
        if seen[1:2] == [row.id]:  # whichever pass: a bug is a bug every time
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
            if len(commits) in (2, 3):  # the batch's two passes (the first commit stored it)
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
    assert len(commits) == 3 + 3  # stored, the batch's two passes, then one a message
    assert [desk.status(reference) for reference, _ in cases] == ["awaiting_proof"] * 3
    assert decisions(desk, mark) == [desk.case_id(reference) for reference, _ in cases]


def with_savepoints_counted(desk: Desk, *raws: bytes) -> tuple[list[InboundResult], int]:
    """The batch's results, and how many SAVEPOINT statements acting on it sent."""
    taken: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.startswith("SAVEPOINT"):
            taken.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        return receive_batch(desk, *raws), len(taken)
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def test_a_batch_in_which_nothing_fails_is_acted_on_without_a_savepoint(desk):
    cases = tasks(desk, 3)
    mark = desk.mark()

    results, savepoints = with_savepoints_counted(
        desk,
        reply(cases[0][1], RITA, "APPROVE").as_bytes(),
        reply(cases[1][1], RITA, "INFO Which days are in person?").as_bytes(),
        reply(cases[2][1], RITA, "Thanks, looking at it Monday").as_bytes(),  # refused, no use case
    )

    assert [(r.outcome, r.reason) for r in results] == [
        (APPLIED, "approve"),
        (APPLIED, "info"),
        (InboundOutcome.REFUSED, "unknown_command"),
    ]
    assert savepoints == 0
    assert decisions(desk, mark) == [desk.case_id(cases[0][0])]


def test_a_command_refused_mid_batch_leaves_no_trace_and_its_neighbours_apply_once(
    desk, caplog
):
    """The refusal is found in the pass without savepoints: that pass is undone whole and
    the batch acted on again, a savepoint a message, so each email is queued once."""
    cases = tasks(desk, 3)
    mark = desk.mark()
    caplog.set_level("INFO", logger=gateway.__name__)

    results, savepoints = with_savepoints_counted(
        desk,
        reply(cases[0][1], RITA, "APPROVE").as_bytes(),
        reply(cases[1][1], RITA, "APPROVE 40").as_bytes(),  # 18 hours were asked for
        reply(cases[2][1], RITA, "DENY a product demonstration").as_bytes(),
    )

    assert [(r.outcome, r.reason) for r in results] == [
        (APPLIED, "approve"),
        (InboundOutcome.REFUSED, "command_failed"),
        (APPLIED, "deny"),
    ]
    assert "more than the 18 hours requested" in results[1].detail
    assert savepoints > 0
    assert "acted on again, a savepoint a message" in caplog.text
    assert [desk.status(reference) for reference, _ in cases] == [
        "awaiting_proof",
        "in_review",
        "denied",
    ]
    sent = [(m.template, m.case_id) for m in desk.outbox(after=mark)]
    ids = [desk.case_id(reference) for reference, _ in cases]
    assert sorted(sent, key=str) == sorted(
        [("decision_approved", ids[0]), ("decision_denied", ids[2]), ("command_error", ids[1])],
        key=str,
    )


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


def test_a_batch_reads_its_reply_tokens_cases_and_the_staff_once_not_once_a_message(desk):
    cases = tasks(desk, 3)
    reads: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        first_line = statement.split("\n")[0]
        if first_line.startswith("SELECT") and "FROM reply_tokens" in statement:
            reads.append("token")
        if first_line.startswith("SELECT cases.id"):
            reads.append("case")
        if first_line.startswith("SELECT staff.") and "WHERE" not in statement:
            reads.append("staff list")  # is each reviewer still active: once, not each time

    approvals = [reply(task, RITA, "APPROVE").as_bytes() for _, task in cases]
    event.listen(Engine, "before_cursor_execute", count)
    try:
        results = receive_batch(desk, *approvals)
    finally:
        event.remove(Engine, "before_cursor_execute", count)

    assert [(r.outcome, r.case_reference) for r in results] == [
        (APPLIED, reference) for reference, _ in cases
    ]
    assert sorted(reads) == ["case", "staff list", "token"]


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
