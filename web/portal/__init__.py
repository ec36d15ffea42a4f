"""The portals' shared session machinery: who is signed in, what they may touch, CSRF.

URL layout: the provider portal under /provider/..., the educator portal under /me/...
(`/me` itself is the educator's sign-in page). Signed-out pages are listed in
`web.portal.public.PUBLIC_PATHS`; every other route under those prefixes must take one of
the dependencies below (a test walks `app.routes` and checks each one, every method).

Sessions live in the database (`models.web_sessions.WebSession`; use cases in
`models.services.web_sessions`): a random id in the `pdu_session` cookie (HttpOnly,
SameSite=Lax, Secure over https), stored as an HMAC; a new id at every sign-in; idle
timeout PDU_PORTAL_IDLE_MINUTES (30), absolute PDU_PORTAL_ABSOLUTE_HOURS (12); the clock
is models.clock (PDU_NOW moves it).

Route parameters (Annotated dependencies): `actor: CurrentProvider` (= provider_actor),
`signed_in: SignedInProvider` (= provider_session), `actor: CurrentEducator`
(= educator_actor), `now: Now` (= request_now: the request's instant).

Dependencies (FastAPI `Depends`), each: signed out -> 303 to sign in (with `?next=` for a
GET), nothing run; an unsafe method without the right CSRF token -> 403, nothing run.

    provider_actor(request) -> ProviderActor       every provider page and action
        frozen: session_id, account_id (the account acting for the provider),
        signed_in_account_id, username, provider_id, provider_number, provider_name,
        providers (tuple[ProviderChoice(id, number, name)]: whom the person may act for),
        is_manager (of provider_id), has_second_factor.
        Redirects to /provider/choose until a provider is chosen (automatic with one), to
        /provider/sign-in/code while a TOTP code is due, to /provider/account/two-factor when
        PDU_PORTAL_REQUIRE_2FA is set and a manager has no second factor yet.
    provider_session(request) -> ProviderSession   the few pages before that (choose a
        provider, set up TOTP, change password, sign out)
    educator_actor(request) -> EducatorActor       every /me/... page and action
        frozen: session_id, email (lowercased): scope every query by it.
    require_csrf(request)                          a signed-out form's post (same check):
        `@router.post(path, dependencies=CSRF_CHECKED)`; `FormText` = Annotated[str, Form()]

Authorisation: scope every query by `actor.provider_id` (or `actor.email`); a record of
another party is answered exactly as a missing one (404). Never take a provider id from the
URL or the form.

Starting and ending a session (in the caller's unit of work, then commit, then respond):

    token = begin_provider_session(ctx, account, replacing=session_token(request))
    token = begin_educator_session(ctx, email, replacing=session_token(request))
    work.commit(); return signed_in_redirect(request, token, "/me/home")
    end_session(ctx, token); ... return signed_out_redirect("/")

Pages: `render_portal(request, "template_name", actor, title=..., **context)` renders
templates/web/<name>.html.j2 (extend "web/_portal.html.j2") with `party`, the portal menu
(PROVIDER_NAV / EDUCATOR_NAV: add your pages there) and `csrf_field`/`csrf` for forms:
`<input type="hidden" name="{{ csrf_field }}" value="{{ csrf }}">`.

The provider acted for is chosen once per session (/provider/choose, a drop-down of
`actor.providers` when a person holds accounts at several providers, linked by person) and
named on every page by web/_portal.html.j2. Posts from signed-out pages, and `/me/sign-out`
and `/provider/sign-out`, are here too (web/portal/accounts.py).

Tests: tests/portal_support.py: `add_account(...)`, `provider_cookie(username)`,
`educator_cookie(email)` (a session planted without HTTP), `portal_client(url, cookie)`,
`sign_in(http, username)` over HTTP, `session_csrf(http)`, `assert_hidden(http, method,
url)` (404 and the database unchanged), `portal_routes(app)`, `snapshot()`, and
`probed_app()`/`probed_web()` (the app plus /provider/probe and /me/probe routes).
"""

from __future__ import annotations

from models.services.web_sessions import (
    ProviderChoice,
    begin_educator_session,
    begin_provider_session,
    end_session,
)
from web.portal.actors import (
    CSRF_CHECKED,
    CurrentEducator,
    CurrentProvider,
    EducatorActor,
    FormText,
    Now,
    ProviderActor,
    ProviderSession,
    SignedInProvider,
    educator_actor,
    provider_actor,
    provider_session,
    request_now,
    require_csrf,
    safe_next,
    session_token,
)
from web.portal.public import PUBLIC_PATHS
from web.portal.render import EDUCATOR_NAV, PROVIDER_NAV, render_portal
from web.portal.session_cookie import signed_in_redirect, signed_out_redirect

__all__ = [
    "CSRF_CHECKED",
    "EDUCATOR_NAV",
    "PROVIDER_NAV",
    "PUBLIC_PATHS",
    "CurrentEducator",
    "CurrentProvider",
    "EducatorActor",
    "FormText",
    "Now",
    "ProviderActor",
    "ProviderChoice",
    "ProviderSession",
    "SignedInProvider",
    "begin_educator_session",
    "begin_provider_session",
    "educator_actor",
    "end_session",
    "provider_actor",
    "provider_session",
    "render_portal",
    "request_now",
    "require_csrf",
    "safe_next",
    "session_token",
    "signed_in_redirect",
    "signed_out_redirect",
]
