"""The escalation ladder, pinned to a task submitted Friday 2026-11-20 (before Thanksgiving)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.calendar import BusinessCalendar
from models.deadlines import LadderPolicy, Step, paused_due, review_due, schedule, steps_due

DENVER = ZoneInfo("America/Denver")
CAL = BusinessCalendar()
POLICY = LadderPolicy()
SUBMITTED = datetime(2026, 11, 20, 10, tzinfo=DENVER)
DUE = datetime(2026, 12, 3, 0, tzinfo=UTC)  # end of Wed 12-02, 17:00 MST


def denver(m: int, d: int, hh: int = 17, mm: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=DENVER)


def test_steps_are_stored_by_value_in_ladder_order():
    assert [s.value for s in Step] == ["reminder", "escalation", "reassignment"]


def test_default_policy_is_seven_days_reminder_two_before_reassign_two_after():
    assert (POLICY.review_days, POLICY.reminder_days_before, POLICY.reassign_days_after) == (
        7,
        2,
        2,
    )


def test_negative_ladder_offsets_are_refused():
    with pytest.raises(ValueError):
        LadderPolicy(reminder_days_before=-1)
    with pytest.raises(ValueError):
        LadderPolicy(review_days=0)


def test_task_submitted_friday_before_thanksgiving_is_due_end_of_wednesday_december_2():
    assert review_due(SUBMITTED, CAL, POLICY) == DUE


def test_ladder_for_task_submitted_friday_before_thanksgiving():
    assert schedule(DUE, CAL, POLICY) == {
        Step.REMINDER: denver(11, 30),  # Mon: two business days before Wed 12-02
        Step.ESCALATION: denver(12, 2),
        Step.REASSIGNMENT: denver(12, 4),  # Fri: two business days after
    }
    assert list(schedule(DUE, CAL, POLICY)) == list(Step)


def test_reminder_two_business_days_before_skips_thanksgiving():
    # Due end of Mon 11-30: Fri 11-27 is one back, Thanksgiving is skipped, Wed 11-25 is two.
    assert schedule(denver(11, 30), CAL, POLICY)[Step.REMINDER] == denver(11, 25)


def test_ladder_offsets_are_configurable():
    policy = LadderPolicy(review_days=5, reminder_days_before=1, reassign_days_after=3)
    due = review_due(SUBMITTED, CAL, policy)
    assert due == denver(11, 30)  # Mon 23, Tue 24, Wed 25, Fri 27, Mon 30
    assert schedule(due, CAL, policy) == {
        Step.REMINDER: denver(11, 27),
        Step.ESCALATION: denver(11, 30),
        Step.REASSIGNMENT: denver(12, 3),
    }


def test_an_office_closure_moves_the_reassignment():
    cal = BusinessCalendar(closures=[date(2026, 12, 4)])
    assert schedule(DUE, cal, POLICY)[Step.REASSIGNMENT] == denver(12, 7)


def test_nothing_is_due_before_the_reminder():
    assert steps_due(denver(11, 30, 16, 59), DUE, set(), CAL, POLICY) == []


def test_reminder_is_due_at_the_end_of_monday_november_30():
    assert steps_due(denver(11, 30), DUE, set(), CAL, POLICY) == [Step.REMINDER]


def test_escalation_fires_at_due_when_the_reminder_already_fired():
    fired = {Step.REMINDER}
    assert steps_due(denver(12, 2, 16, 59), DUE, fired, CAL, POLICY) == []
    assert steps_due(denver(12, 2), DUE, fired, CAL, POLICY) == [Step.ESCALATION]


def test_reassignment_waits_until_the_end_of_friday_december_4():
    fired = {Step.REMINDER, Step.ESCALATION}
    assert steps_due(denver(12, 4, 16, 59), DUE, fired, CAL, POLICY) == []
    assert steps_due(denver(12, 4), DUE, fired, CAL, POLICY) == [Step.REASSIGNMENT]


def test_sweep_running_late_fires_every_missed_step_once_in_ladder_order():
    # The sweep was down from before the reminder until Monday 12-07.
    assert steps_due(denver(12, 7, 9), DUE, set(), CAL, POLICY) == [
        Step.REMINDER,
        Step.ESCALATION,
        Step.REASSIGNMENT,
    ]


def test_sweep_running_twice_fires_nothing_the_second_time():
    now = denver(12, 2, 17, 15)
    fired: set[Step] = set()
    first = steps_due(now, DUE, fired, CAL, POLICY)
    fired.update(first)  # the caller records what it fired
    assert first == [Step.REMINDER, Step.ESCALATION]
    assert steps_due(now, DUE, fired, CAL, POLICY) == []


def test_sweep_time_in_another_zone_is_the_same_instant():
    now = denver(11, 30).astimezone(UTC)  # 2026-12-01T00:00Z
    assert steps_due(now, DUE, set(), CAL, POLICY) == [Step.REMINDER]


def test_naive_sweep_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        steps_due(datetime(2026, 12, 7), DUE, set(), CAL, POLICY)


def test_a_three_business_day_pause_moves_the_whole_ladder_three_business_days():
    # Waiting on the applicant from Tue 11-24 10:00 to Mon 11-30 10:00:
    # Tue 7 h + Wed 9 h + (Thanksgiving, weekend) + Fri 9 h + Mon 2 h = 27 h = 3 days.
    paused = CAL.business_time_between(denver(11, 24, 10), denver(11, 30, 10))
    assert paused == timedelta(hours=27)
    due = paused_due(DUE, paused, CAL)
    assert due == denver(12, 7)  # Thu 12-03, Fri 12-04, Mon 12-07
    assert schedule(due, CAL, POLICY) == {
        Step.REMINDER: denver(12, 3),
        Step.ESCALATION: denver(12, 7),
        Step.REASSIGNMENT: denver(12, 9),
    }
    # The sweep on the old due date now finds nothing: the reminder is not due yet.
    assert steps_due(denver(12, 2), due, set(), CAL, POLICY) == []


def test_a_part_day_pause_keeps_every_step_at_the_due_time_of_day():
    due = paused_due(DUE, timedelta(hours=3), CAL)
    assert due == denver(12, 3, 11)  # end of Wed + 3 business hours = Thu 11:00
    assert schedule(due, CAL, POLICY) == {
        Step.REMINDER: denver(12, 1, 11),  # Tue: two business days before Thu
        Step.ESCALATION: denver(12, 3, 11),
        Step.REASSIGNMENT: denver(12, 7, 11),  # Mon: Fri 12-04 is one, Mon 12-07 two
    }


def test_no_pause_leaves_the_due_date_alone():
    assert paused_due(DUE, timedelta(0), CAL) == DUE


@settings(max_examples=150, deadline=None)
@given(
    submitted=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 1), timezones=st.just(UTC)
    ),
    late=st.integers(min_value=0, max_value=60 * 24 * 30).map(lambda m: timedelta(minutes=m)),
)
def test_any_run_of_sweeps_fires_each_step_at_most_once_and_in_order(submitted, late):
    due = review_due(submitted, CAL, POLICY)
    times = schedule(due, CAL, POLICY)
    assert times[Step.REMINDER] < times[Step.ESCALATION] < times[Step.REASSIGNMENT]
    fired: list[Step] = []
    for now in (due - timedelta(days=3), due, due + late, due + late):
        fired += steps_due(now, due, set(fired), CAL, POLICY)
    assert fired == [s for s in Step if times[s] <= due + late]
