"""Emails from Jinja2 templates: a subject, a plain-text body and an HTML alternative.

Each email NAME is two templates, `email/NAME.txt.j2` and `email/NAME.html.j2`, extending
`email/_layout.txt.j2` and `email/_layout.html.j2`. The subject is the `subject` block of
the text template, rendered on its own and flattened to one line. Every template documents
the context it expects in a comment at its top; `StrictUndefined` turns a missing variable
into an error at render time rather than a blank in someone's inbox.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from templates.hours import hours_text

TEMPLATES_DIR = Path(__file__).resolve().parent
# The quoting parser cuts a reply at this line: keep the two in step (mailbox/quoting.py).
REPLY_MARKER = "-- Reply above this line --"
DEFAULT_TIMEZONE = "America/Denver"

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_BLANK_RUNS = re.compile(r"\n{3,}")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Our own names, not strftime's %A/%B: those follow the process locale.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if tz is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _local_date(value: date | datetime, tz: str | tzinfo | None) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware instant")
        return value.astimezone(_zone(tz)).date()
    return value


def date_long(value: date | datetime, tz: str | tzinfo | None = None) -> str:
    """`Wednesday, December 2, 2026`; an instant is first moved to `tz` (its local day)."""
    day = _local_date(value, tz)
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def date_short(value: date | datetime, tz: str | tzinfo | None = None) -> str:
    """`December 2, 2026`."""
    day = _local_date(value, tz)
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def date_range(start: date, end: date) -> str:
    """`June 15, 2027`, `June 15–17, 2027`, `June 30 – July 2, 2027`, across years in full."""
    if end < start:
        raise ValueError(f"date range ends before it starts: {start} > {end}")
    if start == end:
        return date_short(start)
    if start.year != end.year:
        return f"{date_short(start)} – {date_short(end)}"
    if start.month != end.month:
        return (
            f"{_MONTHS[start.month - 1]} {start.day} – "
            f"{_MONTHS[end.month - 1]} {end.day}, {end.year}"
        )
    return f"{_MONTHS[start.month - 1]} {start.day}–{end.day}, {end.year}"


def datetime_local(value: datetime, tz: str | tzinfo | None = None) -> str:
    """`December 2, 2026 5:00 PM MST`: the instant on the office's wall clock."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass an aware instant")
    local = value.astimezone(_zone(tz))
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (
        f"{_MONTHS[local.month - 1]} {local.day}, {local.year} "
        f"{hour}:{local.minute:02d} {half} {local.tzname()}"
    )


def one_line(value: str) -> str:
    """Header-safe text: control characters (CR, LF, NUL…) and line separators become
    spaces, runs of whitespace collapse to one."""
    cleaned = "".join(" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in value)
    return " ".join(cleaned.split())


def _autoescape(template_name: str | None) -> bool:
    return template_name is not None and template_name.endswith((".html.j2", ".html"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one environment: templates compile once per process and stay cached."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        date_long=date_long,
        date_short=date_short,
        date_range=date_range,
        datetime_local=datetime_local,
        hours=hours_text,
    )
    # Defaults a caller's context may override (services pass the configured timezone).
    env.globals.update(reply_marker=REPLY_MARKER, timezone=DEFAULT_TIMEZONE)
    return env


def _tidy_text(text: str) -> str:
    """At most one blank line in a row, none at the start, one newline at the end."""
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


def render_email(name: str, **context: Any) -> RenderedEmail:
    """Render `email/<name>.txt.j2` and `.html.j2`; the HTML part also gets the finished
    subject as `email_subject` (its <title>)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not an email template name: {name!r}")
    env = environment()
    text_template = env.get_template(f"email/{name}.txt.j2")
    html_template = env.get_template(f"email/{name}.html.j2")
    subject_block = text_template.blocks.get("subject")
    if subject_block is None:
        raise LookupError(f"email/{name}.txt.j2 has no subject block")
    subject = one_line("".join(subject_block(text_template.new_context(dict(context)))))
    if not subject:
        raise ValueError(f"email/{name}: the subject rendered empty")
    context = {**context, "email_subject": subject}
    return RenderedEmail(
        subject=subject,
        text=_tidy_text(text_template.render(context)),
        html=html_template.render(context),
    )
