"""/provider/opportunities: share an event on the Learning Opportunities Portal (the email
request's review and rules) and see each request's status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.services.event_sharing import EXTRA, share_defaults, share_event
from models.services.provider_events import get_event
from models.services.request_cases import shared_by
from web.portal import CurrentProvider, Now, render_portal
from web.provider.common import posted, work_at

router = APIRouter()
ShareFields = Annotated[dict[str, str], posted(*EXTRA)]


@router.get("/provider/opportunities", response_class=HTMLResponse)
def opportunities(request: Request, actor: CurrentProvider, now: Now, shared: str = "") -> Response:
    with work_at(now) as (work, _ctx):
        rows = shared_by(work.session, actor.provider_id)
    notice = f"Your request {shared} is with OPI for review." if shared else None
    return render_portal(
        request, "provider_opportunities", actor, title="Learning Opportunities Portal",
        rows=rows, notice=notice,
    )  # fmt: skip


@router.get("/provider/events/{event_id}/share", response_class=HTMLResponse)
def share_form(request: Request, actor: CurrentProvider, now: Now, event_id: int) -> Response:
    with work_at(now) as (work, ctx):
        values = share_defaults(ctx, actor.provider_id, event_id, actor.account_id)
        title = get_event(work.session, event_id, actor.provider_id).title
    return render_portal(
        request, "provider_share", actor, title=f"Share {title}", event_id=event_id,
        values=values, problems=[],
    )  # fmt: skip


@router.post("/provider/events/{event_id}/share")
def share(
    request: Request, actor: CurrentProvider, now: Now, event_id: int, values: ShareFields
) -> Response:
    with work_at(now) as (work, ctx):
        case, problems = share_event(ctx, actor.provider_id, event_id, actor.account_id, values)
        if case is None:
            title = get_event(work.session, event_id, actor.provider_id).title
            return render_portal(
                request, "provider_share", actor, status=422, title=f"Share {title}",
                event_id=event_id, values=values, problems=problems, errors_in_title=True,
            )  # fmt: skip
        work.commit()
        reference = case.reference
    return RedirectResponse(f"/provider/opportunities?shared={reference}", status_code=303)
