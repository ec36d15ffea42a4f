"""Wiring the portals into the app: the account pages, and the answers to a redirect and
to a refused CSRF token."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from web.pages import render
from web.portal import accounts, passwords, two_factor_pages
from web.portal.actors import CsrfRefused, Redirect


def install(app: FastAPI) -> None:
    for module in (accounts, passwords, two_factor_pages):
        app.include_router(module.router)

    @app.exception_handler(Redirect)
    async def redirect(request: Request, exc: Redirect) -> Response:
        return RedirectResponse(
            exc.location, status_code=303, headers={"Cache-Control": "no-store"}
        )

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return render(
            request, "message", status=403, headers={"Cache-Control": "no-store"},
            title="This form had expired",
            message="The form was older than your session, or was sent from another site, so "
            "nothing was changed. Go back, reload the page and try again.",
        )  # fmt: skip
