"""The portal's calendar as iCalendar (RFC 5545), for Outlook and Google Calendar to subscribe.

Built with the `icalendar` library (escaping, folding, UTF-8). Each listing keeps its UID
across revisions and raises its SEQUENCE, so a subscribed calendar replaces the event
instead of adding a second one; a withdrawn or ended listing leaves the feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event, vText

from models.opportunities import Opportunity
from templates.render import hours

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


def feed(listings: Iterable[Opportunity], now: datetime, base_url: str) -> bytes:
    portal = base_url.rstrip("/") + "/opportunities"
    calendar = Calendar()
    calendar.add("prodid", "-//Montana OPI//PDU Learning Opportunities//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", "America/Denver")
    for o in listings:
        assert o.start_date is not None  # the feed holds the calendar, not the catalog
        event = Event()
        event.add("uid", o.uid)
        event.add("sequence", o.sequence)
        event.add("dtstamp", now)
        event.add("last-modified", o.updated_at)
        event.add("summary", o.title)
        event.add("dtstart", o.start_date)
        # All-day events end the day after their last day (DTEND is exclusive).
        event.add("dtend", (o.end_date or o.start_date) + timedelta(days=1))
        event.add("location", vText(o.location or "Online"))
        event.add("description", _description(o, portal))
        event.add("url", o.website or portal)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
