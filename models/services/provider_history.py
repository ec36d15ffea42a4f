"""The provider's history: what happened to its record and accounts, and who did it."""

from __future__ import annotations

from sqlalchemy import select

from models.providers import ProviderHistory
from models.services.context import ServiceContext

STAFF_CLI = "OPI staff (pdu)"  # who a `pdu provider account ...` change is recorded as


def record_provider(
    ctx: ServiceContext, provider_id: int, action: str, actor: str, detail: str = ""
) -> None:
    ctx.session.add(
        ProviderHistory(
            provider_id=provider_id, at=ctx.now, action=action, actor=actor, detail=detail[:1000]
        )
    )


def provider_history(ctx: ServiceContext, provider_id: int) -> list[ProviderHistory]:
    return list(
        ctx.session.scalars(
            select(ProviderHistory)
            .where(ProviderHistory.provider_id == provider_id)
            .order_by(ProviderHistory.at, ProviderHistory.id)
        )
    )
