"""`/providers`: the approved provider directory, searchable and filterable by kind.

`/providers/results` answers the same search as a fragment of the page, which the
directory's script swaps in as people type (without JavaScript the search form reloads
the page). The apply pages embed the same search: "is your provider already approved?"
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from models import clock
from models.enums import ProviderKind
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.directory import list_providers
from models.uow import UnitOfWork
from web.form_view import choice_label
from web.pages import render

router = APIRouter()

KINDS = [(k.value, choice_label(k.value)) for k in ProviderKind]
MAX_QUERY = 200


def _row(p: Provider) -> dict[str, Any]:
    return {
        "number": p.number,
        "name": p.name,
        "kind": choice_label(str(p.kind)),
        "contact_name": p.contact_name,
        "email": p.contact_email,
        "phone": p.contact_phone,
        "address": p.address,
        "website": p.website,
    }


def search(q: str, kind: str) -> tuple[str, str, list[dict[str, Any]]]:
    q = " ".join(q.split())[:MAX_QUERY]
    kind = kind if kind in {k for k, _ in KINDS} else ""
    with UnitOfWork() as work:
        today = ServiceContext.of(work, clock.now()).today
        found = list_providers(work.session, q or None, kind or None, today=today)
        rows = [_row(p) for p in found]
    return q, kind, rows


@router.get("/providers", response_class=HTMLResponse)
def directory(request: Request, q: str = "", kind: str = "") -> Response:
    q, kind, rows = search(q, kind)
    return render(
        request, "providers", title="Approved PDU providers",
        q=q, kind=kind, kinds=KINDS, providers=rows,
    )  # fmt: skip


@router.get("/providers/results", response_class=HTMLResponse)
def results(request: Request, q: str = "", kind: str = "", compact: bool = False) -> Response:
    q, kind, rows = search(q, kind)
    return render(
        request, "_provider_results", q=q, kind=kind, providers=rows, compact=compact,
    )  # fmt: skip
