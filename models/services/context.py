"""What every use case needs: the session, the settings, the instant, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from models.calendar import BusinessCalendar
from models.people import OfficeClosure
from models.settings import Settings
from models.uow import UnitOfWork


@dataclass
class ServiceContext:
    session: Session
    settings: Settings
    now: datetime
    _calendar: BusinessCalendar | None = field(default=None, repr=False)

    @classmethod
    def of(cls, work: UnitOfWork, now: datetime) -> ServiceContext:
        return cls(work.session, work.settings, now)

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
