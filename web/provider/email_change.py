"""Changing an email address: the signed-in account's own (/provider/account/email, with its
password) or the organisation's (/provider/contact/email, its manager); then the link from
the new address's mailbox (/provider/confirm-email?code=), opened while signed in as the
account that asked. Each post calls one use case (models/services/email_changes.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.email_changes import ChangeTarget
from models.services.account_access import WrongPassword
from models.services.email_changes import (
    ChangeRefused,
    confirm_email_change,
    current_address,
    pending_change,
    request_email_change,
)
from models.services.errors import UserError
from web.portal import CurrentProvider, Now, render_portal
from web.portal.actors import FormText, ProviderActor, ProviderSession, SignedInProvider
from web.provider.common import sentence, work_at

router = APIRouter()
ACTIONS = {
    ChangeTarget.ACCOUNT: ("/provider/account/email", "Change your email address"),
    ChangeTarget.ORGANISATION: ("/provider/contact/email", "Change the organisation's email"),
}
BACK = {ChangeTarget.ACCOUNT: "/provider/account", ChangeTarget.ORGANISATION: "/provider/users"}
CHANGED = {  # where a confirmed change lands, saying so
    ChangeTarget.ACCOUNT: "/provider/account?notice=email-changed",
    ChangeTarget.ORGANISATION: "/provider/users?done=email",
}


def _form(
    request: Request, party: ProviderSession | ProviderActor, account_id: int,
    target: ChangeTarget, now: Now, email: str = "", errors: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    with work_at(now) as (_work, ctx):
        current = current_address(ctx, account_id, target)
    action, title = ACTIONS[target]
    return render_portal(
        request, "provider_email_change", party, status=422 if errors else 200, title=title,
        errors_in_title=bool(errors), errors=errors or {}, target=target.value,
        current=current, action=action, values={"email": email},
    )  # fmt: skip


def _ask(
    request: Request, party: ProviderSession | ProviderActor, account_id: int,
    target: ChangeTarget, now: Now, email: str, password: str = "",
) -> Response:  # fmt: skip
    with work_at(now) as (work, ctx):
        try:
            change = request_email_change(ctx, account_id, target, email, password=password)
        except UserError as exc:
            work.rollback()
            field = "password" if isinstance(exc, WrongPassword) else "email"
            return _form(request, party, account_id, target, now, email, {field: sentence(exc)})
        work.commit()
        new = change.new_email
    return render_portal(
        request, "portal_message", party, title="Check the new address's email",
        message=f"We have sent a link to {new}. Open it within 24 hours, signed in as "
        f"{party.username}, to make the change; until then nothing changes.",
        link=(BACK[target], "Back"),
    )  # fmt: skip


@router.get("/provider/account/email", response_class=HTMLResponse)
def account_email_page(request: Request, signed_in: SignedInProvider, now: Now) -> Response:
    return _form(request, signed_in, signed_in.account_id, ChangeTarget.ACCOUNT, now)


@router.post("/provider/account/email")
def account_email(
    request: Request, signed_in: SignedInProvider, now: Now, email: FormText = "",
    password: FormText = "",
) -> Response:  # fmt: skip
    return _ask(
        request, signed_in, signed_in.account_id, ChangeTarget.ACCOUNT, now, email, password
    )


def _manager(actor: ProviderActor) -> None:
    if not actor.is_manager:
        raise HTTPException(404)


@router.get("/provider/contact/email", response_class=HTMLResponse)
def organisation_email_page(request: Request, actor: CurrentProvider, now: Now) -> Response:
    _manager(actor)
    return _form(request, actor, actor.account_id, ChangeTarget.ORGANISATION, now)


@router.post("/provider/contact/email")
def organisation_email(
    request: Request, actor: CurrentProvider, now: Now, email: FormText = ""
) -> Response:
    _manager(actor)
    return _ask(request, actor, actor.account_id, ChangeTarget.ORGANISATION, now, email)


def _refused(request: Request, actor: ProviderActor, exc: ChangeRefused) -> Response:
    return render_portal(
        request, "portal_message", actor, status=410, title="This link cannot be used",
        message=str(exc), link=("/provider/account", "Your account"),
    )  # fmt: skip


def _mine(actor: ProviderActor) -> set[int]:
    """The accounts whose changes this session may confirm: its own, nobody else's."""
    return {actor.account_id, actor.signed_in_account_id}


@router.get("/provider/confirm-email", response_class=HTMLResponse)
def confirm_page(request: Request, actor: CurrentProvider, now: Now, code: str = "") -> Response:
    """Opening the link changes nothing (mail scanners open links): the page asks."""
    with work_at(now) as (_work, ctx):
        try:
            change = pending_change(ctx, code, _mine(actor))
        except ChangeRefused as exc:
            return _refused(request, actor, exc)
    return render_portal(
        request, "provider_confirm_email", actor, title="Confirm the new email address",
        change=change, code=code.strip()[:64],
    )  # fmt: skip


@router.post("/provider/confirm-email")
def confirm(request: Request, actor: CurrentProvider, now: Now, code: FormText = "") -> Response:
    with work_at(now) as (work, ctx):
        try:
            change = confirm_email_change(ctx, code, _mine(actor))
        except ChangeRefused as exc:
            work.rollback()
            return _refused(request, actor, exc)
        work.commit()
        target = change.target
    return RedirectResponse(CHANGED[target], status_code=303)
