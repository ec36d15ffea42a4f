"""`/verify` and `/verify/{code}`: what a certificate's QR code opens.

Shows what the certificate itself prints, nothing more: valid; revoked (when, why, and the
replacement); or disposed under the retention schedule (then only the number). An unknown
code is a plain 404 page. Codes carry 80 random bits, and lookups are rate-limited per
address, so they cannot be enumerated; certificate numbers are sequential, so unlike
`pdu certificate verify` this page does not accept them. The signed Open Badges
credential is downloadable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models import clock, credentials
from models.certificates import Certificate
from models.enums import CertificateStatus
from models.services.certificate_view import view_of
from models.services.context import ServiceContext
from models.services.errors import Conflict, NotFound
from models.services.issuing import credential_filename, signature_problem, stored_credential
from models.services.verification import verify
from models.uow import UnitOfWork
from templates.hours import hours_text as hours
from templates.render import date_range, date_short
from web.pages import client_address, render, too_many

router = APIRouter()

PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
MAX_CODE = 40  # longer than any code or number (typed with spaces): not worth a query


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, code: str = "") -> Response:
    if code.strip():
        return RedirectResponse(f"/verify/{quote(code.strip(), safe='')}", status_code=303)
    return render(request, "verify", title="Verify a PDU certificate", code="")


def _view(cert: Certificate, tz: ZoneInfo) -> dict[str, Any]:
    shown = view_of(cert, tz)
    view: dict[str, Any] = {"status": str(shown.status), "number": shown.number}
    if shown.disposed:
        return view  # its details were purged with the record
    return view | {
        "holder": shown.holder,
        "license_number": shown.license_number,
        "activity": shown.activity,
        "provider": shown.provider,
        "dates": date_range(shown.start_date, shown.end_date),
        "hours": hours(shown.hours),
        "issued_on": date_short(shown.issued_on),
        "imported": shown.imported_on is not None,
        "revoked_on": date_short(shown.revoked_at.date()) if shown.revoked_at else None,
        "revoked_reason": shown.revoked_reason,
        "replaced_by": (
            {"number": shown.replaced_by, "code": shown.replaced_by_code}
            if shown.replaced_by is not None
            else None
        ),
    }


def _not_found(request: Request, code: str) -> Response:
    return render(
        request, "verify_unknown", status=404, headers=PRIVATE,
        title="No certificate has this code", code=code,
    )  # fmt: skip


@contextmanager
def _lookup(request: Request, code: str) -> Iterator[tuple[UnitOfWork, Certificate | Response]]:
    """The certificate of `code` in a unit of work, or the answer to give instead (too
    many lookups from this address, or no such certificate)."""
    wait = request.app.state.verify_limiter.retry_after(client_address(request))
    with UnitOfWork() as work:
        if wait:
            yield work, too_many(request, wait)
            return
        found = verify(work.session, code).certificate if len(code) <= MAX_CODE else None
        if found is not None and found.number == code.strip().upper():
            found = None  # numbers are sequential: only the random code opens a record here
        yield work, found if found is not None else _not_found(request, code[:MAX_CODE])


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_code(request: Request, code: str) -> Response:
    with _lookup(request, code) as (work, found):
        if isinstance(found, Response):
            return found
        view = _view(found, ZoneInfo(work.settings.timezone))
        view["code"] = found.verification_code
        view["signature"] = _signature(work, found)
    return render(
        request, "verify_result", headers=PRIVATE,
        title=f"Certificate {view['number']}: {view['status']}", cert=view,
    )  # fmt: skip


def _signature(work: UnitOfWork, cert: Certificate) -> str | None:
    """`verified` when the stored credential's proof holds under the current or an earlier
    issuer key (a rotation does not break it), `not verified`, or None without one."""
    if cert.status is CertificateStatus.DISPOSED:
        return None
    try:
        signed = stored_credential(ServiceContext.of(work, clock.now()), cert)
    except (Conflict, NotFound):
        return None
    return "verified" if signature_problem(work.settings, signed) is None else "not verified"


@router.get("/verify/{code}/credential.json")
def credential(request: Request, code: str) -> Response:
    with _lookup(request, code) as (work, found):
        if isinstance(found, Response):
            return found
        try:
            signed = stored_credential(ServiceContext.of(work, clock.now()), found)
        except (Conflict, NotFound) as exc:
            return render(
                request, "message", status=410 if isinstance(exc, Conflict) else 404,
                headers=PRIVATE, title="No credential to download", message=str(exc),
            )  # fmt: skip
        filename = credential_filename(found.number)
    return Response(
        credentials.dumps(signed),
        media_type="application/json",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
