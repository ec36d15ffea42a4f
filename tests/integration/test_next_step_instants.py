"""The stored next-step instants: always what the calendar computes from scratch, and a
sweep that reads only `next_step_at <= now` fires exactly what a sweep over everything would."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from flows import jobs
from models.calendar import BusinessCalendar
from models.cases import Case, ReviewTask
from models.deadlines import proof_schedule, steps_due
from models.enums import CaseStatus, Channel, TaskKind, TaskStatus
from models.people import OfficeClosure
from models.services.context import ServiceContext
from models.services.review import applicant_replied, approve, request_info
from models.services.schedule import (
    case_instant,
    fired_steps,
    ladder_policy,
    recompute_next_steps,
    task_instant,
)
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests import factories
from tests.e2e.forms import preapproval

START = datetime(2026, 11, 2, 15, tzinfo=UTC)  # a Monday, 08:00 in Montana
RITA = Actor("rita@opi.example", Channel.EMAIL)


@pytest.fixture
def office(uow, monkeypatch):
    with uow() as work:
        factories.office_staff(work.session, START)
        work.commit()

    def at(instant: datetime) -> None:
        monkeypatch.setenv("PDU_NOW", instant.isoformat())

    return at


def _fresh(work: UnitOfWork) -> tuple[BusinessCalendar, ServiceContext]:
    closures = work.session.scalars(select(OfficeClosure.day)).all()
    calendar = BusinessCalendar(closures=closures, timezone=work.settings.timezone)
    return calendar, ServiceContext(work.session, work.settings, START, calendar)


def assert_stored_instants_are_from_scratch(now: datetime) -> None:
    with UnitOfWork() as work:
        calendar, _ = _fresh(work)
        policy = ladder_policy(work.settings)
        for task in work.session.scalars(select(ReviewTask)):
            assert task.next_step_at == task_instant(task, calendar, policy), task.id
        for case in work.session.scalars(select(Case)):
            assert case.next_step_at == case_instant(case, calendar, work.settings, now), case.id


def from_scratch_sweep(now: datetime) -> Counter[str]:
    """What the sweep did before instants were stored: every open task and waiting case."""
    expected: Counter[str] = Counter()
    with UnitOfWork() as work:
        calendar, _ = _fresh(work)
        policy = ladder_policy(work.settings)
        for task in work.session.scalars(
            select(ReviewTask).where(
                ReviewTask.status == TaskStatus.OPEN, ReviewTask.paused_since.is_(None)
            )
        ):
            expected.update(
                s.value for s in steps_due(now, task.due_at, fired_steps(task), calendar, policy)
            )
        s = work.settings
        for case in work.session.scalars(
            select(Case).where(Case.status == CaseStatus.AWAITING_PROOF)
        ):
            end = date.fromisoformat(case.form["activity"]["end_date"])
            plan = proof_schedule(
                end, calendar, s.proof_reminder_business_days, s.proof_expiry_days
            )
            if now >= plan.expires_at:
                expected["expired"] += 1
            elif now >= plan.warn_at and case.expiry_warned_at is None:
                expected["proof_last_reminder"] += 1
            elif now >= plan.remind_at and case.proof_reminded_at is None:
                expected["proof_reminder"] += 1
    return expected


_SERIAL = itertools.count()


def _submit(at, when: datetime) -> str:
    """A new case each time (the database lives across hypothesis's examples)."""
    at(when)
    result = jobs.intake(
        "preapproval",
        preapproval(email=f"t{next(_SERIAL)}@school.example", retroactive_reason="Late notice"),
    )
    assert result.ok, result.problems
    return result.reference


def _act(at, when: datetime, reference: str, act) -> None:  # type: ignore[no-untyped-def]
    at(when)
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, when)
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        act(ctx, case)
        work.commit()


