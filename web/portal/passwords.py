"""Choosing a password: with a one-time code (`/account/setup?code=`, the welcome and reset
emails' link), after "Forgot your password?", and when signed in. Also "Forgot your
username?". The forgot pages answer the same whatever was typed."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models import clock
from models.services.account_access import (
    CODE_PROBLEMS,
    CodeRefused,
    CodeState,
    PasswordRefused,
    WrongPassword,
    change_password,
    check_code,
    request_password_reset,
    send_new_code,
    send_usernames,
    set_password_with_code,
)
from models.services.context import ServiceContext
from models.uow import UnitOfWork
from web.pages import client_address, too_many
from web.portal.actors import CSRF_CHECKED, FormText, Now, SignedInProvider
from web.portal.render import render_portal

router = APIRouter()
TITLES = {
    CodeState.GOOD: "Choose your password",
    CodeState.USED: "This link has been used",
    CodeState.EXPIRED: "This link has expired",
    CodeState.UNKNOWN: "This code is not recognised",
}


def _setup_page(
    request: Request,
    code: str,
    state: CodeState,
    username: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render_portal(
        request, "account_setup", None, status=status, title=TITLES[state],
        errors_in_title=bool(errors), code=code.strip()[:64], state=state.value,
        username=username, problem=CODE_PROBLEMS.get(state, ""), errors=errors or {},
    )  # fmt: skip


def _checked(code: str, now: Now) -> tuple[CodeState, str]:
    with UnitOfWork() as work:
        found = check_code(ServiceContext.of(work, now), code)
        return found.state, found.account.username if found.account else ""


@router.get("/account/setup", response_class=HTMLResponse)
def setup_page(request: Request, now: Now, code: str = "") -> Response:
    if not code.strip():
        return RedirectResponse("/provider/sign-in", status_code=303)
    state, username = _checked(code, now)
    status = 200 if state is CodeState.GOOD else 410 if state is not CodeState.UNKNOWN else 404
    return _setup_page(request, code, state, username, status=status)


def _password_errors(password: str, confirm: str) -> dict[str, str]:
    if not password:
        return {"password": "Enter a new password."}
    if password != confirm:
        return {"confirm": "The two passwords are not the same: type the new one again."}
    return {}


@router.post("/account/setup", dependencies=CSRF_CHECKED)
def setup(
    request: Request,
    now: Now,
    code: FormText = "",
    password: FormText = "",
    confirm: FormText = "",
) -> Response:
    state, username = _checked(code, now)
    errors = _password_errors(password, confirm) if state is CodeState.GOOD else {}
    if errors:
        return _setup_page(request, code, state, username, errors, status=422)
    with UnitOfWork() as work:
        try:
            set_password_with_code(ServiceContext.of(work, now), code, password)
        except PasswordRefused as exc:
            errors = {"password": str(exc)}
            return _setup_page(request, code, state, username, errors, status=422)
        except CodeRefused as exc:
            return _setup_page(request, code, exc.state, status=410)
        work.commit()
    return RedirectResponse("/provider/sign-in?notice=password-set", status_code=303)


@router.post("/account/setup/new-code", dependencies=CSRF_CHECKED)
def new_code(request: Request, now: Now, code: FormText = "") -> Response:
    wait = request.app.state.form_limiter.retry_after(client_address(request))
    if wait:
        return too_many(request, wait)
    with UnitOfWork() as work:
        send_new_code(ServiceContext.of(work, now), code)
        work.commit()
    return render_portal(
        request, "portal_message", None, title="Check your email",
        message="If this link was one of ours, a new one is on its way to the email address "
        "of its account. It may take a few minutes; check the spam folder too.",
        link=("/provider/sign-in", "Go to sign in"),
    )  # fmt: skip


def _forgot_page(
    request: Request, what: str, errors: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    return render_portal(
        request, "provider_forgot", None, status=status, errors_in_title=bool(errors),
        title="Forgot your password?" if what == "password" else "Forgot your username?",
        what=what, errors=errors or {},
    )  # fmt: skip


@router.get("/provider/forgot-password", response_class=HTMLResponse)
def forgot_password_page(request: Request) -> Response:
    return _forgot_page(request, "password")


@router.get("/provider/forgot-username", response_class=HTMLResponse)
def forgot_username_page(request: Request) -> Response:
    return _forgot_page(request, "username")


def _sent(request: Request, what: str) -> Response:
    """One answer, whether or not anything matched."""
    if what == "password":
        message = ("If that is the username or email address of an account, we have sent a "
                   "link to choose a new password to the account's email address. It works "
                   "once, for 30 minutes.")  # fmt: skip
    else:
        message = "If an account has that email address, we have sent its username to it."
    return render_portal(
        request, "portal_message", None, title="Check your email",
        message=f"{message} It may take a few minutes; check the spam folder too.",
        link=("/provider/sign-in", "Go to sign in"),
    )  # fmt: skip


def _send_in_background(send: Callable[[ServiceContext, str], None], value: str) -> None:
    with UnitOfWork() as work:
        send(ServiceContext.of(work, clock.now()), value)
        work.commit()


def _forgot(
    request: Request,
    later: BackgroundTasks,
    what: str,
    value: str,
    problem: dict[str, str],
    send: Callable[[ServiceContext, str], None],
) -> Response:
    """The answer goes out before the lookup runs (after it, in the background), so its
    timing cannot tell whether the name or address matched an account."""
    if problem:
        return _forgot_page(request, what, problem, status=422)
    wait = request.app.state.form_limiter.retry_after(client_address(request))
    if wait:
        return too_many(request, wait)
    later.add_task(_send_in_background, send, value)
    return _sent(request, what)


@router.post("/provider/forgot-password", dependencies=CSRF_CHECKED)
def forgot_password(
    request: Request, later: BackgroundTasks, identifier: FormText = ""
) -> Response:
    problem = {} if identifier.strip() else {"identifier": "Enter your username or email address."}
    return _forgot(request, later, "password", identifier, problem, request_password_reset)


@router.post("/provider/forgot-username", dependencies=CSRF_CHECKED)
def forgot_username(request: Request, later: BackgroundTasks, email: FormText = "") -> Response:
    problem = {} if "@" in email else {"email": "Enter an email address, like name@school.org."}
    return _forgot(request, later, "username", email, problem, send_usernames)


def _change_page(
    request: Request, signed_in: SignedInProvider, errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return render_portal(
        request, "provider_password", signed_in, status=status, title="Change your password",
        errors_in_title=bool(errors), errors=errors,
    )  # fmt: skip


@router.get("/provider/account/password", response_class=HTMLResponse)
def change_page(request: Request, signed_in: SignedInProvider) -> Response:
    return _change_page(request, signed_in, {})


@router.post("/provider/account/password")
def change(
    request: Request,
    signed_in: SignedInProvider,
    now: Now,
    current: FormText = "",
    password: FormText = "",
    confirm: FormText = "",
) -> Response:
    errors = _password_errors(password, confirm)
    if not current:
        errors = {"current": "Enter your current password.", **errors}
    if errors:
        return _change_page(request, signed_in, errors, status=422)
    with UnitOfWork() as work:
        try:
            change_password(
                ServiceContext.of(work, now), signed_in.account_id, current, password,
                keep_session=signed_in.session_id,
            )  # fmt: skip
        except WrongPassword as exc:
            return _change_page(request, signed_in, {"current": str(exc)}, status=422)
        except PasswordRefused as exc:
            return _change_page(request, signed_in, {"password": str(exc)}, status=422)
        work.commit()
    return RedirectResponse("/provider/account?notice=password-changed", status_code=303)
