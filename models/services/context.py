"""What every use case needs: the session, the settings, the instant, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
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
            closures = self.session.info.get(_CLOSURES)
            if closures is None:
                closures = tuple(self.session.scalars(select(OfficeClosure.day)))
                self.session.info[_CLOSURES] = closures
            self._calendar = BusinessCalendar(closures=closures, timezone=self.settings.timezone)
        return self._calendar

    def reread_calendar(self) -> BusinessCalendar:
        """The calendar again from the database (closures changed in this session)."""
        self.session.info.pop(_CLOSURES, None)
        self._calendar = None
        return self.calendar


# The office closures, read once a transaction (a poll's batch acts on 25 messages, each
# with its own context, in one transaction): forgotten when it ends or any part of it is
# rolled back, so the next one reads what other processes changed meanwhile.
_CLOSURES = "pdu.office_closures"


@event.listens_for(Session, "after_transaction_end")
def _closures_end_with_the_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CLOSURES, None)


@event.listens_for(Session, "after_soft_rollback")
def _closures_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(_CLOSURES, None)
