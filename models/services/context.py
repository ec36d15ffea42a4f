"""What every use case needs: the session, the settings, the instant, the calendar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from models.calendar import BusinessCalendar
from models.people import OfficeClosure
from models.settings import Settings
from models.uow import UnitOfWork


class NeedsSavepoints(Exception):
    """Something failed in a pass without savepoints: the caller rolls the whole pass back
    and does it again with them (a poll's batch: models/services/email/receive.py)."""


@contextmanager
def failures_undo_the_pass() -> Iterator[None]:
    """A failure in a pass without savepoints can only be undone with the whole pass: it
    leaves as NeedsSavepoints, which nothing on the way up takes for an outcome (a refused
    command, a message's internal error)."""
    try:
        yield
    except (OperationalError, InterfaceError, NeedsSavepoints):
        raise  # the database went away (the caller's own answer to that), or already said
    except Exception as exc:
        raise NeedsSavepoints(type(exc).__name__) from exc


@dataclass
class ServiceContext:
    session: Session
    settings: Settings
    now: datetime
    _calendar: BusinessCalendar | None = field(default=None, repr=False)
    savepoints: bool = True

    @classmethod
    def of(cls, work: UnitOfWork, now: datetime, *, savepoints: bool = True) -> ServiceContext:
        return cls(work.session, work.settings, now, savepoints=savepoints)

    def all_or_nothing(self) -> AbstractContextManager[Any]:
        """What is done inside all stays or is all undone: a savepoint, or without them (a
        batch's first pass: each costs a flush on the way in and one on the way out) the
        whole pass, undone by its caller (`failures_undo_the_pass`)."""
        return self.session.begin_nested() if self.savepoints else failures_undo_the_pass()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @property
    def calendar(self) -> BusinessCalendar:
        if self._calendar is None:
            read_once = transaction_cache(self.session)
            closures = read_once.get(_CLOSURES)
            if closures is None:
                closures = tuple(self.session.scalars(select(OfficeClosure.day)))
                read_once[_CLOSURES] = closures
            self._calendar = BusinessCalendar(closures=closures, timezone=self.settings.timezone)
        return self._calendar

    def reread_calendar(self) -> BusinessCalendar:
        """The calendar again from the database (closures changed in this session)."""
        transaction_cache(self.session).pop(_CLOSURES, None)
        self._calendar = None
        return self.calendar


# What a transaction reads once for many messages (a poll's batch acts on 25, each with
# its own context, in one transaction): the office closures; the batch's reply tokens and
# cases (models/services/email/batch_reads.py). Forgotten when the transaction ends or any
# part of it is rolled back, so the next one reads what other processes changed meanwhile.
_READ_ONCE = "pdu.read_once"
_CLOSURES = "office_closures"


def transaction_cache(session: Session) -> dict[str, Any]:
    return session.info.setdefault(_READ_ONCE, {})  # type: ignore[no-any-return]


@event.listens_for(Session, "after_transaction_end")
def _read_once_ends_with_the_transaction(
    session: Session, transaction: SessionTransaction
) -> None:
    if transaction.parent is None:
        session.info.pop(_READ_ONCE, None)


@event.listens_for(Session, "after_soft_rollback")
def _read_once_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(_READ_ONCE, None)
