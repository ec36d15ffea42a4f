"""The calendar feed's text survives the round trip: the library and a hand-written reader."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import icalendar

from models.enums import ProviderKind
from models.opportunities import Opportunity, listing_key
from models.providers import Provider
from tests import ics_reader
from web.calendar_feed import feed

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
AWKWARD = "Math, Science; Art\nГеометрия для всех · 数学の授業 · ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ"


def listing(title: str) -> Opportunity:
    provider = Provider(
        id=1, number="MTP-00001", name="Big Sky, Learning; Co", normalized_name="big sky",
        kind=ProviderKind.OTHER, contact_email="pd@bigsky.example", approved_at=NOW,
        created_at=NOW,
    )  # fmt: skip
    return Opportunity(
        id=7, key=listing_key(1, title), provider=provider, provider_id=1, title=title,
        description="Line one, with a comma;\nline two: with a colon\\backslash",
        format="in_person", start_date=date(2027, 6, 15), end_date=date(2027, 6, 17),
        location="Crow Agency; Montana, USA", hours=Decimal("6.50"), contact_name="Pat Lee",
        contact_email="pat@bigsky.example", sequence=2, updated_at=NOW, listed_at=NOW,
    )  # fmt: skip


def test_a_title_with_a_comma_a_semicolon_a_newline_and_non_latin_letters_round_trips():
    data = feed([listing(AWKWARD)], "https://pdu.example/")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded by octets
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == AWKWARD
    assert str(event["LOCATION"]) == "Crow Agency; Montana, USA"
    [read] = ics_reader.events(data)
    assert read["SUMMARY"] == AWKWARD
    assert read["LOCATION"] == "Crow Agency; Montana, USA"
    assert read["DESCRIPTION"].startswith(
        "Line one, with a comma;\nline two: with a colon\\backslash\n\nProvider: Big Sky, "
        "Learning; Co\nPDU hours: 6.5\n"
    )
    assert read["SEQUENCE"] == "2" and read["UID"] == str(event["UID"])


def test_the_uid_depends_on_the_provider_and_the_folded_title_only():
    assert listing("Coaching  Day").uid == listing("coaching day").uid
    assert listing("Coaching Day").uid != listing("Coaching Days").uid


def test_an_event_is_serialised_once_until_its_listing_changes():
    first = listing("Cached Coaching Day")
    assert feed([first], "https://pdu.example/") == feed([first], "https://pdu.example/")
    revised = listing("Cached Coaching Day")
    revised.sequence, revised.location = 3, "Miles City, MT"
    [event] = icalendar.Calendar.from_ical(feed([revised], "https://pdu.example/")).walk("VEVENT")
    assert str(event["LOCATION"]) == "Miles City, MT" and int(event["SEQUENCE"]) == 3
