"""Who is signed in: the FastAPI dependencies every portal route takes.

A route under /provider asks for `provider_actor` (or, for the few pages a half-set-up
session may see, `provider_session`); one under /me asks for `educator_actor`. Each
dependency, before the route runs: finds the live session of the cookie (else redirects to
sign in, 303), checks the CSRF token of any unsafe method (else 403), and hands the route a
frozen description of the party. Routes scope every query by it: that is authorisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool

from models import clock
from models.accounts import ProviderAccount
from models.services.context import ServiceContext
from models.services.web_sessions import ProviderChoice, acting_account, find_session, providers_of
from models.settings import get_settings
from models.uow import UnitOfWork
from models.web_sessions import Party
from web.csrf import SESSION_COOKIE, csrf_passes

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PROVIDER_SIGN_IN = "/provider/sign-in"
PROVIDER_SECOND_FACTOR = "/provider/sign-in/code"
PROVIDER_CHOOSE = "/provider/choose"
PROVIDER_TWO_FACTOR_SETUP = "/provider/account/two-factor"
EDUCATOR_SIGN_IN = "/me"
PROVIDER_HOME = "/provider"  # where sign-in leads when nothing else was asked for


class Redirect(Exception):
    """Answered with 303 to `location` (web/portal/install.py registers the handler)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class CsrfRefused(Exception):
    """An unsafe request without the right CSRF token: 403, nothing done."""


def request_now() -> datetime:
    """The instant of this request: the one clock (PDU_NOW moves it). A dependency, so a
    test may also override it."""
    return clock.now()


Now = Annotated[datetime, Depends(request_now)]


def session_token(request: Request) -> str | None:
    """The browser's session cookie (to end it, or to replace it at sign-in)."""
    return request.cookies.get(SESSION_COOKIE)


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (never `//host` or `https://...`)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _back_here(request: Request, sign_in: str) -> str:
    if request.method not in SAFE_METHODS:
        return sign_in
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{sign_in}?next={quote(here, safe='')}"


@dataclass(frozen=True)
class ProviderSession:
    """A provider account signed in (password, and code when it has one)."""

    session_id: int
    account_id: int
    username: str
    has_second_factor: bool
    is_manager: bool  # of the account's own provider
    providers: tuple[ProviderChoice, ...]  # whom the person may act for
    provider: ProviderChoice | None  # chosen for this session, if yet
    acting_account_id: int | None  # the person's account at `provider`
    acting_is_manager: bool  # that account manages `provider`


@dataclass(frozen=True)
class ProviderActor:
    """A provider account acting for one provider: every query is scoped by `provider_id`."""

    session_id: int
    account_id: int  # the account acting (the person's account at `provider_id`)
    signed_in_account_id: int  # the account whose password opened the session
    username: str
    provider_id: int
    provider_number: str
    provider_name: str
    providers: tuple[ProviderChoice, ...]
    is_manager: bool  # manager of `provider_id`
    has_second_factor: bool


@dataclass(frozen=True)
class EducatorActor:
    """An educator signed in by their emailed link: scope every query by `email`."""

    session_id: int
    email: str  # lowercased


def _load_provider(token: str | None, now: datetime) -> ProviderSession | str:
    """The signed-in provider account, or where to send the browser instead."""
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, now)
        row = find_session(ctx, token)
        if row is None or row.party is not Party.PROVIDER or row.account_id is None:
            return PROVIDER_SIGN_IN
        account = work.session.get(ProviderAccount, row.account_id)
        if account is None or account.disabled_at is not None or account.password_hash is None:
            return PROVIDER_SIGN_IN
        if row.second_factor_due:
            return PROVIDER_SECOND_FACTOR
        providers = tuple(providers_of(work.session, account))
        chosen = next((p for p in providers if p.id == row.provider_id), None)
        acting = acting_account(work.session, account, chosen.id) if chosen else None
        found = ProviderSession(
            session_id=row.id,
            account_id=account.id,
            username=account.username,
            has_second_factor=account.has_second_factor,
            is_manager=account.is_manager,
            providers=providers,
            provider=chosen if acting else None,
            acting_account_id=acting.id if acting else None,
            acting_is_manager=acting.is_manager if acting else False,
        )
        work.commit()  # the idle clock restarted
        return found


def _acting(signed_in: ProviderSession, require_2fa: bool) -> ProviderActor | str:
    """The session acting for its chosen provider, or where to send the browser first."""
    if signed_in.provider is None or signed_in.acting_account_id is None:
        return PROVIDER_CHOOSE
    needs_2fa = require_2fa and (signed_in.acting_is_manager or signed_in.is_manager)
    if needs_2fa and not signed_in.has_second_factor:
        return PROVIDER_TWO_FACTOR_SETUP
    return ProviderActor(
        session_id=signed_in.session_id,
        account_id=signed_in.acting_account_id,
        signed_in_account_id=signed_in.account_id,
        username=signed_in.username,
        provider_id=signed_in.provider.id,
        provider_number=signed_in.provider.number,
        provider_name=signed_in.provider.name,
        providers=signed_in.providers,
        is_manager=signed_in.acting_is_manager,
        has_second_factor=signed_in.has_second_factor,
    )


async def require_csrf(request: Request) -> None:
    """CSRF for a signed-out form (sign in, forgot password...): the same check."""
    if request.method not in SAFE_METHODS and not await csrf_passes(request):
        raise CsrfRefused()


async def provider_session(request: Request, now: Now) -> ProviderSession:
    """The signed-in provider account, whether or not a provider is chosen yet."""
    found = await run_in_threadpool(_load_provider, session_token(request), now)
    if isinstance(found, str):
        raise Redirect(_back_here(request, found) if found == PROVIDER_SIGN_IN else found)
    await require_csrf(request)
    request.state.party = found
    return found


SignedInProvider = Annotated[ProviderSession, Depends(provider_session)]


async def provider_actor(request: Request, signed_in: SignedInProvider) -> ProviderActor:
    """The account and the provider it acts for (chosen, second factor as required)."""
    acting = _acting(signed_in, get_settings().portal_require_2fa)
    if isinstance(acting, str):
        raise Redirect(_back_here(request, acting) if acting == PROVIDER_CHOOSE else acting)
    request.state.party = acting
    return acting


def _load_educator(token: str | None, now: datetime) -> EducatorActor | None:
    with UnitOfWork() as work:
        row = find_session(ServiceContext.of(work, now), token)
        if row is None or row.party is not Party.EDUCATOR or row.educator_email is None:
            return None
        found = EducatorActor(session_id=row.id, email=row.educator_email)
        work.commit()
        return found


async def educator_actor(request: Request, now: Now) -> EducatorActor:
    """The educator signed in by link; signed out: 303 to /me (their sign-in page)."""
    found = await run_in_threadpool(_load_educator, session_token(request), now)
    if found is None:
        raise Redirect(_back_here(request, EDUCATOR_SIGN_IN))
    await require_csrf(request)
    request.state.party = found
    return found


# Route parameters: `actor: CurrentProvider`, `actor: CurrentEducator`, `now: Now`.
CurrentProvider = Annotated[ProviderActor, Depends(provider_actor)]
CurrentEducator = Annotated[EducatorActor, Depends(educator_actor)]

# A signed-out form's route: `@router.post(path, dependencies=CSRF_CHECKED)`.
CSRF_CHECKED = [Depends(require_csrf)]
FormText = Annotated[str, Form()]  # a form field, "" when absent
