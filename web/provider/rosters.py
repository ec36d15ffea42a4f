"""Rosters in the portal: upload (every problem by line before anything is issued; then fix
and upload again, or issue the valid rows), one attendee by hand, and a batch's progress
(read from the database: a reload or a restart loses nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.services.batches import (
    account_requester,
    one_attendee_roster,
    progress,
    upload_roster,
)
from models.services.errors import UserError
from models.services.provider_events import RosterResult, get_event
from models.services.roster import MAX_BYTES
from models.services.roster_uploads import drop_upload, keep_upload, load_upload
from models.settings import get_settings
from models.uow import UnitOfWork
from web.portal import CurrentProvider, Now, ProviderActor, render_portal
from web.provider.common import not_found_is_404, work_at
from web.provider.runner import BatchRunner

router = APIRouter()
REFRESH_SECONDS = 2


def _runner(request: Request) -> BatchRunner:
    runner: BatchRunner | None = getattr(request.app.state, "batch_runner", None)
    if runner is None:
        runner = request.app.state.batch_runner = BatchRunner()
    return runner


def _submit(
    request: Request, actor: ProviderActor, now: datetime, event_id: int, content: bytes,
    *, skip_invalid: bool, upload_key: str | None, by_hand: bool = False,
) -> Response:  # fmt: skip
    with work_at(now) as (work, _ctx):
        requester = account_requester(work.session, actor.account_id, actor.username)
        event = get_event(work.session, event_id, actor.provider_id)
        title = event.title
    try:
        with not_found_is_404():
            result = upload_roster(
                UnitOfWork, actor.provider_id, event_id, content, now, requester,
                skip_invalid=skip_invalid,
            )  # fmt: skip
    except UserError as exc:
        return _roster_page(request, actor, event_id, title, problems=[str(exc)], status=422)
    if result.batch_id is not None:
        if upload_key:
            drop_upload(get_settings(), actor.provider_id, upload_key)
        _runner(request).wake()
        return RedirectResponse(f"/provider/batches/{result.batch_id}", status_code=303)
    if result.roster.problems:
        key = upload_key or keep_upload(get_settings(), actor.provider_id, content)
        return _roster_page(
            request, actor, event_id, title, result=result, upload_key=key, status=422,
            by_hand=by_hand,
        )  # fmt: skip
    return _roster_page(request, actor, event_id, title, result=result)


def _roster_page(
    request: Request, actor: ProviderActor, event_id: int, title: str, *,
    result: RosterResult | None = None, problems: list[str] | None = None,
    upload_key: str | None = None, status: int = 200, by_hand: bool = False,
) -> Response:  # fmt: skip
    lines: list[Any] = list(result.roster.problems) if result else []
    return render_portal(
        request, "provider_roster", actor, status=status, title=f"Roster for {title}",
        event_id=event_id, event_title=title, lines=lines, problems=problems or [],
        valid=len(result.roster.rows) if result else 0,
        skipped=list(result.roster.skipped) if result else [], upload_key=upload_key,
        by_hand=by_hand, errors_in_title=status == 422,
    )  # fmt: skip


@router.post("/provider/events/{event_id}/roster")
async def upload(
    request: Request,
    actor: CurrentProvider,
    now: Now,
    event_id: int,
    roster: Annotated[UploadFile | None, File()] = None,
    upload: str = Form(""),
    skip_invalid: str = Form(""),
) -> Response:
    if upload:
        try:
            content = load_upload(get_settings(), actor.provider_id, upload)
        except UserError as exc:
            return await _threaded(_problem_page, request, actor, now, event_id, str(exc))
    else:
        content = await roster.read(MAX_BYTES + 1) if roster is not None else b""
        if not content:
            message = "Choose the roster file (CSV) to upload."
            return await _threaded(_problem_page, request, actor, now, event_id, message)
    return await _threaded(
        _submit, request, actor, now, event_id, content,
        skip_invalid=bool(skip_invalid) and bool(upload), upload_key=upload or None,
    )  # fmt: skip


async def _threaded(fn: Any, *args: Any, **kwargs: Any) -> Response:
    from fastapi.concurrency import run_in_threadpool

    response: Response = await run_in_threadpool(fn, *args, **kwargs)
    return response


def _problem_page(
    request: Request, actor: ProviderActor, now: datetime, event_id: int, message: str
) -> Response:
    with work_at(now) as (work, _ctx):
        title = get_event(work.session, event_id, actor.provider_id).title
    return _roster_page(request, actor, event_id, title, problems=[message], status=422)


@router.post("/provider/events/{event_id}/attendees")
def add_attendee(
    request: Request,
    actor: CurrentProvider,
    now: Now,
    event_id: int,
    first_name: str = Form(""),
    last_name: str = Form(""),
    email: str = Form(""),
    license_number: str = Form(""),
    hours: str = Form(""),
) -> Response:
    content = one_attendee_roster(first_name, last_name, email, license_number, hours)
    return _submit(
        request, actor, now, event_id, content, skip_invalid=False, upload_key=None,
        by_hand=True,
    )  # fmt: skip


@router.get("/provider/batches/{batch_id}", response_class=HTMLResponse)
def batch(request: Request, actor: CurrentProvider, now: Now, batch_id: int) -> Response:
    with work_at(now) as (work, _ctx):
        state = progress(work.session, batch_id, actor.provider_id)
        title = get_event(work.session, state.event_id, actor.provider_id).title
    running = state.status != "done"
    if running:
        _runner(request).wake()  # queued before a restart, or by email: run it here
    return render_portal(
        request, "provider_batch", actor, title=f"Issuing certificates for {title}",
        state=state, event_title=title, running=running,
        headers={"Refresh": str(REFRESH_SECONDS)} if running else None,
        refresh=REFRESH_SECONDS if running else None,
    )  # fmt: skip
