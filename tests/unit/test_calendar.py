"""Montana business days (MCA 1-1-216) and business hours, pinned to real dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.calendar import BusinessCalendar, montana_legal_holidays

DENVER = ZoneInfo("America/Denver")
CAL = BusinessCalendar()


def denver(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=DENVER)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# Every date MCA 1-1-216 closes the office, 2024-2030, worked out by hand from the
# statute (weekend dates included: the statute names them, the observance adds a weekday).
MONTANA_HOLIDAYS = {
    2024: "01-01 01-15 02-19 05-27 07-04 09-02 10-14 11-05 11-11 11-28 12-25",
    2025: "01-01 01-20 02-17 05-26 07-04 09-01 10-13 11-11 11-27 12-25",
    2026: "01-01 01-19 02-16 05-25 07-03 07-04 09-07 10-12 11-03 11-11 11-26 12-25",
    2027: "01-01 01-18 02-15 05-31 07-04 07-05 09-06 10-11 11-11 11-25 12-24 12-25 12-31",
    2028: "01-01 01-17 02-21 05-29 07-04 09-04 10-09 11-07 11-10 11-11 11-23 12-25",
    2029: "01-01 01-15 02-19 05-28 07-04 09-03 10-08 11-11 11-12 11-22 12-25",
    2030: "01-01 01-21 02-18 05-27 07-04 09-02 10-14 11-05 11-11 11-28 12-25",
}


@pytest.mark.parametrize("year", sorted(MONTANA_HOLIDAYS))
def test_holidays_in_a_year_are_exactly_the_montana_legal_holidays(year):
    expected = {date.fromisoformat(f"{year}-{md}") for md in MONTANA_HOLIDAYS[year].split()}
    assert set(CAL.holidays_in(year)) == expected


def _statute(year: int) -> set[date]:
    """MCA 1-1-216 written out from scratch, to catch the package drifting."""

    def nth_monday(month: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))

    last_may = date(year, 5, 31)
    fourth_thursday = date(year, 11, 1) + timedelta(days=(3 - date(year, 11, 1).weekday()) % 7 + 21)
    named = {
        date(year, 1, 1), nth_monday(1, 3), nth_monday(2, 3),
        last_may - timedelta(days=last_may.weekday()), date(year, 7, 4), nth_monday(9, 1),
        nth_monday(10, 2), date(year, 11, 11), fourth_thursday, date(year, 12, 25),
    }  # fmt: skip
    if year % 2 == 0:  # general election: the Tuesday after the first Monday in November
        named.add(nth_monday(11, 1) + timedelta(days=1))
    observed = {d - timedelta(days=1) for d in named if d.weekday() == 5}
    observed |= {d + timedelta(days=1) for d in named if d.weekday() == 6}
    return named | observed


@pytest.mark.parametrize("year", range(2024, 2051))
def test_package_holidays_match_the_statute_rules(year):
    # New Year's Day of the next year can be observed on December 31 of this one.
    expected = {d for d in _statute(year) | _statute(year + 1) if d.year == year}
    assert set(montana_legal_holidays(year)) == expected


def test_juneteenth_is_removed_with_its_observed_day_and_its_name():
    assert CAL.is_business_day(date(2026, 6, 19))
    assert CAL.is_business_day(date(2027, 6, 18))  # the package's observed Friday
    assert CAL.is_business_day(date(2033, 6, 20))  # the package's observed Monday
    names = [n for y in range(2024, 2035) for n in CAL.holidays_in(y).values()]
    assert not [n for n in names if "juneteenth" in n.lower()]


def test_election_day_2026_is_not_a_business_day():
    assert CAL.holidays_in(2026)[date(2026, 11, 3)] == "Election Day"
    assert not CAL.is_business_day(date(2026, 11, 3))


def test_first_tuesday_of_november_2027_is_a_business_day_in_an_odd_year():
    assert CAL.is_business_day(date(2027, 11, 2))


def test_veterans_day_2026_is_not_a_business_day():
    assert not CAL.is_business_day(date(2026, 11, 11))


def test_day_after_thanksgiving_is_a_business_day():
    assert not CAL.is_business_day(date(2026, 11, 26))
    assert CAL.is_business_day(date(2026, 11, 27))


def test_independence_day_on_saturday_2026_closes_friday_july_3():
    assert not CAL.is_business_day(date(2026, 7, 3))
    assert CAL.is_business_day(date(2026, 7, 2))


def test_christmas_on_saturday_2027_closes_friday_december_24():
    assert not CAL.is_business_day(date(2027, 12, 24))
    assert CAL.is_business_day(date(2027, 12, 23))


def test_new_years_day_2028_on_saturday_closes_friday_december_31_2027():
    assert not CAL.is_business_day(date(2027, 12, 31))
    assert CAL.is_business_day(date(2027, 12, 30))


def test_independence_day_on_sunday_2027_closes_monday_july_5():
    assert not CAL.is_business_day(date(2027, 7, 5))
    assert CAL.is_business_day(date(2027, 7, 6))


def test_veterans_day_on_sunday_2029_closes_monday_november_12():
    assert not CAL.is_business_day(date(2029, 11, 12))


def test_weekends_are_not_business_days():
    assert not CAL.is_business_day(date(2026, 11, 21))
    assert not CAL.is_business_day(date(2026, 11, 22))
    assert CAL.is_business_day(date(2026, 11, 23))


def test_end_of_business_day_is_five_pm_denver_in_utc():
    assert CAL.end_of_business_day(date(2026, 12, 2)) == utc(2026, 12, 3, 0, 0)
    assert CAL.end_of_business_day(date(2026, 7, 2)) == utc(2026, 7, 2, 23, 0)


def test_end_of_business_day_follows_dst_ending_on_november_1_2026():
    assert CAL.end_of_business_day(date(2026, 10, 30)) == utc(2026, 10, 30, 23)  # MDT
    assert CAL.end_of_business_day(date(2026, 11, 2)) == utc(2026, 11, 3, 0)  # MST
    assert CAL.add_business_days(denver(2026, 10, 30, 12), 1) == utc(2026, 11, 3, 0)


def test_end_of_business_day_follows_dst_starting_on_march_14_2027():
    assert CAL.end_of_business_day(date(2027, 3, 12)) == utc(2027, 3, 13, 0)  # MST
    assert CAL.end_of_business_day(date(2027, 3, 15)) == utc(2027, 3, 15, 23)  # MDT
    assert CAL.add_business_days(denver(2027, 3, 12, 16), 1) == utc(2027, 3, 15, 23)


def test_case_submitted_friday_before_thanksgiving_is_due_wednesday_december_2():
    due = CAL.add_business_days(denver(2026, 11, 20, 10), 7)
    assert due == utc(2026, 12, 3, 0, 0)
    assert due.astimezone(DENVER) == denver(2026, 12, 2, 17)


def test_day_zero_is_the_local_date_even_when_utc_is_already_the_next_day():
    # 21:00 Friday in Denver is 04:00 Saturday UTC: still day 0 = Friday 11-20.
    late_friday = denver(2026, 11, 20, 21)
    assert late_friday.astimezone(UTC).date() == date(2026, 11, 21)
    assert CAL.add_business_days(late_friday, 7) == utc(2026, 12, 3, 0)


def test_a_task_submitted_on_saturday_counts_from_monday():
    assert CAL.add_business_days(denver(2026, 11, 21, 9), 1) == CAL.end_of_business_day(
        date(2026, 11, 23)
    )


def test_zero_business_days_is_the_end_of_that_day_or_the_next_business_day():
    assert CAL.add_business_days(denver(2026, 12, 2, 9), 0) == utc(2026, 12, 3, 0)
    assert CAL.add_business_days(denver(2026, 11, 26, 9), 0) == utc(2026, 11, 28, 0)


def test_two_business_days_before_wednesday_december_2_is_monday_november_30():
    assert CAL.add_business_days(utc(2026, 12, 3, 0), -2) == utc(2026, 12, 1, 0)


def test_business_days_before_skip_thanksgiving():
    # Tue 12-01 → Mon 11-30, Fri 11-27, (Thanksgiving), Wed 11-25.
    assert CAL.add_business_days(denver(2026, 12, 1, 9), -3) == utc(2026, 11, 26, 0)


def test_an_office_closure_added_by_an_admin_is_skipped():
    cal = BusinessCalendar(closures=[date(2026, 11, 30)])
    assert not cal.is_business_day(date(2026, 11, 30))
    assert cal.add_business_days(denver(2026, 11, 20, 10), 7) == utc(2026, 12, 4, 0)
    assert cal.holidays_in(2026)[date(2026, 11, 30)] == "Office closure"


def test_a_closure_on_a_holiday_keeps_the_holiday_name():
    cal = BusinessCalendar(closures=[date(2026, 11, 26)])
    assert cal.holidays_in(2026)[date(2026, 11, 26)] == "Thanksgiving Day"


def test_calendar_is_immutable_and_compares_by_value():
    cal = BusinessCalendar(closures=[date(2026, 11, 30)])
    with pytest.raises(AttributeError):
        cal.closures = frozenset()  # type: ignore[misc]
    assert cal == BusinessCalendar(closures=(date(2026, 11, 30),), timezone=DENVER)
    assert cal != CAL


def test_another_timezone_and_business_hours_can_be_configured():
    cal = BusinessCalendar(timezone="America/New_York", opens=time(9), closes=time(16, 30))
    assert cal.end_of_business_day(date(2026, 12, 2)) == utc(2026, 12, 2, 21, 30)
    assert cal.business_time_between(utc(2026, 12, 2, 0), utc(2026, 12, 3, 0)) == hours(7.5)


def test_bad_constructor_arguments_are_refused():
    with pytest.raises(ValueError, match="open"):
        BusinessCalendar(opens=time(17), closes=time(8))
    with pytest.raises(TypeError):
        BusinessCalendar(closures=[datetime(2026, 11, 30, tzinfo=UTC)])


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="naive"):
        CAL.add_business_days(datetime(2026, 11, 20, 10), 7)
    with pytest.raises(ValueError, match="naive"):
        CAL.business_time_between(datetime(2026, 11, 20), utc(2026, 11, 21))


def test_business_time_within_one_day_counts_only_office_hours():
    assert CAL.business_time_between(denver(2026, 12, 2, 6), denver(2026, 12, 2, 20)) == hours(9)
    assert CAL.business_time_between(denver(2026, 12, 2, 10), denver(2026, 12, 2, 11, 30)) == (
        hours(1.5)
    )


def test_business_time_is_zero_when_the_end_is_not_after_the_start():
    assert CAL.business_time_between(denver(2026, 12, 2, 12), denver(2026, 12, 2, 12)) == hours(0)
    assert CAL.business_time_between(denver(2026, 12, 2, 12), denver(2026, 12, 1, 12)) == hours(0)


def test_business_time_across_thanksgiving_and_a_weekend():
    # Wed 11-25 15:00 → Mon 11-30 10:00: Wed 2 h, Thanksgiving 0, Fri 9 h, weekend 0, Mon 2 h.
    elapsed = CAL.business_time_between(denver(2026, 11, 25, 15), denver(2026, 11, 30, 10))
    assert elapsed == hours(13)


def test_business_time_across_the_dst_change_counts_real_office_hours():
    # Fri 10-30 12:00 MDT → Mon 11-02 12:00 MST: 5 h + 4 h, no phantom hour.
    elapsed = CAL.business_time_between(denver(2026, 10, 30, 12), denver(2026, 11, 2, 12))
    assert elapsed == hours(9)


def test_business_time_is_the_same_whatever_zone_the_instants_are_written_in():
    a, b = denver(2026, 11, 25, 15), denver(2026, 11, 30, 10)
    assert CAL.business_time_between(a.astimezone(UTC), b.astimezone(UTC)) == hours(13)


def test_adding_business_time_to_end_of_day_rolls_into_next_business_day():
    assert CAL.add_business_time(utc(2026, 12, 3, 0), hours(1)) == denver(2026, 12, 3, 9)


def test_adding_business_time_from_wednesday_evening_skips_thanksgiving():
    assert CAL.add_business_time(denver(2026, 11, 25, 17), hours(1)) == denver(2026, 11, 27, 9)


def test_adding_whole_business_days_of_time_keeps_end_of_day():
    # 9 h from the end of Wed 12-02 is the end of Thu 12-03, not 08:00 Friday.
    assert CAL.add_business_time(denver(2026, 12, 2, 17), hours(9)) == utc(2026, 12, 4, 0)
    assert CAL.add_business_time(denver(2026, 12, 2, 17), hours(27)) == utc(2026, 12, 8, 0)


def test_adding_business_time_from_before_opening_starts_at_opening():
    assert CAL.add_business_time(denver(2026, 12, 2, 6), hours(2)) == denver(2026, 12, 2, 10)


def test_adding_no_business_time_leaves_the_instant_alone():
    assert CAL.add_business_time(denver(2026, 11, 21, 3), hours(0)) == denver(2026, 11, 21, 3)


def test_adding_negative_business_time_is_refused():
    with pytest.raises(ValueError, match="negative"):
        CAL.add_business_time(denver(2026, 12, 2, 12), hours(-1))


def test_add_business_time_round_trips_with_business_time_between_over_thanksgiving():
    start = denver(2026, 11, 24, 10)
    end = CAL.add_business_time(start, hours(20))
    assert end == denver(2026, 11, 27, 12)  # Tue 7 h + Wed 9 h + Fri 4 h
    assert CAL.business_time_between(start, end) == hours(20)


# Properties, over 2024-2030 instants. Holidays are cached once per year, so examples are fast.

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=60 * 9 * 40).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(start=instants, n=st.integers(min_value=-40, max_value=40))
def test_add_business_days_always_lands_on_a_business_day_at_five_pm_local(start, n):
    due = CAL.add_business_days(start, n)
    local = due.astimezone(DENVER)
    assert CAL.is_business_day(local.date())
    assert local.time() == time(17)
    day0 = start.astimezone(DENVER).date()
    assert local.date() > day0 if n > 0 else local.date() < day0 if n < 0 else True


@settings(max_examples=200, deadline=None)
@given(start=instants, n=st.integers(min_value=1, max_value=40))
def test_going_n_business_days_forward_then_back_returns_to_the_same_end_of_day(start, n):
    day0 = CAL.add_business_days(start, 0)
    assert CAL.add_business_days(CAL.add_business_days(day0, n), -n) == day0


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_business_time_between_is_monotonic_and_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    between = CAL.business_time_between
    assert hours(0) <= between(a, b) <= between(a, c)
    assert between(a, c) == between(a, b) + between(b, c)


@settings(max_examples=200, deadline=None)
@given(start=instants, amount=durations)
def test_business_time_between_undoes_add_business_time(start, amount):
    end = CAL.add_business_time(start, amount)
    assert end >= start
    assert CAL.business_time_between(start, end) == amount
