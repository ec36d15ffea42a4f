"""Rendering a page from templates/web/, and the answers every router shares."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from templates.render import environment

NAV = (
    ("/apply/pre-approval", "Pre-approval"),
    ("/apply/provider", "Become a provider"),
    ("/verify", "Verify a certificate"),
    ("/providers", "Approved providers"),
)


def render(
    request: Request,
    name: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """templates/web/<name>.html.j2 as a page (autoescaped, StrictUndefined)."""
    template = environment().get_template(f"web/{name}.html.j2")
    context.setdefault("errors_in_title", False)
    nav = context.pop("nav", None) or NAV  # the portals pass their own menu
    html = template.render(nav=nav, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=headers)


def client_address(request: Request) -> str:
    """Whom a rate limit counts: the peer (uvicorn resolves trusted proxy headers)."""
    return request.client.host if request.client else "unknown"


def too_many(request: Request, retry_after: int) -> HTMLResponse:
    minutes = max(1, (retry_after + 59) // 60)
    return render(
        request,
        "message",
        status=429,
        headers={"Retry-After": str(retry_after)},
        title="Too many requests",
        message=f"This address sent too many requests. Please wait {minutes} "
        f"minute{'s' if minutes > 1 else ''} and try again.",
    )
