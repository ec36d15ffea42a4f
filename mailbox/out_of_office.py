"""The return date an out-of-office auto-reply states, if it states one.

"I am out of the office until November 9", "back on Monday, December 28th", "returning
12/28/2026", "through 2026-12-28": a date right after until/through/back/returning. "Until"
and "through" name the last day away; "back"/"return" name the first day back (the day
before is the last day away). A date without a year is the next such date from `today`.
Pure; None when no date follows such a word (the caller then assumes a short absence).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_DATE = (
    r"(?:(?P<iso>\d{4}-\d{2}-\d{2})"
    r"|(?P<us>\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
    rf"|{_MONTH}\s+{_DAY}{_YEAR}"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>{'|'.join(_MONTHS)})\.?"
    r"(?:,?\s+(?P<year2>\d{4}))?)"
)
_LAST_DAY = r"until|till|til|through|thru"
_FIRST_BACK = r"back(?:\s+in\s+the\s+office)?|return(?:ing)?(?:\s+to\s+the\s+office)?|returns"
_STATED = re.compile(
    rf"\b(?P<word>{_LAST_DAY}|{_FIRST_BACK})\b(?:\s+(?:on|by|to|at))?\s+{_WEEKDAY}{_DATE}",
    re.IGNORECASE,
)


def stated_return(text: str, today: date) -> date | None:
    """The last day away that `text` states, or None."""
    for match in _STATED.finditer(" ".join(text.split())):
        day = _date_of(match, today)
        if day is None:
            continue
        if re.match(_LAST_DAY, match.group("word"), re.IGNORECASE):
            return day
        return day - timedelta(days=1)
    return None


def _date_of(match: re.Match[str], today: date) -> date | None:
    try:
        if match.group("iso"):
            return date.fromisoformat(match.group("iso"))
        if match.group("us"):
            parts = [int(p) for p in match.group("us").split("/")]
            year = parts[2] if len(parts) == 3 else None
            if year is not None and year < 100:
                year += 2000
            return _complete(parts[0], parts[1], year, today)
        if match.group("month"):
            month = _MONTHS[match.group("month").lower()]
            year = int(match.group("year")) if match.group("year") else None
            return _complete(month, int(match.group("day")), year, today)
        month = _MONTHS[match.group("month2").lower()]
        year = int(match.group("year2")) if match.group("year2") else None
        return _complete(month, int(match.group("day2")), year, today)
    except ValueError:  # February 30 and the like: not a date
        return None


def _complete(month: int, day: int, year: int | None, today: date) -> date:
    if year is not None:
        return date(year, month, day)
    stated = date(today.year, month, day)
    return stated if stated >= today else date(today.year + 1, month, day)
