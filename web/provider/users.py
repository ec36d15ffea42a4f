"""/provider/users: the account manager's page of the organisation's users and contact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.providers import Provider
from models.services.context import ServiceContext
from models.services.errors import NotFound, UserError
from models.services.provider_users import (
    change_contact,
    hand_manager_role,
    invite_user,
    provider_users,
    remove_user,
)
from web.portal import CurrentProvider, Now, ProviderActor, render_portal
from web.provider.common import sentence, work_at

router = APIRouter()
DONE = {
    "invited": "The invitation is sent: they choose their password from the email.",
    "removed": "The user is removed: they can no longer sign in.",
    "manager": "The manager role is handed over.",
    "contact": "The contact details are saved.",
    "email": "The organisation's email address is changed; the old address is told.",
}


def _manager(actor: ProviderActor) -> None:
    if not actor.is_manager:
        raise HTTPException(404)


def _page(
    request: Request, actor: ProviderActor, now: datetime, *, done: str = "",
    problem: str | None = None, status: int = 200,
) -> Response:  # fmt: skip
    with work_at(now) as (work, ctx):
        users = provider_users(ctx, actor.provider_id)
        provider = work.session.get(Provider, actor.provider_id)
        if provider is None:  # removed from the directory while signed in
            raise HTTPException(404)
        contact = {
            "phone": provider.contact_phone or "", "address": provider.address or "",
            "email": provider.contact_email,
        }  # fmt: skip
    return render_portal(
        request, "provider_users", actor, status=status, title="Users and contact",
        users=users, contact=contact, notice=DONE.get(done), problem=problem,
        errors_in_title=bool(problem),
    )  # fmt: skip


@router.get("/provider/users", response_class=HTMLResponse)
def users(request: Request, actor: CurrentProvider, now: Now, done: str = "") -> Response:
    _manager(actor)
    return _page(request, actor, now, done=done)


def _act(
    request: Request, actor: ProviderActor, now: datetime, done: str,
    action: Callable[[ServiceContext], object],
) -> Response:  # fmt: skip
    _manager(actor)
    with work_at(now) as (work, ctx):
        try:
            action(ctx)
        except NotFound:
            raise HTTPException(404) from None
        except UserError as exc:
            problem = sentence(exc)
            work.rollback()
        else:
            work.commit()
            return RedirectResponse(f"/provider/users?done={done}", status_code=303)
    return _page(request, actor, now, problem=problem, status=422)


@router.post("/provider/users")
def invite(
    request: Request, actor: CurrentProvider, now: Now, first_name: str = Form(""),
    last_name: str = Form(""), email: str = Form(""),
) -> Response:  # fmt: skip
    return _act(request, actor, now, "invited", lambda ctx: invite_user(
        ctx, actor.provider_id, actor.account_id, first_name, last_name, email))  # fmt: skip


@router.post("/provider/users/{username}/remove")
def remove(request: Request, actor: CurrentProvider, now: Now, username: str) -> Response:
    return _act(request, actor, now, "removed", lambda ctx: remove_user(
        ctx, actor.provider_id, actor.account_id, username))  # fmt: skip


@router.post("/provider/users/{username}/manager")
def make_manager(request: Request, actor: CurrentProvider, now: Now, username: str) -> Response:
    return _act(request, actor, now, "manager", lambda ctx: hand_manager_role(
        ctx, actor.provider_id, actor.account_id, username))  # fmt: skip


@router.post("/provider/contact")
def contact(
    request: Request, actor: CurrentProvider, now: Now, phone: str = Form(""),
    address: str = Form(""),
) -> Response:  # fmt: skip
    return _act(request, actor, now, "contact", lambda ctx: change_contact(
        ctx, actor.provider_id, actor.account_id, phone=phone, address=address))  # fmt: skip