hours = st.integers(min_value=0, max_value=24 * 40).map(lambda h: timedelta(hours=h))
task_plan = st.tuples(
    hours,  # submitted after START
    st.sampled_from(["open", "paused", "resumed", "approved"]),
    hours,  # the action that long after submission
    hours,  # the answer that long after the question
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(task_plan, min_size=1, max_size=3),
    closures=st.lists(st.integers(min_value=0, max_value=60), max_size=3),
    sweep_after=st.lists(st.integers(min_value=0, max_value=24 * 110), min_size=1, max_size=3),
)
def test_stored_instants_match_the_calendar_and_a_sweep_fires_what_a_full_sweep_would(
    office, plans, closures, sweep_after
):
    for submitted, action, after, answer in plans:
        when = START + submitted
        ref = _submit(office, when)
        if action in ("paused", "resumed"):
            _act(
                office, when + after, ref, lambda ctx, c: request_info(ctx, c, RITA, "Which days?")
            )
        if action == "resumed":
            reply = lambda ctx, c: applicant_replied(  # noqa: E731
                ctx, c, Actor(c.applicant.email, Channel.EMAIL), "All of them", []
            )
            _act(office, when + after + answer, ref, reply)
        if action == "approved":
            _act(office, when + after, ref, lambda ctx, c: approve(ctx, c, RITA, Decimal(6)))
    with UnitOfWork() as work:  # closures, added after the tasks: the one recompute call
        _, ctx = _fresh(work)
        for offset in closures:
            day = START.date() + timedelta(days=offset)
            if work.session.scalar(select(OfficeClosure).where(OfficeClosure.day == day)) is None:
                work.session.add(OfficeClosure(day=day, reason="snow"))
        recompute_next_steps(ctx)  # reads the closures it was given
        work.commit()
    assert_stored_instants_are_from_scratch(START)
    for hours_after in sorted(sweep_after):
        now = START + timedelta(hours=hours_after)
        expected = from_scratch_sweep(now)
        report = jobs.sweep(now)
        assert not report.failed
        assert Counter(report.fired) == expected
        assert_stored_instants_are_from_scratch(now)


def test_a_closure_added_without_a_recompute_is_caught_by_the_next_sweep(office):
    ref = _submit(office, datetime(2026, 11, 20, 16, tzinfo=UTC))  # reminder 11-30 17:00 MST
    assert jobs.sweep(datetime(2026, 11, 20, 17, tzinfo=UTC)).fired == {}  # basis recorded
    with UnitOfWork() as work:
        work.session.add(OfficeClosure(day=date(2026, 11, 30), reason="snow"))  # no recompute
        work.commit()
    # With Monday 11-30 closed, the reminder two business days before Wednesday 12-02
    # comes on Friday 11-27 at 17:00 instead.
    assert jobs.sweep(datetime(2026, 11, 27, 23, 59, tzinfo=UTC)).fired == {}
    report = jobs.sweep(datetime(2026, 11, 28, 0, 0, tzinfo=UTC))
    assert report.fired == {"reminder": 1}
    with UnitOfWork() as work:
        task = work.session.scalar(select(Case).where(Case.reference == ref)).open_task
        assert task.next_step_at == datetime(2026, 12, 3, 0, tzinfo=UTC)  # due Wed 12-02 17:00


def test_a_task_written_without_its_instant_is_looked_at_by_the_next_sweep(office):
    ref = _submit(office, datetime(2026, 11, 20, 16, tzinfo=UTC))
    jobs.sweep(datetime(2026, 11, 20, 17, tzinfo=UTC))  # the basis is recorded
    with UnitOfWork() as work:  # as an import or another module might: no instant given
        case = work.session.scalar(select(Case).where(Case.reference == ref))
        task = case.open_task
        twin = ReviewTask(
            kind=TaskKind.REVIEW,
            status=TaskStatus.OPEN,
            assignee_id=task.assignee_id,
            created_at=task.created_at,
            due_at=task.due_at,
            paused_seconds=0,
        )
        case.tasks.append(twin)
        work.commit()
        assert twin.next_step_at == task.created_at
    report = jobs.sweep(datetime(2026, 11, 21, tzinfo=UTC))
    assert report.fired == {}
    assert_stored_instants_are_from_scratch(datetime(2026, 11, 21, tzinfo=UTC))


def test_a_decided_or_paused_task_has_no_next_step(office):
    ref = _submit(office, datetime(2026, 11, 20, 16, tzinfo=UTC))
    _act(
        office,
        datetime(2026, 11, 23, 16, tzinfo=UTC),
        ref,
        lambda ctx, c: request_info(ctx, c, RITA, "?"),
    )
    with UnitOfWork() as work:
        task = work.session.scalar(select(ReviewTask))
        assert task.paused_since is not None and task.next_step_at is None
