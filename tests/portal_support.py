"""Shared by the portal tests (this engineer's and the other portals'): accounts straight in
the database, signing in over HTTP or by planting a session, every portal route of the app,
and a snapshot of the database to prove that a refused request changed nothing.

    username = add_account("MTP-00001", "Jane", "Doe", "jane@billings.example")
    with portal_client(server.url) as http:
        sign_in(http, username)                       # over HTTP, as a browser would
        assert_hidden(http, "GET", f"/provider/events/{other_event_id}")
    with portal_client(server.url, cookie=provider_cookie(username)) as http: ...  # fast
    with portal_client(server.url, cookie=educator_cookie("maria@school.example")) as http: ...
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException
from sqlalchemy import MetaData, select, text

from devmail import free_port
from models import clock
from models.accounts import ProviderAccount
from models.passwords import hash_password
from models.people import Person
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.web_sessions import begin_educator_session, begin_provider_session
from models.settings import get_settings
from models.uow import UnitOfWork
from tests.web_support import csrf_of
from web.app import create_app
from web.csrf import SESSION_COOKIE
from web.portal import CurrentEducator, CurrentProvider
from web.security import csrf_token
from web.server import WebServer

PASSWORD = "correct horse battery staple"
# Tables a refused request may still touch: the session's idle clock, failed sign-ins.
VOLATILE = {"web_sessions", "sign_in_failures"}


def probed_app() -> FastAPI:
    """The app with two probe routes (GET and POST) behind each party's dependency: a
    branch's tests can reach `provider_actor`/`educator_actor` whatever pages exist yet."""
    app = create_app()
    probe = APIRouter()

    @probe.api_route("/provider/probe", methods=["GET", "POST"])
    def provider_probe(actor: CurrentProvider) -> dict[str, Any]:
        return {"provider_id": actor.provider_id, "username": actor.username}

    @probe.api_route("/provider/probe/{provider_id}", methods=["GET", "POST"])
    def provider_record(provider_id: int, actor: CurrentProvider) -> dict[str, Any]:
        # The pattern every portal route follows: scoped by the actor, another party's
        # record answered exactly as a missing one.
        if provider_id != actor.provider_id:
            raise HTTPException(status_code=404)
        return {"provider_id": provider_id}

    @probe.api_route("/me/probe", methods=["GET", "POST"])
    def educator_probe(actor: CurrentEducator) -> dict[str, Any]:
        return {"email": actor.email}

    app.include_router(probe)
    return app


@contextlib.contextmanager
def probed_web() -> Iterator[WebServer]:
    with WebServer(port=free_port(), app=probed_app()) as server:
        yield server


def add_account(
    provider_number: str = "MTP-00001",
    first: str = "Jane",
    last: str = "Doe",
    email: str = "jane@billings.example",
    *,
    username: str | None = None,
    manager: bool = True,
    password: str | None = PASSWORD,
) -> str:
    """A provider account (and its person), with `password` set; its username."""
    now = clock.now()
    with UnitOfWork() as work:
        provider = work.session.scalar(select(Provider).where(Provider.number == provider_number))
        assert provider is not None, f"no provider {provider_number}"
        person = work.session.scalar(select(Person).where(Person.email == email.lower()))
        if person is None:
            person = Person(email=email.lower(), first_name=first, last_name=last, created_at=now)
            work.session.add(person)
            work.session.flush()
        account = ProviderAccount(
            username=username or f"{first[0]}{last}".replace(" ", ""),
            provider_id=provider.id,
            person_id=person.id,
            is_manager=manager,
            created_at=now,
            password_hash=hash_password(password) if password else None,
            password_changed_at=now if password else None,
        )
        work.session.add(account)
        work.commit()
        return account.username


def provider_cookie(username: str) -> str:
    """A session for the account planted in the database (no HTTP, no hashing): the cookie."""
    with UnitOfWork() as work:
        account = work.session.scalar(
            select(ProviderAccount).where(ProviderAccount.username == username)
        )
        assert account is not None
        token = begin_provider_session(ServiceContext.of(work, clock.now()), account)
        work.commit()
    return token


def educator_cookie(email: str) -> str:
    with UnitOfWork() as work:
        token = begin_educator_session(ServiceContext.of(work, clock.now()), email)
        work.commit()
    return token


@contextlib.contextmanager
def portal_client(base_url: str, cookie: str | None = None) -> Iterator[httpx.Client]:
    """An HTTP client that does not follow redirects (the tests look at them)."""
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as http:
        if cookie:
            plant(http, cookie)
        yield http


def plant(http: httpx.Client, cookie: str) -> None:
    """Put a session cookie in the client as the server's own would be (same domain, so a
    later Set-Cookie replaces it rather than sitting beside it)."""
    http.cookies.set(SESSION_COOKIE, cookie, domain=http.base_url.host)


def form_csrf(http: httpx.Client, page: str = "/provider/sign-in") -> str:
    """The CSRF token a page of the portal puts in its forms, for this client."""
    return csrf_of(http.get(page).text)


def session_csrf(http: httpx.Client) -> str:
    """The CSRF token of this client's session (what its portal pages put in their forms)."""
    cookie = http.cookies.get(SESSION_COOKIE)
    assert cookie, "the client is not signed in"
    return csrf_token(get_settings().secret_key, cookie)


def sign_in(
    http: httpx.Client, identifier: str, password: str = PASSWORD, next: str = ""
) -> httpx.Response:
    token = form_csrf(http)
    return http.post(
        "/provider/sign-in",
        data={"csrf_token": token, "identifier": identifier, "password": password, "next": next},
    )


def portal_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route of the app under /provider and /me, however nested
    (FastAPI 0.154 keeps included routers as `_IncludedRouter`)."""
    found: list[tuple[str, str]] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            original = getattr(route, "original_router", None)
            if original is not None:
                context = getattr(route, "include_context", None)
                walk(original.routes, prefix + (getattr(context, "prefix", "") or ""))
                continue
            path = prefix + getattr(route, "path", "")
            for method in sorted(getattr(route, "methods", None) or ()):
                if path == "/provider" or path.startswith(("/provider/", "/me")):
                    found.append((method, path))

    walk(app.routes, "")
    return sorted(set(found))


def concrete(path: str, value: str = "1") -> str:
    """A path template with every parameter filled (`/provider/events/{event_id}` -> .../1)."""
    return re.sub(r"\{[^}]+\}", value, path)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but VOLATILE: equal snapshots mean nothing changed."""
    with UnitOfWork() as work:
        metadata = MetaData()
        metadata.reflect(work.session.connection())
        return {
            name: sorted(
                (tuple(map(repr, row)) for row in work.session.execute(table.select())), key=repr
            )
            for name, table in metadata.tables.items()
            if name not in VOLATILE and name != "alembic_version"
        }


def assert_hidden(
    http: httpx.Client, method: str, url: str, data: dict[str, str] | None = None
) -> None:
    """Another party's record by its id: 404 as if it did not exist, and nothing changed.
    A post carries this client's valid CSRF token, so only the scoping can refuse it."""
    before = snapshot()
    fields = dict(data or {})
    if method not in ("GET", "HEAD"):
        fields.setdefault("csrf_token", session_csrf(http))
    response = http.request(method, url, data=fields or None)
    assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    assert snapshot() == before, f"{method} {url} changed the database"


def count(sql: str) -> int:
    with UnitOfWork() as work:
        return int(work.session.execute(text(sql)).scalar_one())
