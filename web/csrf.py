"""CSRF for every form of the site, public or portal: one mechanism (web/security.py's).

A form carries HMAC(PDU_SECRET_KEY, nonce); a post counts only when it carries the HMAC of
the nonce its own request brings. The nonce is the portal session's cookie when there is
one (so a token dies with its session, and a new one comes with every sign-in), otherwise a
random `pdu_csrf` cookie (HttpOnly, SameSite=Strict) set by the page that shows the form.
Another site can neither read these cookies nor compute the HMAC.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from models.settings import get_settings
from web.security import CSRF_COOKIE, CSRF_FIELD, csrf_ok, csrf_token, new_nonce

SESSION_COOKIE = "pdu_session"
CSRF_HEADER = "x-csrf-token"  # for a script's post; forms use the CSRF_FIELD field


def _nonce(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)


def form_token(request: Request) -> tuple[str, str | None]:
    """The token for a form on this page, and a new nonce to set as the `pdu_csrf` cookie
    (None when the request already brings one)."""
    nonce = _nonce(request)
    fresh = None if nonce else new_nonce()
    return csrf_token(get_settings().secret_key, nonce or fresh or ""), fresh


def set_nonce(response: Response, request: Request, nonce: str | None) -> None:
    if nonce:
        response.set_cookie(
            CSRF_COOKIE, nonce, httponly=True, samesite="strict",
            secure=request.url.scheme == "https", path="/",
        )  # fmt: skip


def with_form_token(request: Request) -> tuple[dict[str, str], str | None]:
    """The template context of a form's token ({csrf_field, csrf}) and the nonce to set."""
    token, fresh = form_token(request)
    return {"csrf_field": CSRF_FIELD, "csrf": token}, fresh


async def csrf_passes(request: Request) -> bool:
    """Whether this post carries the token of its own nonce (form field or header)."""
    posted = request.headers.get(CSRF_HEADER)
    if posted is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)  # starlette keeps the parsed form
            posted = value if isinstance(value, str) else None
    return csrf_ok(get_settings().secret_key, _nonce(request), posted)
