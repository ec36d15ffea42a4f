"""The FastAPI application: routers, local static files, security headers, error pages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from web import apply, directory, verify
from web.pages import render
from web.portal.install import install as install_portals
from web.security import Limit, RateLimiter

log = logging.getLogger("web")
STATIC = Path(__file__).resolve().parent / "static"
# Everything from this origin: no CDN, no inline script, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
FORM_LIMIT = Limit(10, 600)  # form posts per address per 10 minutes (a mistake or two each)
VERIFY_LIMIT = Limit(60, 600)  # certificate lookups per address per 10 minutes


def create_app(form_limit: Limit = FORM_LIMIT, verify_limit: Limit = VERIFY_LIMIT) -> FastAPI:
    app = FastAPI(title="PDU workflows", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.form_limiter = RateLimiter(form_limit)
    app.state.verify_limiter = RateLimiter(verify_limit)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(apply.router)
    app.include_router(verify.router)
    app.include_router(directory.router)
    install_portals(app)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        return render(request, "home", title="Professional Development Units")

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return render(
                request, "message", status=404, title="Page not found",
                message="There is no page at this address. Check it, or start from the "
                "links above.",
            )  # fmt: skip
        return render(
            request, "message", status=exc.status_code, title="Request not understood",
            message="This request could not be handled. Start again from the links above.",
        )  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return await http_error(request, StarletteHTTPException(400))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return render(
            request, "message", status=500, title="Something went wrong on our side",
            message="Nothing you did caused this, and it has been logged. Please try again "
            "in a few minutes; if it keeps happening, write to OPI.",
        )  # fmt: skip

    return app
