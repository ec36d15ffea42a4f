"""Shared by the educator tests: Jane's pre-approval request, and the reviewer's decisions
made through the same use cases the email channel calls."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from flows import jobs
from models import clock
from models.cases import Case
from models.enums import Channel
from models.services import review
from models.services.context import ServiceContext
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

REVIEWER = "rita@opi.example"
JANE = "jane@school.example"
# A minimal real PDF and PNG (their first bytes are what the checks read).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ZIP_BYTES = b"PK\x03\x04" + b"\x00" * 64


def submit(email: str = JANE, **changes: Any) -> str:
    result = jobs.intake("preapproval", preapproval(email, **changes))
    assert result.reference, result
    return result.reference


def decide(reference: str, verb: str, argument: str = "", actor: str = REVIEWER) -> None:
    """The reviewer's command, as `_dispatch` applies a reply by email."""
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        who = Actor(actor, Channel.EMAIL)
        if verb == "APPROVE":
            review.approve(ctx, case, who, Decimal(argument) if argument else None)
        elif verb == "INFO":
            review.request_info(ctx, case, who, argument)
        elif verb == "REASSIGN":
            review.reassign(ctx, case, who, argument)
        elif verb == "ACCEPT":
            review.accept_proof(ctx, case, who)
        else:
            raise AssertionError(verb)
        work.commit()
