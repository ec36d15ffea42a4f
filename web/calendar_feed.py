"""The portal's calendar as iCalendar (RFC 5545), for Outlook and Google Calendar to subscribe.

Built with the `icalendar` library (escaping, folding, UTF-8). Each listing keeps its UID
across revisions and raises its SEQUENCE, so a subscribed calendar replaces the event
instead of adding a second one; a withdrawn or ended listing leaves the feed.

The library spends about a millisecond per event, so 7,000 events would take seconds on
every fetch. An event's text depends only on its listing's row (DTSTAMP is the listing's
last change, not the fetch) and the site's address, so each is serialised once and kept
in memory until the listing changes; a fetch joins the cached events.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event, vText

from models.opportunities import Opportunity
from templates.hours import hours_text as hours

CALENDAR_NAME = "OPI Learning Opportunities"


def _description(o: Opportunity, portal: str) -> str:
    lines = [o.description, "", f"Provider: {o.provider.name}"]
    if o.hours is not None:
        lines.append(f"PDU hours: {hours(o.hours)}")
    if o.cost:
        lines.append(f"Cost: {o.cost}")
    contact = ", ".join(filter(None, [o.contact_name, o.contact_email, o.contact_phone]))
    lines += [f"To register: {contact}", f"More: {o.website or portal}"]
    return "\n".join(lines)


MAX_CACHED = 50_000  # events; a few hundred bytes each
_cache: dict[tuple[int, int, datetime, str], bytes] = {}
_lock = threading.Lock()


def feed(listings: Iterable[Opportunity], base_url: str) -> bytes:
    portal = base_url.rstrip("/") + "/opportunities"
    calendar = Calendar()
    calendar.add("prodid", "-//Montana OPI//PDU Learning Opportunities//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", "America/Denver")
    head, end = calendar.to_ical().rsplit(b"END:VCALENDAR", 1)
    events = [_event_bytes(o, portal) for o in listings]
    return b"".join([head, *events, b"END:VCALENDAR", end])


def _event_bytes(o: Opportunity, portal: str) -> bytes:
    key = (o.id, o.sequence, o.updated_at, portal)
    with _lock:
        cached = _cache.get(key)
    if cached is None:
        cached = _event(o, portal).to_ical()
        with _lock:
            if len(_cache) >= MAX_CACHED:
                _cache.clear()  # listings changed a great deal: start again
            _cache[key] = cached
    return cached


def _event(o: Opportunity, portal: str) -> Event:
    assert o.start_date is not None  # the feed holds the calendar, not the catalog
    event = Event()
    event.add("uid", o.uid)
    event.add("sequence", o.sequence)
    event.add("dtstamp", o.updated_at)  # the event's own last change: cacheable
    event.add("last-modified", o.updated_at)
    event.add("summary", o.title)
    event.add("dtstart", o.start_date)
    # All-day events end the day after their last day (DTEND is exclusive).
    event.add("dtend", (o.end_date or o.start_date) + timedelta(days=1))
    event.add("location", vText(o.location or "Online"))
    event.add("description", _description(o, portal))
    event.add("url", o.website or portal)
    event.add("transp", "TRANSPARENT")
    return event
