"""`/issuer`: the issuer profile credentials point at, with every public key it signs or
signed with (current first), so a verifier outside checks credentials older than a key
rotation."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from models.services.issuing import published_issuer
from models.settings import get_settings

router = APIRouter()


@router.get("/issuer")
def issuer() -> JSONResponse:
    return JSONResponse(
        published_issuer(get_settings()),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
