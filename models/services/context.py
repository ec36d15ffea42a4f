"""What every use case needs: the session, the settings, the instant, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

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

    def forget_calendar(self) -> None:
        """The office closures changed in this transaction: the next use reads them again."""
        self._calendar = None

    @property
    def calendar(self) -> BusinessCalendar:
        if self._calendar is None:
            closures = self.session.scalars(select(OfficeClosure.day)).all()
            self._calendar = BusinessCalendar(closures=closures, timezone=self.settings.timezone)
        return self._calendar
