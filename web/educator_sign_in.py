"""`/me`: educators sign in by an emailed link (no password), and sign out.

The sign-in form answers the same for every address (`models.services.sign_in_links`).
Opening the link shows a button rather than signing in at once: mail scanners open links
to check them, and would otherwise use up the single-use link before the educator does.
The session is the portals' own (`web.portal`): database row, HttpOnly cookie, timeouts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.sign_in_links import LinkAsked, redeem_sign_in_link, request_sign_in_link
from models.services.web_sessions import begin_educator_session
from models.uow import UnitOfWork
from web.pages import client_address
from web.portal import Now, render_portal, require_csrf, session_token
from web.portal.session_cookie import signed_in_redirect

router = APIRouter()

MAX_EMAIL = 320
MAX_TOKEN = 100
SIGN_IN_TITLE = "Your requests, certificates and progress"


def _sign_in_page(
    request: Request, email: str = "", problem: str = "", status: int = 200, notice: str = ""
) -> HTMLResponse:
    return render_portal(
        request, "me_sign_in", None, status=status, title=SIGN_IN_TITLE,
        errors_in_title=bool(problem), email=email, problem=problem, notice=notice,
    )  # fmt: skip


@router.get("/me", response_class=HTMLResponse)
def sign_in_page(request: Request, signed_out: bool = False) -> Response:
    return _sign_in_page(request, notice="You are signed out." if signed_out else "")


def _ask(email: str, client: str, now: datetime) -> LinkAsked | str:
    with UnitOfWork() as work:
        try:
            asked = request_sign_in_link(ServiceContext.of(work, now), email, client)
        except UserError:
            return "Enter an email address like name@example.org."
        work.commit()
        return asked


@router.post("/me", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def ask_for_link(request: Request, now: Now, email: Annotated[str, Form()] = "") -> Response:
    email = email.strip()[:MAX_EMAIL]
    asked = await run_in_threadpool(_ask, email, client_address(request), now)
    if isinstance(asked, str):
        return _sign_in_page(request, email, asked, status=422)
    if not asked.sent:
        return render_portal(
            request, "message", None, status=429,
            headers={"Retry-After": str(asked.retry_after_minutes * 60)},
            title="Too many sign-in links",
            message="Several sign-in links were asked for this address or from your "
            f"connection just now. Use the newest email, or wait {asked.retry_after_minutes} "
            "minutes and ask again.",
        )  # fmt: skip
    return render_portal(request, "me_link_sent", None, title="Check your email", email=email)


@router.get("/me/sign-in/{token}", response_class=HTMLResponse)
def link_page(request: Request, token: str) -> Response:
    return render_portal(
        request, "me_link", None, title="Sign in", token=token[:MAX_TOKEN]
    )  # fmt: skip


def _redeem(token: str, replacing: str | None, now: datetime) -> str | UserError:
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, now)
        try:
            email = redeem_sign_in_link(ctx, token[:MAX_TOKEN])
        except UserError as refused:
            work.commit()
            return refused
        session = begin_educator_session(ctx, email, replacing=replacing)
        work.commit()
        return session


@router.post("/me/sign-in", dependencies=[Depends(require_csrf)])
async def sign_in(request: Request, now: Now, token: Annotated[str, Form()] = "") -> Response:
    started = await run_in_threadpool(_redeem, token, session_token(request), now)
    if isinstance(started, UserError):
        return _sign_in_page(request, problem=str(started), status=410)
    return signed_in_redirect(request, started, "/me/home")
