"""/provider/events: list, report, show, revise and cancel the provider's events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.enums import Channel
from models.events import EventFormat
from models.services.batches import latest_batches, progress
from models.services.certificate_files import event_certificates
from models.services.errors import UserError
from models.services.event_changes import cancel_event, event_history, revise_event
from models.services.event_listing import Section, events_page, parse_section
from models.services.provider_events import add_event, get_event
from web.portal import CurrentProvider, Now, render_portal
from web.provider.common import day, places, posted, sentence, work_at

router = APIRouter()

FORMATS = [(f.value, f.label.capitalize()) for f in EventFormat]
FIELDS = ("title", "description", "start", "end", "hours", "format", "locations", "schedule")
EventFields = Annotated[dict[str, str], posted(*FIELDS)]
RECENT_CERTIFICATES = 200  # listed on the event's page; the ZIP holds them all


@router.get("/provider")
def home(actor: CurrentProvider) -> Response:
    """Where sign-in leads: the events, the portal's main work."""
    return RedirectResponse("/provider/events", status_code=303)


@router.get("/provider/events", response_class=HTMLResponse)
def events(
    request: Request, actor: CurrentProvider, now: Now, list: str = "upcoming", page: int = 1
) -> Response:
    try:
        section = parse_section(list)
    except UserError:
        raise HTTPException(404) from None
    with work_at(now) as (work, ctx):
        found = events_page(work.session, actor.provider_id, section, ctx.today, page)
    return render_portal(
        request, "provider_events", actor, title="Your events", listing=found,
        sections=[(s.value, s.label) for s in Section],
    )  # fmt: skip


def _form(values: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict.fromkeys(FIELDS, "") | {"format": "in_person"} | (values or {})


def _event_form(
    request: Request, actor: Any, *, action: str, values: dict[str, Any],
    problem: str | None = None, editing: bool = False, title: str,
) -> Response:  # fmt: skip
    return render_portal(
        request, "provider_event_form", actor, status=422 if problem else 200, title=title,
        action=action, values=values, problem=problem, editing=editing, formats=FORMATS,
        errors_in_title=bool(problem),
    )  # fmt: skip


@router.get("/provider/events/new", response_class=HTMLResponse)
def new_event(request: Request, actor: CurrentProvider) -> Response:
    return _event_form(
        request, actor, action="/provider/events", values=_form(), title="Report an activity"
    )


@router.post("/provider/events")
def report_event(
    request: Request, actor: CurrentProvider, now: Now, values: EventFields
) -> Response:
    values = _form(values | {"format": values["format"] or "in_person"})
    with work_at(now) as (work, ctx):
        try:
            first = day(values["start"], "The start date")
            event = add_event(
                ctx, actor.provider_number, title=values["title"], start=first,
                end=day(values["end"], "The end date") if values["end"].strip() else first,
                hours=values["hours"], format=values["format"],
                locations=places(values["locations"]), description=values["description"],
                schedule=values["schedule"], channel=Channel.WEB,
            )  # fmt: skip
        except UserError as exc:
            return _event_form(
                request, actor, action="/provider/events", values=values,
                problem=sentence(exc), title="Report an activity",
            )  # fmt: skip
        work.commit()
        event_id = event.id
    return RedirectResponse(f"/provider/events/{event_id}?reported=1", status_code=303)


def _event_view(work: Any, ctx: Any, actor: Any, event_id: int) -> dict[str, Any]:
    event = get_event(work.session, event_id, actor.provider_id)
    history = event_history(ctx, event.id, actor.provider_id)
    batch_ids = latest_batches(work.session, actor.provider_id, event.id)
    certificates = event_certificates(work.session, event.id, RECENT_CERTIFICATES)
    return {
        "event": event,
        "history": history,
        "batches": [progress(work.session, b, actor.provider_id) for b in batch_ids],
        "certificates": certificates,
    }


@router.get("/provider/events/{event_id}", response_class=HTMLResponse)
def show_event(
    request: Request, actor: CurrentProvider, now: Now, event_id: int, reported: int = 0,
    revised: int = 0, cancelled: int = 0,
) -> Response:  # fmt: skip
    with work_at(now) as (work, ctx):
        view = _event_view(work, ctx, actor, event_id)
        return render_portal(
            request, "provider_event", actor, title=view["event"].title, **view,
            notice=_notice(reported, revised, cancelled), today=ctx.today,
        )  # fmt: skip


def _notice(reported: int, revised: int, cancelled: int) -> str | None:
    if reported:
        return "The activity is reported."
    if revised:
        return "Your changes are saved and kept on the event's history."
    if cancelled:
        return "The event is cancelled. It stays on record."
    return None


@router.get("/provider/events/{event_id}/edit", response_class=HTMLResponse)
def edit_event(request: Request, actor: CurrentProvider, now: Now, event_id: int) -> Response:
    with work_at(now) as (work, _ctx):
        event = get_event(work.session, event_id, actor.provider_id)
        values = _form(
            {
                "title": event.title, "description": event.description or "",
                "start": event.start_date.isoformat(), "end": event.end_date.isoformat(),
                "hours": format(event.hours.normalize(), "f"), "format": event.format.value,
                "locations": "; ".join(event.locations), "schedule": event.schedule or "",
            }
        )  # fmt: skip
    return _event_form(
        request, actor, action=f"/provider/events/{event_id}/edit", values=values,
        editing=True, title="Revise the event",
    )  # fmt: skip


@router.post("/provider/events/{event_id}/edit")
def revise(
    request: Request, actor: CurrentProvider, now: Now, event_id: int, values: EventFields
) -> Response:
    with work_at(now) as (work, ctx):
        event = get_event(work.session, event_id, actor.provider_id)
        values = _form(values | {"format": event.format.value})  # not revised here
        try:
            revise_event(
                ctx, event_id, provider_id=actor.provider_id, changed_by=actor.username,
                channel=Channel.WEB, title=values["title"],
                start=day(values["start"], "The start date"),
                end=day(values["end"], "The end date"), hours=values["hours"],
                locations=places(values["locations"]), description=values["description"],
                schedule=values["schedule"],
            )  # fmt: skip
        except UserError as exc:
            return _event_form(
                request, actor, action=f"/provider/events/{event_id}/edit", values=values,
                problem=sentence(exc), editing=True, title="Revise the event",
            )  # fmt: skip
        work.commit()
    return RedirectResponse(f"/provider/events/{event_id}?revised=1", status_code=303)


@router.post("/provider/events/{event_id}/cancel")
def cancel(request: Request, actor: CurrentProvider, now: Now, event_id: int) -> Response:
    with work_at(now) as (work, ctx):
        try:
            cancel_event(
                ctx, event_id, provider_id=actor.provider_id, changed_by=actor.username,
                channel=Channel.WEB,
            )  # fmt: skip
        except UserError as exc:
            view = _event_view(work, ctx, actor, event_id)
            return render_portal(
                request, "provider_event", actor, status=409, title=view["event"].title,
                **view, problem=sentence(exc), notice=None, today=ctx.today,
            )  # fmt: skip
        work.commit()
    return RedirectResponse(f"/provider/events/{event_id}?cancelled=1", status_code=303)
