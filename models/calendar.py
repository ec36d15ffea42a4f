"""Montana business days and business hours (MCA 1-1-216), for deadlines.

A business day is a weekday that is not a legal holiday of MCA 1-1-216 and not an
office closure added by an admin. The legal holidays: New Year's Day, Martin Luther
King Jr. Day, Lincoln's and Washington's Birthdays (Presidents' Day), Memorial Day,
Independence Day, Labor Day, Columbus Day (Indigenous Peoples' Day), Veterans' Day,
Thanksgiving, Christmas, and the state general election day (even years); one on a
Saturday is also observed the Friday before, one on a Sunday the Monday after.

The dates come from the `holidays` package (US, subdivision MT), with one correction:
it lists Juneteenth, and its Friday/Monday observance, for every US subdivision, but
Juneteenth is not a Montana legal holiday. Everything else it returns for Montana
(holidays 0.109) matches the statute's rules for 2008-2060; tests/unit/test_calendar.py
re-checks 2024-2050 against the rules written out, so a package upgrade that drifts
fails a test instead of moving deadlines.

Pure: every instant is passed in, and every method takes and returns aware datetimes
(naive ones are refused: an unzoned deadline is a bug waiting for DST).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

DEFAULT_TIMEZONE = "America/Denver"
DEFAULT_OPENS = time(8)
DEFAULT_CLOSES = time(17)
CLOSURE_NAME = "Office closure"

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# Federal-only holidays the package adds to every subdivision; not in MCA 1-1-216.
_NOT_MONTANA = ("juneteenth",)
# The package lists Juneteenth on June 19 or its observance (18th or 20th); removing
# only there keeps a real Montana holiday safe from a careless name match.
_JUNETEENTH_DATES = frozenset({(6, 18), (6, 19), (6, 20)})


def _is_montana_name(name: str, day: date) -> bool:
    federal_only = any(word in name.lower() for word in _NOT_MONTANA)
    return not (federal_only and (day.month, day.day) in _JUNETEENTH_DATES)


@cache
def montana_legal_holidays(year: int) -> Mapping[date, str]:
    """The legal holidays of MCA 1-1-216 dated in `year`, observed days included.

    Cached per year: building the package's list costs milliseconds, and a sweep asks
    for every task. An observance can cross New Year (New Year's Day 2028, a Saturday,
    closes Friday 2027-12-31); the package lists it under the year it falls in.
    """
    listed = holidays.country_holidays("US", subdiv="MT", years=year, language="en_US")
    result: dict[date, str] = {}
    for day, names in sorted(listed.items()):
        kept = [n for n in names.split("; ") if _is_montana_name(n, day)]
        if kept:
            result[day] = "; ".join(kept)
    return MappingProxyType(result)


def as_utc(at: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused, never guessed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} is naive: pass a timezone-aware instant")
    return at.astimezone(UTC)


@dataclass(frozen=True, init=False)
class BusinessCalendar:
    """Montana business days and hours in one office's timezone. Immutable.

    `closures` are extra days the office is closed (added by an admin). Business hours
    run from `opens` to `closes` local time; `closes` is "the end of the business day".
    Results are UTC instants.
    """

    closures: frozenset[date]
    timezone: str
    opens: time
    closes: time
    tz: ZoneInfo = field(compare=False, repr=False)

    def __init__(
        self,
        closures: Iterable[date] = (),
        timezone: str | ZoneInfo = DEFAULT_TIMEZONE,
        opens: time = DEFAULT_OPENS,
        closes: time = DEFAULT_CLOSES,
    ) -> None:
        days = frozenset(closures)
        # A datetime is a date too, but would never equal one in a set lookup.
        if any(isinstance(d, datetime) or not isinstance(d, date) for d in days):
            raise TypeError("closures must be dates, not datetimes")
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("business hours are local wall times: pass naive times")
        if not opens < closes:
            raise ValueError(f"the office must open ({opens}) before it closes ({closes})")
        tz = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        object.__setattr__(self, "closures", days)
        object.__setattr__(self, "timezone", tz.key)
        object.__setattr__(self, "opens", opens)
        object.__setattr__(self, "closes", closes)
        object.__setattr__(self, "tz", tz)

    # Days

    def is_business_day(self, d: date) -> bool:
        return (
            d.weekday() < 5 and d not in self.closures and d not in montana_legal_holidays(d.year)
        )

    def holidays_in(self, year: int) -> dict[date, str]:
        """Legal holidays (weekend ones included) and this office's closures in `year`."""
        days = dict(montana_legal_holidays(year))
        for d in self.closures:
            if d.year == year:
                days.setdefault(d, CLOSURE_NAME)
        return dict(sorted(days.items()))

    def local_date(self, at: datetime) -> date:
        return as_utc(at).astimezone(self.tz).date()

    def end_of_business_day(self, d: date) -> datetime:
        return self._at(d, self.closes)

    def add_business_days(self, start: datetime, n: int) -> datetime:
        """The end of the n-th business day after start's local date (n < 0: before).

        Day 0 is start's local date whatever the hour or the day, so a task submitted on
        Saturday and one submitted Monday at 16:59 get the same count from that date.
        n == 0 means the end of start's date, or of the next business day if it is not one.
        """
        day = self.local_date(start)
        if n == 0:
            while not self.is_business_day(day):
                day += _ONE_DAY
            return self.end_of_business_day(day)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return self.end_of_business_day(day)

    # Hours

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business hours on business days between two instants (zero if b <= a)."""
        a, b = as_utc(a), as_utc(b)
        if b <= a:
            return _ZERO
        total = _ZERO
        day, last = self.local_date(a), self.local_date(b)
        while day <= last:
            if self.is_business_day(day):
                opens, closes = self._hours(day)
                lo, hi = max(opens, a), min(closes, b)
                if hi > lo:
                    total += hi - lo
            day += _ONE_DAY
        return total

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of business time after `start`.

        Lands on a closing time rather than the next opening when the amount runs out
        exactly there, so a due date at the end of a day pushed by whole business days
        stays at the end of a day. From a closing time (or any time outside business
        hours) the count starts at the next opening.
        """
        if amount < _ZERO:
            raise ValueError(f"business time to add must not be negative: {amount}")
        cursor = as_utc(start)
        if not amount:
            return cursor
        remaining = amount
        day = self.local_date(cursor)
        while True:
            if self.is_business_day(day):
                opens, closes = self._hours(day)
                begin = max(opens, cursor)
                if begin < closes:
                    if remaining <= closes - begin:
                        return begin + remaining
                    remaining -= closes - begin
            day += _ONE_DAY

    # Helpers: local wall time on a date → UTC, computed per date so DST is right.

    def _at(self, d: date, wall: time) -> datetime:
        return datetime.combine(d, wall, tzinfo=self.tz).astimezone(UTC)

    def _hours(self, d: date) -> tuple[datetime, datetime]:
        return self._at(d, self.opens), self._at(d, self.closes)
