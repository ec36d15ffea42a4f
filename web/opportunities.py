"""`/opportunities`: the Learning Opportunities Portal, and `/opportunities.ics`, its calendar.

The calendar lists dated opportunities, upcoming first and grouped by month; the catalog
lists the self-paced ones and those offered by contract with the provider. Both are
searched by words and filtered by format, month and provider kind with a plain GET form
(no JavaScript needed), 50 to a page. Only what OPI approved, not withdrawn and not ended.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from models import clock
from models.enums import ProviderKind
from models.opportunities import FORMATS, Opportunity
from models.services.context import ServiceContext
from models.services.opportunities import (
    Search,
    calendar_feed,
    portal_page,
    when_of,
)
from models.uow import UnitOfWork
from templates.hours import hours_text as hours
from templates.render import date_range, date_short
from web.calendar_feed import feed
from web.form_view import choice_label
from web.pager import pager
from web.pages import render

router = APIRouter()

FORMAT_LABELS = {f: choice_label(f) for f in FORMATS}
KINDS = [(k.value, choice_label(k.value)) for k in ProviderKind]
MONTHS_AHEAD = 12


def _entry(o: Opportunity) -> dict[str, Any]:
    dates = (
        date_range(o.start_date, o.end_date or o.start_date)
        if o.start_date is not None
        else when_of(o).capitalize()
    )
    return {
        "id": o.id,
        "title": o.title,
        "provider": o.provider.name,
        "provider_number": o.provider.number,
        "dates": dates,
        "month": month_label(o.start_date) if o.start_date else "",
        "format": FORMAT_LABELS.get(o.format, o.format),
        "location": o.location or "Online",
        "hours": hours(o.hours) if o.hours is not None else None,
        "description": o.description,
        "audience": o.audience,
        "cost": o.cost,
        "website": o.website,
        "contact_name": o.contact_name,
        "contact_email": o.contact_email,
        "contact_phone": o.contact_phone,
    }


def month_label(day: date) -> str:
    """`December 2026`."""
    return f"{date_short(day).split(' ')[0]} {day.year}"


def _months(today: date) -> list[tuple[str, str]]:
    """The month filter's choices: this month and the next eleven."""
    choices = []
    year, month = today.year, today.month
    for _ in range(MONTHS_AHEAD):
        first = date(year, month, 1)
        choices.append((first.strftime("%Y-%m"), month_label(first)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return choices


VIEWS = ("calendar", "catalog")


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities(
    request: Request,
    q: str = "",
    format: str = "",
    month: str = "",
    kind: str = "",
    view: str = "calendar",
    page: int = 1,
) -> Response:
    """The calendar (by default) or the catalog, one at a time; each tab says its count."""
    search = Search.of(q[:200], format, month, kind)
    view = view if view in VIEWS else "calendar"
    with UnitOfWork() as work:
        today = ServiceContext.of(work, clock.now()).today
        shown, dated, undated = portal_page(work.session, today, search, view, page)
        entries = [_entry(o) for o in shown.rows]
    params = {
        k: v
        for k, v in {
            "q": search.text,
            "format": search.format,
            "month": search.month.strftime("%Y-%m") if search.month else "",
            "kind": search.kind,
        }.items()
        if v
    }
    by_month: list[tuple[str, list[dict[str, Any]]]] = []
    for entry in entries if view == "calendar" else []:
        if not by_month or by_month[-1][0] != entry["month"]:
            by_month.append((entry["month"], []))
        by_month[-1][1].append(entry)
    tabs = [
        (name, "/opportunities?" + urlencode(params | {"view": name}), count)
        for name, count in (("calendar", dated), ("catalog", undated))
    ]
    return render(
        request, "opportunities", title="Learning Opportunities Portal",
        q=search.text, format=search.format, kind=search.kind,
        month=params.get("month", ""), formats=list(FORMAT_LABELS.items()), kinds=KINDS,
        months=_months(today), filtered=bool(params), view=view, tabs=tabs,
        calendar=by_month, catalog=entries if view == "catalog" else [],
        pager=pager(
            "/opportunities", params | {"view": view}, shown.number, shown.pages, shown.total, view
        ),
    )  # fmt: skip


@router.get("/opportunities.ics")
def opportunities_ics(request: Request) -> Response:
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        body = feed(calendar_feed(work.session, ctx.today), str(request.base_url))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="opportunities.ics"',
            "Cache-Control": "public, max-age=900",
        },
    )
