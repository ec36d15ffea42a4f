"""`/apply/pre-approval` and `/apply/provider`: the two forms, and the confirmation page.

A post runs the same intake as `pdu submit` and email (`models.services.intake.submit_form`,
channel web): every problem comes back in the same plain words, shown beside its field and
listed above the form; nothing typed is lost, whatever goes wrong (a problem, an expired
form, too many posts). A submitted form redirects to a confirmation page (reloading it sends
nothing).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models import clock
from models.enums import CaseKind
from models.forms import FormProblem
from models.services import intake
from models.settings import get_settings
from models.uow import UnitOfWork
from web.csrf import csrf_passes, set_nonce, with_form_token
from web.form_view import form_view, posted_data, unplaced
from web.pages import client_address, render
from web.security import sign, signed_ok

router = APIRouter()

FORMS = {"pre-approval": "preapproval", "provider": "provider"}
TITLES = {
    "preapproval": "Ask OPI to pre-approve professional learning",
    "provider": "Register as an approved PDU provider",
}
MAX_POST_BYTES = 256 * 1024  # five long answers of 5,000 characters fit many times over


def _form_page(
    request: Request,
    slug: str,
    data: dict[str, Any] | None = None,
    problems: list[FormProblem] | None = None,
    notice: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    kind = FORMS[slug]
    form_token, fresh = with_form_token(request)
    problems = problems or []
    page = render(
        request,
        f"apply_{kind}",
        status=status,
        headers=headers,
        title=TITLES[kind],
        errors_in_title=bool(problems),
        action=f"/apply/{slug}",
        sections=form_view(kind, data, problems),
        problems=problems,
        general_problems=unplaced(kind, problems),
        notice=notice,
        **form_token,
    )
    set_nonce(page, request, fresh)
    page.headers["Cache-Control"] = "no-store"
    return page


def _slug(slug: str) -> str:
    if slug not in FORMS:
        raise HTTPException(status_code=404)
    return slug


def _signed(fields: dict[str, str]) -> str:
    return f"{fields['reference']}|{fields['status']}|{fields['new']}"


@router.get("/apply/received", response_class=HTMLResponse, include_in_schema=False)
def received(
    request: Request, reference: str = "", status: str = "", new: str = "", sig: str = ""
) -> Response:
    fields = {"reference": reference, "status": status, "new": new}
    if not signed_ok(get_settings().secret_key, _signed(fields), sig):
        return render(
            request, "message", status=404, title="Page not found",
            message="This confirmation link is not one we made. Your reference is in the "
            "acknowledgment email we sent you.",
        )  # fmt: skip
    kind = "provider" if reference.startswith(CaseKind.PROVIDER.prefix) else "preapproval"
    return render(
        request,
        "received",
        title="Application received" if new == "1" else "Already received",
        reference=reference,
        case_status=status,
        created=new == "1",
        kind=kind,
    )


@router.get("/apply/{slug}", response_class=HTMLResponse)
def show_form(request: Request, slug: str) -> Response:
    return _form_page(request, _slug(slug))


@router.post("/apply/{slug}", response_class=HTMLResponse)
async def submit_form(request: Request, slug: str) -> Response:
    kind = FORMS[_slug(slug)]
    if int(request.headers.get("content-length") or 0) > MAX_POST_BYTES:
        return render(
            request, "message", status=413, title="Form too large",
            message="The form was larger than any real answer: please shorten the longest "
            "answers and send it again.",
        )  # fmt: skip
    posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    data = posted_data(kind, posted)
    wait = request.app.state.form_limiter.retry_after(client_address(request))
    if wait:
        minutes = max(1, (wait + 59) // 60)
        return _form_page(
            request, slug, data, status=429, headers={"Retry-After": str(wait)},
            notice=f"This address has sent many forms in a short time. Your answers are "
            f"kept below: please wait {minutes} minute{'s' if minutes > 1 else ''} and send "
            "the form again.",
        )  # fmt: skip
    if not await csrf_passes(request):
        return _form_page(
            request, slug, data, status=400,
            notice="This form had expired or was sent from another site, so nothing was "
            "submitted. Your answers are kept below: check them and send the form again.",
        )  # fmt: skip
    result = await run_in_threadpool(
        intake.submit_form, UnitOfWork(), kind, data, "web", "system", clock.now()
    )
    if not result.ok:
        return _form_page(request, slug, data, result.problems, status=422)
    assert result.reference is not None and result.status is not None
    fields = {
        "reference": result.reference,
        "status": result.status,
        "new": "1" if result.created else "0",
    }
    fields["sig"] = sign(get_settings().secret_key, _signed(fields))
    return RedirectResponse(f"/apply/received?{urlencode(fields)}", status_code=303)
