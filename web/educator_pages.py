"""`/me/...`: a signed-in educator's requests, certificates and renewal progress.

Every route takes `CurrentEducator` and passes its address to the use case, which finds
records only among the educator's own: another person's reference, certificate number or
license number answers the same 404 as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from models import credentials
from models.certificates import Certificate
from models.data_dir import certificate_path
from models.enums import CertificateStatus
from models.services.certificate_view import CertificateView, view_of
from models.services.context import ServiceContext
from models.services.educator_cases import (
    MyCase,
    Upload,
    applicant_view,
    my_case,
    my_cases,
    reply_on_web,
    withdraw_on_web,
)
from models.services.educator_records import (
    my_certificate,
    my_certificate_page,
    my_licenses,
    my_progress,
    prefilled_preapproval,
)
from models.services.errors import NotFound, UserError
from models.services.issuing import credential_filename, stored_credential, verification_url
from models.settings import get_settings
from models.transcript import RENEWAL_UNITS
from models.uow import UnitOfWork
from templates.hours import hours_text as hours
from templates.render import date_range, date_short
from web.apply import prefilled_form
from web.pager import pager
from web.portal import CurrentEducator, EducatorActor, Now, render_portal

router = APIRouter()

MAX_FILES = 5


def _not_found() -> HTTPException:
    return HTTPException(status_code=404)


def _cases(email: str, now: datetime) -> list[MyCase]:
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, now)
        return [applicant_view(ctx, case) for case in my_cases(work.session, email)]


@router.get("/me/home", response_class=HTMLResponse)
def requests_page(request: Request, actor: CurrentEducator, now: Now) -> Response:
    cases = _cases(actor.email, now)
    return render_portal(request, "me_requests", actor, title="Your requests", cases=cases)


def _case(email: str, reference: str, now: datetime) -> MyCase:
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, now)
        try:
            return applicant_view(ctx, my_case(work.session, email, reference))
        except NotFound:
            raise _not_found() from None


def _case_page(
    request: Request, actor: EducatorActor, case: MyCase, status: int = 200, **context: Any
) -> HTMLResponse:
    context.setdefault("problem", "")
    context.setdefault("done", "")
    context.setdefault("answer", "")
    return render_portal(
        request, "me_request", actor, status=status, title=f"{case.kind} {case.reference}",
        errors_in_title=bool(context["problem"]), case=case,
        max_megabytes=get_settings().max_attachment_bytes // 2**20, **context,
    )  # fmt: skip


DONE = {
    "answer": "Your answer was sent to the reviewer. The seven business days run again.",
    "proof": "Your proof of completion was sent. A reviewer checks it within seven business "
    "days; the certificate comes by email and appears under your certificates.",
    "withdraw": "Your request is withdrawn. We sent you an email to confirm it.",
}


@router.get("/me/requests/{reference}", response_class=HTMLResponse)
def request_page(
    request: Request, reference: str, actor: CurrentEducator, now: Now, done: str = ""
) -> Response:
    case = _case(actor.email, reference, now)
    return _case_page(request, actor, case, done=DONE.get(done, ""))


async def _uploads(files: list[UploadFile]) -> list[Upload]:
    """At most MAX_FILES files, each read to one byte past the cap (the check refuses it)."""
    cap = get_settings().max_attachment_bytes + 1
    uploads = []
    for file in files[:MAX_FILES]:
        data = await file.read(cap)
        if data:
            uploads.append(Upload(file.filename or "", file.content_type or "", data))
    return uploads


def _reply(email: str, reference: str, text: str, uploads: list[Upload], now: datetime) -> str:
    with UnitOfWork() as work:
        try:
            done = reply_on_web(ServiceContext.of(work, now), email, reference, text, uploads)
        except NotFound:
            raise _not_found() from None
        work.commit()
        return done.action


@router.post("/me/requests/{reference}/reply", response_class=HTMLResponse)
async def reply(
    request: Request,
    reference: str,
    actor: CurrentEducator,
    now: Now,
    answer: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI's default)
) -> Response:
    uploads = await _uploads(files)
    try:
        action = await run_in_threadpool(_reply, actor.email, reference, answer, uploads, now)
    except UserError as problem:
        case = await run_in_threadpool(_case, actor.email, reference, now)
        return _case_page(request, actor, case, status=422, problem=str(problem), answer=answer)
    done = "answer" if action == "reply" else "proof"
    return RedirectResponse(f"/me/requests/{reference.upper()}?done={done}", status_code=303)


@router.get("/me/requests/{reference}/withdraw", response_class=HTMLResponse)
def withdraw_page(request: Request, reference: str, actor: CurrentEducator, now: Now) -> Response:
    case = _case(actor.email, reference, now)
    if not case.can_withdraw:
        return RedirectResponse(f"/me/requests/{case.reference}", status_code=303)
    return render_portal(
        request, "me_withdraw", actor, title=f"Withdraw {case.reference}?", case=case
    )  # fmt: skip


def _withdraw(email: str, reference: str, now: datetime) -> None:
    with UnitOfWork() as work:
        try:
            withdraw_on_web(ServiceContext.of(work, now), email, reference)
        except NotFound:
            raise _not_found() from None
        work.commit()


@router.post("/me/requests/{reference}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, reference: str, actor: CurrentEducator, now: Now) -> Response:
    try:
        _withdraw(actor.email, reference, now)
    except UserError as problem:
        case = _case(actor.email, reference, now)
        return _case_page(request, actor, case, status=409, problem=str(problem))
    return RedirectResponse(f"/me/requests/{reference.upper()}?done=withdraw", status_code=303)


@router.get("/me/new-request", response_class=HTMLResponse)
def new_request(request: Request, actor: CurrentEducator) -> Response:
    with UnitOfWork() as work:
        data = prefilled_preapproval(work.session, actor.email)
    return prefilled_form(request, data)


# --- Certificates ---------------------------------------------------------------------------


def _certificate_row(cert: CertificateView, public_url: str) -> dict[str, Any]:
    return {
        "number": cert.number,
        "status": str(cert.status),
        "disposed": cert.disposed,
        "activity": cert.activity,
        "provider": cert.provider or "OPI pre-approval",
        "dates": date_range(cert.start_date, cert.end_date),
        "hours": hours(cert.hours),
        "license_number": cert.license_number,
        "revoked_on": date_short(cert.revoked_at) if cert.revoked_at else None,
        "revoked_reason": cert.revoked_reason,
        "replaced_by": cert.replaced_by,
        "imported": cert.imported_on is not None,
        "verify_url": verification_url(public_url, cert.verification_code),
    }


CERTIFICATES_PER_PAGE = 25  # a certificate's entry is tall; most educators have fewer


@router.get("/me/certificates", response_class=HTMLResponse)
def certificates_page(request: Request, actor: CurrentEducator, page: int = 1) -> Response:
    settings = get_settings()
    tz = ZoneInfo(settings.timezone)
    with UnitOfWork() as work:
        shown = my_certificate_page(work.session, actor.email, page, CERTIFICATES_PER_PAGE)
        rows = [_certificate_row(view_of(c, tz), settings.public_url) for c in shown.rows]
    return render_portal(
        request, "me_certificates", actor, title="Your certificates", certificates=rows,
        pager=pager("/me/certificates", {}, shown.number, shown.pages, shown.total),
    )  # fmt: skip


def _mine(email: str, number: str) -> Certificate:
    with UnitOfWork() as work:
        try:
            found = my_certificate(work.session, email, number)
        except NotFound:
            raise _not_found() from None
        if found.status is CertificateStatus.DISPOSED:
            raise _not_found()
        work.session.expunge(found)
        return found


@router.get("/me/certificates/{number}.pdf")
def certificate_pdf(number: str, actor: CurrentEducator) -> Response:
    cert = _mine(actor.email, number)
    path = certificate_path(get_settings().data_dir, cert.number)
    if not path.exists():
        raise _not_found()
    return FileResponse(
        path, media_type="application/pdf", filename=f"{cert.number}.pdf",
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip


@router.get("/me/certificates/{number}/credential.json")
def certificate_credential(number: str, actor: CurrentEducator, now: Now) -> Response:
    cert = _mine(actor.email, number)
    with UnitOfWork() as work:
        try:
            signed = stored_credential(ServiceContext.of(work, now), cert)
        except UserError:
            raise _not_found() from None
    return Response(
        credentials.dumps(signed),
        media_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{credential_filename(cert.number)}"',
        },
    )


# --- Renewal progress -----------------------------------------------------------------------


@router.get("/me/progress", response_class=HTMLResponse)
def progress_page(
    request: Request, actor: CurrentEducator, now: Now, license: str = ""
) -> Response:
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, now)
        licenses = my_licenses(work.session, actor.email)
        chosen = license or (licenses[0] if licenses else "")
        if not chosen:
            return render_portal(
                request, "me_progress", actor, title="Renewal progress", licenses=[],
                license="", progress=None,
            )  # fmt: skip
        try:
            found = my_progress(work.session, actor.email, chosen, ctx.today)
        except NotFound:
            raise _not_found() from None
    total = min(found.total, RENEWAL_UNITS)
    progress = {
        "total": hours(found.total),
        "required": hours(RENEWAL_UNITS),
        "remaining": hours(found.remaining),
        "complete": found.complete,
        "capped": hours(total),
        "cycle": f"{date_short(found.cycle.start)} – {date_short(found.cycle.end)}",
        "lines": [
            {
                "number": line.entry.number,
                "activity": line.entry.activity_title,
                "provider": line.entry.provider or "OPI pre-approval",
                "dates": date_range(line.entry.start_date, line.entry.end_date),
                "hours": hours(line.entry.hours),
                "status": line.entry.status,
                "counts": line.counts,
                "in_cycle": line.in_cycle,
            }
            for line in found.lines
        ],
    }
    return render_portal(
        request, "me_progress", actor, title="Renewal progress", licenses=licenses,
        license=found.license_number, progress=progress,
    )  # fmt: skip
