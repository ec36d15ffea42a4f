"""A provider's standing: approved, suspended, withdrawn, or told to reapply by a date.

Suspended and withdrawn providers leave the public directory and listings, cannot report
events or issue certificates (those already issued stay valid) and are no longer a
redirect target of triage. A must-reapply provider keeps working until its date; its new
registration is matched to its entry and keeps its number (models/services/registration).
The provider is told by email each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.enums import ProviderStatus
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.directory import get_provider
from models.services.errors import Conflict, UserError
from models.services.outbox import enqueue

MAX_REASON = 500


@dataclass(frozen=True)
class StatusChange:
    number: str
    name: str
    status: str
    until: date | None
    told: str


def _status(value: str) -> ProviderStatus:
    try:
        return ProviderStatus(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        choices = ", ".join(s.value for s in ProviderStatus)
        raise UserError(f"unknown provider status {value!r}: choose one of {choices}") from None


def set_provider_status(
    ctx: ServiceContext, provider_ref: str, status: str, until: date | None, reason: str
) -> StatusChange:
    provider = get_provider(ctx.session, provider_ref)
    new = _status(status)
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("a status change needs a reason (--reason TEXT): the provider reads it")
    if len(reason) > MAX_REASON:
        raise UserError(f"the reason is longer than {MAX_REASON} characters")
    if new is ProviderStatus.MUST_REAPPLY:
        if until is None:
            raise UserError("must_reapply needs --until DATE: the last day it may work as is")
        if until < ctx.today:
            raise UserError(f"--until {until.isoformat()} is in the past")
    elif until is not None:
        raise UserError("--until goes with must_reapply only")
    if new is provider.status and until == provider.status_until:
        raise Conflict(f"{provider.number} is already {new.value.replace('_', ' ')}")
    provider.status, provider.status_until, provider.status_reason = new, until, reason
    _tell(ctx, provider, reason)
    return StatusChange(provider.number, provider.name, new.value, until, provider.contact_email)


def _tell(ctx: ServiceContext, provider: Provider, reason: str) -> None:
    enqueue(
        ctx.session,
        ctx.settings,
        template="provider_status",
        to=[provider.contact_email],
        now=ctx.now,
        context={
            "provider_name": provider.name,
            "provider_number": provider.number,
            "contact_name": provider.contact_name,
            "status": provider.status.value,
            "until": provider.status_until,
            "reason": reason,
            "apply_url": f"{ctx.settings.public_url.rstrip('/')}/apply/provider",
            "expects_reply": False,
        },
    )


def require_working(provider: Provider, today: date) -> None:
    """Reporting events and issuing certificates: only a provider in good standing."""
    if not provider.may_work(today):
        state = provider.status.value.replace("_", " ")
        if provider.status is ProviderStatus.MUST_REAPPLY:
            state = f"past its reapplication date ({provider.status_until})"
        raise UserError(
            f"{provider.number} {provider.name} is {state}: it cannot report events or issue "
            "certificates"
        )
