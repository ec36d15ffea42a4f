"""The provider's account pages: sign in and out, choose the organisation acted for."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from models.services.context import ServiceContext
from models.services.errors import NotFound
from models.services.web_sessions import choose_provider, end_session
from models.uow import UnitOfWork
from web.portal.actors import Now, SignedInProvider, safe_next, session_token
from web.portal.render import render_portal
from web.portal.session_cookie import signed_in_redirect, signed_out_redirect

router = APIRouter()


def _end(token: str | None, now: datetime) -> None:
    if token:
        with UnitOfWork() as work:
            end_session(ServiceContext.of(work, now), token)
            work.commit()


@router.post("/provider/sign-out")
async def sign_out(
    request: Request,
    signed_in: SignedInProvider,
    now: Now,
) -> Response:
    await run_in_threadpool(_end, session_token(request), now)
    return signed_out_redirect("/provider/sign-in?signed_out=1")


@router.get("/provider/choose", response_class=HTMLResponse)
def choose_page(request: Request, signed_in: SignedInProvider, next: str = "") -> Response:
    return render_portal(
        request, "provider_choose", signed_in, title="Choose the organisation to act for",
        next=safe_next(next, "/provider"),
    )  # fmt: skip


@router.post("/provider/choose")
def choose(
    request: Request,
    signed_in: SignedInProvider,
    now: Now,
    provider: int = Form(0),
    next: str = Form(""),
) -> Response:
    with UnitOfWork() as work:
        try:
            choose_provider(ServiceContext.of(work, now), signed_in.session_id, provider)
        except NotFound:
            return render_portal(
                request, "provider_choose", signed_in, status=422,
                title="Choose the organisation to act for", next=safe_next(next, "/provider"),
                problem="Choose one of the organisations listed.",
            )  # fmt: skip
        work.commit()
    token = session_token(request)
    assert token is not None
    return signed_in_redirect(request, token, safe_next(next, "/provider"))
