"""The provider portal's own pages (events, rosters, certificates, reports) on the portal
session machinery of web/portal/: every route takes `CurrentProvider` and scopes every
query by the provider acted for."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from web.portal import PROVIDER_NAV
from web.provider import email_change, events, files, opportunities, rosters, users
from web.provider.limits import UploadLimit

NAV = [
    ("/provider/events", "Events"),
    ("/provider/reports", "Annual report"),
    ("/provider/opportunities", "Learning opportunities"),
    ("/provider/users", "Users"),
]


def install(app: FastAPI) -> None:
    router = APIRouter()
    for module in (events, rosters, files, opportunities, users, email_change):
        router.include_router(module.router)
    app.include_router(router)
    app.add_middleware(UploadLimit)
    for item in reversed(NAV):
        if item not in PROVIDER_NAV:
            PROVIDER_NAV.insert(1, item)
