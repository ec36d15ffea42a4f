"""Downloads: one certificate PDF, an event's certificates as one ZIP, and the annual report
of ARM 10.57.216 (CSV with spreadsheet formulas neutralised, and PDF), as `pdu provider
report` makes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from models.services.certificate_files import event_certificates_zip, provider_certificate
from models.services.errors import UserError
from models.services.provider_events import annual_report, report_csv, report_pdf
from web.portal import CurrentProvider, Now, render_portal
from web.provider.common import work_at

router = APIRouter()
PRIVATE = {"Cache-Control": "no-store"}


def _attachment(filename: str) -> dict[str, str]:
    return PRIVATE | {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get("/provider/certificates/{number}.pdf")
def certificate_pdf(actor: CurrentProvider, now: Now, number: str) -> Response:
    with work_at(now) as (_work, ctx):
        try:
            found = provider_certificate(ctx, actor.provider_id, number)
        except UserError:  # disposed under the retention schedule: nothing to give
            raise HTTPException(404) from None
    return Response(
        found.content, media_type="application/pdf", headers=_attachment(found.filename)
    )


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(256 * 1024):
            yield chunk


@router.get("/provider/events/{event_id}/certificates.zip")
def certificates_zip(actor: CurrentProvider, now: Now, event_id: int) -> Response:
    with work_at(now) as (_work, ctx):
        filename, spool, _count = event_certificates_zip(ctx, actor.provider_id, event_id)
    return StreamingResponse(
        _chunks(spool), media_type="application/zip", headers=_attachment(filename)
    )


@router.get("/provider/reports", response_class=HTMLResponse)
def reports(request: Request, actor: CurrentProvider, now: Now, year: int = 0) -> Response:
    with work_at(now) as (work, ctx):
        chosen = year or ctx.today.year
        try:
            report = annual_report(work.session, actor.provider_number, chosen, now)
        except UserError:
            raise HTTPException(404) from None
        summary = {
            "events": len(report.events),
            "participants": report.participants,
        }
    years = list(range(ctx.today.year, ctx.today.year - 6, -1))
    return render_portal(
        request, "provider_reports", actor, title="Annual report", year=chosen, years=years,
        summary=summary,
    )  # fmt: skip


@router.get("/provider/reports/{year}.{kind}")
def report_file(actor: CurrentProvider, now: Now, year: int, kind: str) -> Response:
    if kind not in ("csv", "pdf"):
        raise HTTPException(404)
    with work_at(now) as (work, ctx):
        try:
            report = annual_report(work.session, actor.provider_number, year, now)
        except UserError:
            raise HTTPException(404) from None
        stem = f"{report.provider.number}-{year}-annual-report"
        if kind == "csv":
            content, media = report_csv(report), "text/csv; charset=utf-8"
        else:
            content, media = report_pdf(report, ctx.settings.timezone), "application/pdf"
    return Response(content, media_type=media, headers=_attachment(f"{stem}.{kind}"))
