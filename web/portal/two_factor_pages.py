"""The signed-in account's page, and setting up its second factor (TOTP + recovery codes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.email_changes import ChangeTarget
from models.services.context import ServiceContext
from models.services.email_changes import current_address
from models.services.errors import UserError
from models.services.two_factor import (
    begin_enrolment,
    confirm_enrolment,
    renew_recovery_codes,
)
from models.settings import get_settings
from models.uow import UnitOfWork
from templates.qr import qr_data_uri
from web.portal.actors import PROVIDER_HOME, FormText, Now, SignedInProvider
from web.portal.render import render_portal

router = APIRouter()
NOTICES = {
    "password-changed": "Your password is changed. Everywhere else you were signed in has "
    "been signed out.",
    "email-changed": "Your email address is changed; the old address is told.",
}
QR_SCALE = 5  # pixels a module: sharp on a phone's camera from a screen


def _required(signed_in: SignedInProvider) -> bool:
    return get_settings().portal_require_2fa and signed_in.is_manager


@router.get("/provider/account", response_class=HTMLResponse)
def account_page(
    request: Request, signed_in: SignedInProvider, now: Now, notice: str = ""
) -> Response:
    with UnitOfWork() as work:
        email = current_address(
            ServiceContext.of(work, now), signed_in.account_id, ChangeTarget.ACCOUNT
        )
    return render_portal(
        request, "provider_account", signed_in, title="Your account", email=email,
        notice=NOTICES.get(notice, ""), required_2fa=_required(signed_in),
    )  # fmt: skip


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrol_page(
    request: Request, signed_in: SignedInProvider, now: Now, errors: dict[str, str], status: int
) -> Response:
    with UnitOfWork() as work:
        try:
            enrolment = begin_enrolment(ServiceContext.of(work, now), signed_in.account_id)
        except UserError:
            return RedirectResponse("/provider/account", status_code=303)
        work.commit()
    return render_portal(
        request, "provider_two_factor", signed_in, status=status,
        title="Set up a second factor", errors_in_title=bool(errors), errors=errors,
        qr=qr_data_uri(enrolment.provisioning_uri, scale=QR_SCALE),
        secret=_grouped(enrolment.secret),
        required_2fa=_required(signed_in),
    )  # fmt: skip


@router.get("/provider/account/two-factor", response_class=HTMLResponse)
def enrol_page(request: Request, signed_in: SignedInProvider, now: Now) -> Response:
    return _enrol_page(request, signed_in, now, {}, 200)


def _codes_page(request: Request, signed_in: SignedInProvider, codes: list[str]) -> Response:
    return render_portal(
        request, "provider_recovery_codes", signed_in, title="Your recovery codes",
        codes=codes, next=PROVIDER_HOME if signed_in.provider else "/provider/account",
    )  # fmt: skip


@router.post("/provider/account/two-factor")
def enrol(request: Request, signed_in: SignedInProvider, now: Now, code: FormText = "") -> Response:
    with UnitOfWork() as work:
        try:
            codes = confirm_enrolment(ServiceContext.of(work, now), signed_in.account_id, code)
        except UserError as exc:
            work.rollback()
            return _enrol_page(request, signed_in, now, {"code": str(exc)}, 422)
        work.commit()
    return _codes_page(request, signed_in, codes)


@router.post("/provider/account/two-factor/recovery-codes")
def recovery_codes(request: Request, signed_in: SignedInProvider, now: Now) -> Response:
    if not signed_in.has_second_factor:
        return RedirectResponse("/provider/account", status_code=303)
    with UnitOfWork() as work:
        codes = renew_recovery_codes(ServiceContext.of(work, now), signed_in.account_id)
        work.commit()
    return _codes_page(request, signed_in, codes)
