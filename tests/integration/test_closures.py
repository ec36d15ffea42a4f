"""Office closures: added or removed after tasks were assigned, they move due dates and
with them every rung of the ladder, as a holiday would, once, on the timeline."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import event, select

from models import clock
from models.cases import Case
from models.people import OfficeClosure
from models.services.closures import add_closure, remove_closure
from models.services.context import ServiceContext
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests.integration.test_cli import pdu
from tests.integration.test_deadline_sweep import mst, office, submit, sweep_at

__all__ = ["office"]  # the fixture, shared with the sweep's tests
CLI = Actor.system()


def due(reference: str) -> datetime:
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        return case.open_task.due_at


def moves(reference: str) -> list[str]:
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        return [e.detail for e in case.timeline if e.action == "due_moved"]


def test_a_closure_added_on_the_due_day_moves_the_escalation_to_the_next_business_day(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))  # due Wednesday 12-02 17:00
    assert sweep_at(office, mst("2026-11-30T17:00:00")) == {"reminder": 1}
    office(mst("2026-12-02T07:30:00"))  # snow overnight: closed today
    done = pdu("closure", "add", "2026-12-02", "--reason", "Snow day", "--json")
    assert json.loads(done.stdout) == {
        "days": ["2026-12-02"],
        "moved": [
            {
                "reference": ref,
                "due_before": "2026-12-02T17:00:00-07:00",
                "due_after": "2026-12-03T17:00:00-07:00",
            }
        ],
    }
    assert sweep_at(office, mst("2026-12-02T17:00:00")) == {}
    assert sweep_at(office, mst("2026-12-03T16:59:59")) == {}
    assert sweep_at(office, mst("2026-12-03T17:00:00")) == {"escalation": 1}
    assert sweep_at(office, mst("2026-12-07T16:59:59")) == {}
    assert sweep_at(office, mst("2026-12-07T17:00:00")) == {"reassignment": 1}
    assert moves(ref) == [
        "due 2026-12-02 17:00 -> 2026-12-03 17:00: office closed 2026-12-02 (Snow day)"
    ]
    again = pdu("closure", "add", "2026-12-02", "--reason", "Snow day", check=False)
    assert (again.returncode, again.stderr) == (
        4,  # refused: it conflicts with what is recorded
        "pdu: the office is already closed on 2026-12-02\n",
    )
    assert len(moves(ref)) == 1


def test_removing_a_closure_moves_the_due_date_and_reminder_back(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))  # due 12-02 17:00, reminder 11-30 17:00
    office(mst("2026-11-23T10:00:00"))
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        add_closure(ctx, date(2026, 11, 27), date(2026, 11, 30), "Office move", CLI)
        work.commit()
    # Friday 11-27 and Monday 11-30 closed: two business days later.
    assert due(ref) == datetime.fromisoformat(mst("2026-12-04T17:00:00"))
    assert sweep_at(office, mst("2026-11-30T17:00:00")) == {}
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        report = remove_closure(ctx, date(2026, 11, 27), date(2026, 11, 30), CLI)
        work.commit()
    assert report.days == [date(2026, 11, d) for d in (27, 28, 29, 30)]
    assert due(ref) == datetime.fromisoformat(mst("2026-12-02T17:00:00"))
    assert sweep_at(office, mst("2026-11-30T17:00:00")) == {"reminder": 1}
    assert len(moves(ref)) == 2


def test_a_closure_after_the_due_date_or_on_a_weekend_moves_nothing(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    office(mst("2026-11-23T10:00:00"))
    done = pdu("closure", "add", "2026-12-05", "--to", "2026-12-06", "--reason", "x", "--json")
    assert json.loads(done.stdout)["moved"] == []
    done = pdu("closure", "add", "2026-12-10", "--reason", "Staff training", "--json")
    assert json.loads(done.stdout)["moved"] == []
    assert moves(ref) == []
    listed = json.loads(pdu("closure", "list", "--json").stdout)
    assert [r["day"] for r in listed] == ["2026-12-05", "2026-12-06", "2026-12-10"]
    pdu("closure", "remove", "2026-12-10")
    assert [r["day"] for r in json.loads(pdu("closure", "list", "--json").stdout)] == [
        "2026-12-05",
        "2026-12-06",
    ]


def test_bad_closure_arguments_are_one_plain_line(office):
    office(mst("2026-11-23T10:00:00"))
    for args, words, code in [
        (("add", "12/24/2026", "--reason", "x"), "DATE: '12/24/2026' is not a date like", 2),
        (("add", "2026-12-24", "--to", "2026-12-23", "--reason", "x"), "is before", 2),
        (("add", "2026-12-01", "--to", "2027-03-01", "--reason", "x"), "at most 31 days", 2),
        (("add", "2026-12-24", "--reason", "  "), "needs a reason", 2),
        (("remove", "2026-12-24"), "no office closure on 2026-12-24", 3),  # not found
    ]:
        done = pdu("closure", *args, check=False)
        assert done.returncode == code, (args, done.returncode, done.stderr)
        assert done.stderr.startswith("pdu: ") and words in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


THANKSGIVING_FRIDAY = date(2026, 11, 27)


def test_closures_are_read_once_a_transaction_and_again_in_the_next(uow):
    """Contexts in one transaction share one read of the closures (a poll's batch); the
    next transaction of the same session, or one after a rollback, sees what others added."""
    now = clock.now()
    reads: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "FROM office_closures" in statement:
            reads.append(statement)

    with UnitOfWork() as work:
        event.listen(work.engine, "before_cursor_execute", count)
        try:
            first = ServiceContext.of(work, now).calendar
            assert ServiceContext.of(work, now).calendar.closures == first.closures
            assert len(reads) == 1
            work.commit()
            with UnitOfWork() as other:
                other.session.add(OfficeClosure(day=THANKSGIVING_FRIDAY, reason="added elsewhere"))
                other.commit()
            assert THANKSGIVING_FRIDAY in ServiceContext.of(work, now).calendar.closures
            assert len(reads) == 2

            with work.session.begin_nested() as savepoint:
                ServiceContext.of(work, now).calendar  # noqa: B018  (read, then rolled back)
                savepoint.rollback()
            ServiceContext.of(work, now).calendar  # noqa: B018
            assert len(reads) == 3
        finally:
            event.remove(work.engine, "before_cursor_execute", count)
