"""The seven-business-day ladder, swept with the clock moved across real Montana weeks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from flows import jobs
from models import clock
from models.cases import Case
from models.enums import Channel
from models.messages import OutboxMessage
from models.services.context import ServiceContext
from models.services.review import applicant_replied, request_info
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests import factories
from tests.e2e.forms import preapproval


def mst(text: str) -> str:
    """An instant in Montana winter time (UTC-7)."""
    return f"{text}-07:00"


@pytest.fixture
def office(uow, monkeypatch):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with uow() as work:
        factories.office_staff(work.session, start)
        work.commit()

    def at(instant: str) -> None:
        monkeypatch.setenv("PDU_NOW", instant)

    return at


def submit(at, instant: str, **changes) -> str:
    at(instant)
    result = jobs.intake("preapproval", preapproval(**changes))
    assert result.ok, result.problems
    return result.reference


def emails(template: str) -> list[tuple[list[str], list[str], datetime]]:
    with UnitOfWork() as work:
        rows = work.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id)
        )
        return [(r.to_addresses, r.cc_addresses, r.created_at) for r in rows]


def sweep_at(at, instant: str) -> dict[str, int]:
    at(instant)
    return jobs.sweep().fired


def test_the_ladder_fires_at_the_exact_instants_around_thanksgiving(office):
    submit(office, mst("2026-11-20T09:00:00"))  # Friday; Thanksgiving is Thursday 11-26
    assert sweep_at(office, mst("2026-11-30T16:59:59")) == {}
    assert sweep_at(office, mst("2026-11-30T17:00:00")) == {"reminder": 1}  # 2 days before
    assert sweep_at(office, mst("2026-11-30T17:00:00")) == {}  # twice: nothing more
    assert sweep_at(office, mst("2026-12-02T16:59:59")) == {}
    assert sweep_at(office, mst("2026-12-02T17:00:00")) == {"escalation": 1}  # due
    assert sweep_at(office, mst("2026-12-04T16:59:59")) == {}
    assert sweep_at(office, mst("2026-12-04T17:00:00")) == {"reassignment": 1}
    assert sweep_at(office, mst("2026-12-09T12:00:00")) == {}
    [(to, cc, _)] = emails("escalation")
    assert (to, cc) == (["rita@opi.example"], ["sam@opi.example"])
    [(to, _, _)] = emails("reassigned")
    assert to == ["sam@opi.example"]
    [(to, _, _)] = emails("admin_notice")
    assert to == ["ada@opi.example"]


def test_election_day_and_veterans_day_are_skipped(office):
    submit(office, mst("2026-10-30T10:00:00"))  # Friday before election day 11-03
    with UnitOfWork() as work:
        task = work.session.scalar(select(Case)).open_task
        assert task.due_at == datetime.fromisoformat(mst("2026-11-12T17:00:00"))
    assert sweep_at(office, mst("2026-11-06T17:00:00")) == {}
    assert sweep_at(office, mst("2026-11-09T17:00:00")) == {"reminder": 1}
    assert sweep_at(office, mst("2026-11-12T17:00:00")) == {"escalation": 1}
    assert sweep_at(office, mst("2026-11-13T17:00:00")) == {}
    assert sweep_at(office, mst("2026-11-16T17:00:00")) == {"reassignment": 1}


def test_a_late_sweep_fires_every_missed_step_once_in_order(office):
    submit(office, mst("2026-11-20T09:00:00"))
    assert sweep_at(office, mst("2026-12-07T09:00:00")) == {
        "reminder": 1,
        "escalation": 1,
        "reassignment": 1,
    }
    assert sweep_at(office, mst("2026-12-08T09:00:00")) == {}


def test_time_waiting_on_the_applicant_moves_every_rung(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    office(mst("2026-11-23T09:00:00"))
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == ref))
        request_info(ctx, case, Actor("rita@opi.example", Channel.EMAIL), "Which days?")
        work.commit()
    # paused: no reminder while waiting, even past the original reminder time
    assert sweep_at(office, mst("2026-11-25T12:00:00")) == {}
    office(mst("2026-11-25T13:00:00"))  # 8 + 9 + 5 = 22 business hours paused
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == ref))
        applicant_replied(ctx, case, Actor("jane@school.example", Channel.EMAIL), "All", [])
        work.commit()
        assert case.open_task.due_at == datetime.fromisoformat(mst("2026-12-07T12:00:00"))
    assert sweep_at(office, mst("2026-12-03T11:59:59")) == {}
    assert sweep_at(office, mst("2026-12-03T12:00:00")) == {"reminder": 1}
    assert sweep_at(office, mst("2026-12-07T12:00:00")) == {"escalation": 1}
    assert sweep_at(office, mst("2026-12-09T12:00:00")) == {"reassignment": 1}


def test_concurrent_sweeps_fire_each_step_exactly_once(office):
    for n in range(6):
        submit(office, mst("2026-11-20T09:00:00"), email=f"teacher{n}@school.example")
    office(mst("2026-12-07T09:00:00"))
    results: list[dict[str, int]] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        results.append(jobs.sweep().fired)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = {
        step: sum(r.get(step, 0) for r in results)
        for step in ("reminder", "escalation", "reassignment")
    }
    assert total == {"reminder": 6, "escalation": 6, "reassignment": 6}
    assert len(emails("reminder")) == 6 and len(emails("escalation")) == 6


def test_one_broken_case_does_not_stop_the_others_deadlines(office):
    submit(office, mst("2026-11-20T09:00:00"), email="broken@school.example")
    submit(office, mst("2026-11-20T09:00:00"), email="fine@school.example")
    with UnitOfWork() as work:  # a case whose stored form can no longer be rendered
        first = work.session.scalar(select(Case).order_by(Case.id))
        first.form = {"activity": {}}
        work.commit()
    office(mst("2026-11-30T17:00:00"))
    report = jobs.sweep()
    assert report.fired == {"reminder": 1}
    assert len(report.failed) == 1
    [(to, _, _)] = emails("reminder")
    assert to == ["rita@opi.example"]
