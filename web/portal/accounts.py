"""Signing in and out of the provider portal, the second step (a TOTP or recovery code),
and choosing the organisation acted for. Each post calls one use case."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.services.context import ServiceContext
from models.services.errors import NotFound
from models.services.sign_in import SignInOutcome, complete_sign_in, sign_in
from models.services.web_sessions import choose_provider, end_session, find_session
from models.uow import UnitOfWork
from templates.render import datetime_local
from web.pages import client_address
from web.portal.actors import (
    CSRF_CHECKED,
    PROVIDER_HOME,
    CurrentEducator,
    FormText,
    Now,
    SignedInProvider,
    require_csrf,
    safe_next,
    session_token,
)
from web.portal.render import render_portal
from web.portal.session_cookie import signed_in_redirect, signed_out_redirect

router = APIRouter()
NOTICES = {  # ?notice=... on the sign-in page: fixed words, nothing from the URL shown
    "signed-out": "You have signed out.",
    "password-set": "Your password is saved. Sign in with it now.",
    "expired": "You were signed out after a while without activity. Sign in again.",
}


def _sign_in_page(
    request: Request,
    *,
    identifier: str = "",
    next: str = "",
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render_portal(
        request, "provider_sign_in", None, status=status,
        title="Sign in to the PDU Provider System",
        errors_in_title=bool(errors), identifier=identifier, next=safe_next(next, ""),
        errors=errors or {}, notice=notice,
    )  # fmt: skip


@router.get("/provider/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "", notice: str = "") -> Response:
    return _sign_in_page(request, next=next, notice=NOTICES.get(notice, ""))


@router.post("/provider/sign-in", dependencies=CSRF_CHECKED)
def sign_in_post(
    request: Request,
    now: Now,
    identifier: FormText = "",
    password: FormText = "",
    next: FormText = "",
) -> Response:
    errors = {}
    if not identifier.strip():
        errors["identifier"] = "Enter your username or email address."
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return _sign_in_page(request, identifier=identifier, next=next, errors=errors, status=422)
    with UnitOfWork() as work:
        outcome = sign_in(
            ServiceContext.of(work, now), identifier, password, client_address(request),
            replacing=session_token(request),
        )  # fmt: skip
        work.commit()
    if outcome.wait_until is not None:
        return _too_many(request, outcome.wait_until, now, identifier, next)
    if outcome.disabled:
        return render_portal(
            request, "portal_message", None, status=403, title="This account is disabled",
            message="OPI has disabled this account. If you still need it, write to the "
            "Professional Development Unit at OPI.", link=None,
        )  # fmt: skip
    if outcome.token is None:
        wrong = {"identifier": "The username or email address, or the password, is not right."}
        return _sign_in_page(request, identifier=identifier, next=next, errors=wrong, status=401)
    target = safe_next(next, PROVIDER_HOME)
    if outcome.second_factor_due:
        target = f"/provider/sign-in/code?next={quote(target, safe='')}"
    return signed_in_redirect(request, outcome.token, target)


def _too_many(
    request: Request, until: datetime, now: datetime, identifier: str, next: str
) -> Response:
    """The same answer for a name that exists and one that does not."""
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    wait = f"{seconds} seconds" if seconds < 120 else f"until {datetime_local(until)}"
    errors = {
        "identifier": f"There were too many wrong tries. Please wait {wait} and try again, or "
        "use “Forgot your password?”."
    }
    return _sign_in_page(request, identifier=identifier, next=next, errors=errors, status=429)


def _code_page(request: Request, next: str, errors: dict[str, str], status: int = 200) -> Response:
    return render_portal(
        request, "provider_second_factor", None, status=status, title="Enter your code",
        errors_in_title=bool(errors), errors=errors, next=safe_next(next, ""),
    )  # fmt: skip


def _half_signed_in(token: str | None, now: datetime) -> bool:
    with UnitOfWork() as work:
        row = find_session(ServiceContext.of(work, now), token)
        due = row is not None and row.second_factor_due
        work.commit()
    return due


@router.get("/provider/sign-in/code", response_class=HTMLResponse)
def code_page(request: Request, now: Now, next: str = "") -> Response:
    if not _half_signed_in(session_token(request), now):
        return RedirectResponse("/provider/sign-in", status_code=303)
    return _code_page(request, next, {})


def _complete(token: str | None, code: str, address: str, now: datetime) -> SignInOutcome:
    with UnitOfWork() as work:
        outcome = complete_sign_in(ServiceContext.of(work, now), token, code, address)
        work.commit()
    return outcome


@router.post("/provider/sign-in/code")
async def code_post(
    request: Request, now: Now, code: FormText = "", next: FormText = ""
) -> Response:
    token = session_token(request)
    # As everywhere in the portal: no session means "sign in", then CSRF, then the work.
    if not await run_in_threadpool(_half_signed_in, token, now):
        return RedirectResponse("/provider/sign-in", status_code=303)
    await require_csrf(request)
    outcome = await run_in_threadpool(_complete, token, code, client_address(request), now)
    if outcome.wait_until is not None:
        errors = {"code": "There were too many wrong codes. Please wait and try again."}
        return _code_page(request, next, errors, status=429)
    if outcome.token is None:
        errors = {"code": "That code is not right, or was used already. Type the code your "
                  "app shows now."}  # fmt: skip
        return _code_page(request, next, errors, status=401)
    return signed_in_redirect(request, outcome.token, safe_next(next, PROVIDER_HOME))


def _end(token: str | None, now: datetime) -> None:
    if token:
        with UnitOfWork() as work:
            end_session(ServiceContext.of(work, now), token)
            work.commit()


@router.post("/provider/sign-out")
def sign_out(request: Request, signed_in: SignedInProvider, now: Now) -> Response:
    _end(session_token(request), now)
    return signed_out_redirect("/provider/sign-in?notice=signed-out")


@router.post("/me/sign-out")
def educator_sign_out(request: Request, actor: CurrentEducator, now: Now) -> Response:
    _end(session_token(request), now)
    return signed_out_redirect("/me?signed_out=1")  # the sign-in page says it is done


def _choose_page(
    request: Request, signed_in: SignedInProvider, next: str, problem: str = ""
) -> Response:
    return render_portal(
        request, "provider_choose", signed_in, status=422 if problem else 200,
        title="Choose the organisation to act for", next=safe_next(next, PROVIDER_HOME),
        problem=problem,
    )  # fmt: skip


@router.get("/provider/choose", response_class=HTMLResponse)
def choose_page(request: Request, signed_in: SignedInProvider, next: str = "") -> Response:
    return _choose_page(request, signed_in, next)


@router.post("/provider/choose")
def choose(
    request: Request,
    signed_in: SignedInProvider,
    now: Now,
    provider: FormText = "",
    next: FormText = "",
) -> Response:
    with UnitOfWork() as work:
        try:
            choose_provider(ServiceContext.of(work, now), signed_in.session_id, int(provider or 0))
        except (NotFound, ValueError):
            problem = "Choose one of the organisations listed."
            return _choose_page(request, signed_in, next, problem)
        work.commit()
    token = session_token(request)
    assert token is not None
    return signed_in_redirect(request, token, safe_next(next, PROVIDER_HOME))
