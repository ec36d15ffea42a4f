"""The Learning Opportunities Portal over real HTTP, on SQLite and PostgreSQL: /opportunities
and its iCalendar feed, fed by the real review path (a request, a task, APPROVE)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date

import httpx
import icalendar
import pytest
from sqlalchemy import func, select

from models import clock
from models.opportunities import Opportunity
from models.services import purge
from models.uow import UnitOfWork
from tests import ics_reader
from tests.opportunity_support import approved_opportunity, decide, submit_opportunity
from tests.web_support import pdu, running_web, seed_office


@pytest.fixture
def office(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_office(monkeypatch)  # Monday, November 23, 2026


@pytest.fixture
def client(office: None) -> Iterator[httpx.Client]:
    with running_web() as server, httpx.Client(base_url=server.url, timeout=20) as http:
        yield http


def titles(html: str) -> list[str]:
    return re.findall(r'<h[34] class="title" id="opportunity-\d+">([^<]*)</h[34]>', html)


def section(html: str, name: str) -> str:
    start = html.index(f'<h2 id="{name}">')
    end = html.find("</section>", start)
    return html[start:end]


def test_an_approved_opportunity_is_in_the_calendar_with_everything_an_educator_needs(client):
    approved_opportunity()
    approved_opportunity(
        "MTP-00002", title="Teaching Montana History Online", format="self_paced",
        start_date=None, end_date=None, location=None, hours="6.5",
        contact_name="Chris Park", contact_email="pd@msu.example", contact_phone=None,
    )  # fmt: skip
    page = client.get("/opportunities")
    assert page.status_code == 200
    calendar = section(page.text, "calendar")
    assert ">Calendar (1)</a>" in page.text and ">Catalog (1)</a>" in page.text
    catalog = section(client.get("/opportunities", params={"view": "catalog"}).text, "catalog")
    assert titles(calendar) == ["Rural Literacy Coaching Institute"]
    assert titles(catalog) == ["Teaching Montana History Online"]
    assert '<h3 class="month">June 2027</h3>' in calendar
    for fact in (
        "June 15–17, 2027", "In person", "Billings, MT", "<dt>PDU hours</dt><dd>18</dd>",
        '<a href="/providers?q=Billings%20Public%20Schools">Billings Public Schools</a>',
        "Pat Lee, <a href=\"mailto:pd@billings.example\">pd@billings.example</a>, 406-555-0101",
        "structured literacy coaching for K-3 teachers",
    ):  # fmt: skip
        assert fact in calendar, fact
    for fact in ("Self-paced", "<dd>Online</dd>", "<dd>6.5</dd>", "Montana State University"):
        assert fact in catalog, fact
    assert '<a href="/opportunities" aria-current="page">Learning opportunities</a>' in page.text


def test_only_what_opi_approved_and_has_not_ended_is_listed(client, monkeypatch):
    approved_opportunity(title="Approved Summer Literacy Institute")
    decide(submit_opportunity(title="Smart Tablets for Every Classroom"), "DENY")
    submit_opportunity(title="Still Waiting For A Reviewer")
    approved_opportunity(title="Autumn Coaching Day", start_date="2026-12-01", end_date=None)
    assert titles(client.get("/opportunities").text) == [
        "Autumn Coaching Day", "Approved Summer Literacy Institute",
    ]  # fmt: skip
    monkeypatch.setenv("PDU_NOW", "2026-12-01T23:00:00-07:00")  # its last day: still listed
    assert "Autumn Coaching Day" in titles(client.get("/opportunities").text)
    monkeypatch.setenv("PDU_NOW", "2026-12-02T00:30:00-07:00")  # the day after: gone
    assert titles(client.get("/opportunities").text) == ["Approved Summer Literacy Institute"]
    assert "Autumn Coaching Day" not in client.get("/opportunities.ics").text


def test_a_withdrawn_opportunity_leaves_the_page_and_the_feed_at_once(client):
    reference = approved_opportunity()
    assert "Rural Literacy Coaching Institute" in client.get("/opportunities.ics").text
    out = pdu("directory", "withdraw-opportunity", reference, "--reason", "cancelled by provider")
    assert "withdrawn from the portal: Rural Literacy Coaching Institute" in out
    assert titles(client.get("/opportunities").text) == []
    assert "Rural Literacy Coaching Institute" not in client.get("/opportunities.ics").text
    assert pdu("directory", "opportunities", "--json").strip() == "[]"
    shown = pdu("case", "show", reference, "--json")
    assert "opportunity_withdrawn" in shown and "cancelled by provider" in shown


def test_a_revised_request_replaces_the_listing_keeping_its_uid_with_the_next_sequence(client):
    approved_opportunity()
    first = icalendar.Calendar.from_ical(client.get("/opportunities.ics").content)
    [before] = first.walk("VEVENT")
    approved_opportunity(title="Rural  literacy coaching institute", location="Miles City, MT")
    [after] = icalendar.Calendar.from_ical(client.get("/opportunities.ics").content).walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert str(after["LOCATION"]) == "Miles City, MT"
    html = client.get("/opportunities").text
    assert titles(html) == ["Rural literacy coaching institute"] and "Miles City, MT" in html


def test_search_by_words_and_filters_by_format_month_and_provider_kind(client):
    approved_opportunity()  # a school district's, in June 2027, in person
    approved_opportunity(
        "MTP-00002", title="Science Labs That Work", format="virtual", location=None,
        start_date="2027-01-12", end_date="2027-01-12", description="Inquiry science labs "
        "for middle school teachers, with kits that work in small rural schools.",
    )  # fmt: skip
    both = ["Science Labs That Work", "Rural Literacy Coaching Institute"]
    assert titles(client.get("/opportunities").text) == both
    assert titles(client.get("/opportunities", params={"q": "LITERACY coaching"}).text) == [both[1]]
    assert titles(client.get("/opportunities", params={"q": "rural"}).text) == both
    assert titles(client.get("/opportunities", params={"q": "100%_"}).text) == []
    assert titles(client.get("/opportunities", params={"format": "virtual"}).text) == [both[0]]
    assert titles(client.get("/opportunities", params={"month": "2027-06"}).text) == [both[1]]
    kind = client.get("/opportunities", params={"kind": "college_university"}).text
    assert titles(kind) == [both[0]] and "1 scheduled opportunity matches your search" in kind
    odd = client.get("/opportunities", params={"month": "June", "format": "<x>", "page": "-3"})
    assert odd.status_code == 200 and titles(odd.text) == both


def test_past_fifty_the_calendar_is_paginated_with_plain_links(client):
    for day in range(1, 56):
        approved_opportunity(
            title=f"Coaching Clinic {day:02d}",
            start_date=date(2027, 3, 1).replace(day=1 + (day - 1) % 28).isoformat(),
            end_date=None,
        )
    first = client.get("/opportunities").text
    assert len(titles(first)) == 50 and "Page 1 of 2" in first
    assert "55 scheduled opportunities" in first
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_link
    second = client.get(next_link[1].replace("&amp;", "&")).text
    assert len(titles(second)) == 5 and "Page 2 of 2" in second
    assert not set(titles(first)) & set(titles(second))


def test_the_feed_parses_back_with_icalendar_and_with_a_second_reader(client):
    approved_opportunity()
    answer = client.get("/opportunities.ics")
    assert answer.headers["content-type"].startswith("text/calendar")
    assert all(len(line) <= 75 for line in answer.content.split(b"\r\n"))
    [event] = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Rural Literacy Coaching Institute"
    assert event.decoded("DTSTART") == date(2027, 6, 15)
    assert event.decoded("DTEND") == date(2027, 6, 18)  # exclusive: through June 17
    [read] = ics_reader.events(answer.content)
    assert read["SUMMARY"] == "Rural Literacy Coaching Institute"
    assert read["DTSTART"] == "20270615" and read["DTSTART:params"] == {"VALUE": "DATE"}
    assert read["UID"] == str(event["UID"]) and read["LOCATION"] == "Billings, MT"
    assert "To register: Pat Lee, pd@billings.example, 406-555-0101" in read["DESCRIPTION"]


def test_purging_the_approving_case_takes_its_listing_with_it(office, monkeypatch):
    approved_opportunity(title="Catalog Course Kept Five Years", format="self_paced",
                         start_date=None, end_date=None, location=None)  # fmt: skip
    assert len(json.loads(pdu("directory", "opportunities", "--json"))) == 1
    monkeypatch.setenv("PDU_NOW", "2031-11-25T16:00:00Z")  # five years after it closed
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(Opportunity)) == 1
    purge.execute(UnitOfWork, now=clock.now(), approval="RDA-2031-01", open_mailbox=None)
    assert json.loads(pdu("directory", "opportunities", "--json")) == []
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(Opportunity)) == 0
