"""A portal page: the signed-in party, the provider acted for, and the CSRF token on it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from models.services.web_sessions import ProviderChoice
from web.csrf import set_nonce, with_form_token
from web.pages import render
from web.portal.actors import EducatorActor, ProviderActor, ProviderSession

Party = ProviderActor | ProviderSession | EducatorActor | None

# The portals' menus (href, label); each portal's pages add theirs here.
PROVIDER_NAV: list[tuple[str, str]] = [
    ("/provider", "Provider home"),
    ("/provider/account", "Your account"),
]
EDUCATOR_NAV: list[tuple[str, str]] = [("/me/home", "Your PDUs")]
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _acting_for(party: Party) -> ProviderChoice | None:
    if isinstance(party, ProviderActor):
        return ProviderChoice(party.provider_id, party.provider_number, party.provider_name)
    return party.provider if isinstance(party, ProviderSession) else None


def _nav(party: Party) -> list[tuple[str, str]]:
    if isinstance(party, EducatorActor):
        return EDUCATOR_NAV
    return PROVIDER_NAV if party is not None else []


def render_portal(
    request: Request,
    name: str,
    party: Party,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """templates/web/<name>.html.j2 (which extends web/_portal.html.j2) with `party`, the
    portal's menu and `csrf_field`/`csrf` for its forms; never cached. `party` is None on the
    signed-out pages (sign in, forgot password)."""
    form, fresh = with_form_token(request)
    page = render(
        request,
        name,
        status=status,
        headers={**NO_STORE, **(headers or {})},
        party=party,
        acting_for=_acting_for(party),
        nav=_nav(party) or None,
        **form,
        **context,
    )
    set_nonce(page, request, fresh)
    return page
