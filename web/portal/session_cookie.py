"""The session cookie: set at sign-in (a new value every time), cleared at sign-out."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from models.settings import get_settings
from web.csrf import SESSION_COOKIE


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """HttpOnly, SameSite=Lax (a link from an email still arrives signed in), Secure when
    served over https; no Max-Age: the server decides when the session ends."""
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
        secure=request.url.scheme == "https" or get_settings().public_url.startswith("https:"),
    )  # fmt: skip


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def signed_in_redirect(request: Request, token: str, to: str) -> RedirectResponse:
    """303 to `to` carrying the new session's cookie (after begin_*_session committed)."""
    response = RedirectResponse(to, status_code=303)
    set_session_cookie(response, request, token)
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_out_redirect(to: str) -> RedirectResponse:
    response = RedirectResponse(to, status_code=303)
    clear_session_cookie(response)
    return response
