"""What the provider portal's pages share: the unit of work, 404 for what is not the
provider's, and the event form's fields as the browser sends them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from fastapi import Depends, HTTPException, Request

from models.services.context import ServiceContext
from models.services.errors import NotFound, UserError
from models.uow import UnitOfWork


@contextmanager
def not_found_is_404() -> Iterator[None]:
    """Another provider's id is answered exactly as a missing one: the plain 404 page."""
    try:
        yield
    except NotFound:
        raise HTTPException(404) from None


@contextmanager
def work_at(now: datetime) -> Iterator[tuple[UnitOfWork, ServiceContext]]:
    """A unit of work, its NotFound the 404 page."""
    with not_found_is_404(), UnitOfWork() as work:
        yield work, ServiceContext.of(work, now)


def posted(*names: str) -> Any:
    """A route parameter: the posted text fields `names` as a dict ("" when absent), for
    the portal's forms of many fields (`values: dict[str, str] = posted(*FIELDS)`)."""

    async def fields(request: Request) -> dict[str, str]:
        form = await request.form()  # starlette keeps it parsed: the CSRF check read it
        return {n: value if isinstance(value := form.get(n), str) else "" for n in names}

    return Depends(fields)


def sentence(exc: Exception) -> str:
    """A use case's plain-words error as a sentence on the page."""
    text = str(exc)
    return (text[:1].upper() + text[1:]).replace(" (--location)", "")


def day(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{label} must be a date like 2027-06-15") from None


def places(value: str) -> list[str]:
    return [p.strip() for p in value.replace("\n", ";").split(";") if p.strip()]
