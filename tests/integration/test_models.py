"""The data model on a real database (each test runs on SQLite and on PostgreSQL)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from models.cases import Case
from models.enums import CaseStatus, Channel
from models.migrate import alembic_config
from models.services.timeline import Actor, transition
from models.workflow import Event, IllegalTransition
from tests import factories

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def test_datetimes_come_back_as_the_same_utc_instant(uow):
    mountain = timezone(timedelta(hours=-7))
    with uow() as work:
        factories.case(work.session, now=datetime(2026, 11, 20, 9, 0, tzinfo=mountain))
        work.commit()
    with uow() as work:
        loaded = work.session.scalar(select(Case))
        assert loaded.submitted_at == NOW
        assert loaded.submitted_at.tzinfo is not None
        assert loaded.submitted_at.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused_rather_than_guessed(uow):
    with uow() as work, pytest.raises(StatementError, match="naive datetime"):
        factories.case(work.session, now=datetime(2026, 11, 20, 9, 0))


def test_the_database_refuses_a_status_that_is_not_in_the_enum(uow):
    with uow() as work:
        factories.case(work.session, now=NOW)
        work.commit()
    with uow() as work, pytest.raises(IntegrityError, match="ck_cases_status_valid"):
        work.session.execute(text("UPDATE cases SET status = 'approved-ish'"))


def test_a_transition_changes_the_status_and_appends_to_the_timeline(uow):
    with uow() as work:
        case = factories.case(work.session, now=NOW)
        transition(
            case, Event.TRIAGE_REVIEW, Actor.system(), NOW, "no directory match", retain_years=5
        )
        work.commit()
    with uow() as work:
        case = work.session.scalar(select(Case))
        assert case.status is CaseStatus.IN_REVIEW
        [entry] = case.timeline
        assert (entry.action, entry.from_status, entry.to_status, entry.channel) == (
            "triage_review",
            "submitted",
            "in_review",
            Channel.SYSTEM,
        )


def test_an_illegal_transition_changes_nothing(uow):
    with uow() as work:
        factories.case(work.session, now=NOW)
        work.commit()
    with uow() as work:
        case = work.session.scalar(select(Case))
        with pytest.raises(IllegalTransition):
            transition(case, Event.APPROVE, Actor.system(), NOW, retain_years=5)
        assert case.status is CaseStatus.SUBMITTED
        assert case.timeline == []


def test_closing_a_case_sets_its_retention_date_five_years_on(uow):
    with uow() as work:
        case = factories.case(work.session, now=NOW)
        transition(case, Event.TRIAGE_DECLINE, Actor.system(), NOW, retain_years=5)
        work.commit()
        assert case.closed_at == NOW
        assert case.retain_until == datetime(2031, 11, 20, 16, 0, tzinfo=UTC)


def test_a_unit_of_work_rolls_back_what_was_not_committed(uow):
    with uow() as work:
        factories.case(work.session, now=NOW)
    with uow() as work:
        assert work.session.scalar(select(Case)) is None


def test_two_cases_cannot_share_a_reference(uow):
    with uow() as work:
        factories.case(work.session, "PA-2026-00001", now=NOW)
        with pytest.raises(IntegrityError):
            factories.case(
                work.session,
                "PA-2026-00001",
                now=NOW,
                applicant=factories.person(work.session, "other@x.example"),
            )


def test_the_migrations_match_the_models(database_url):
    command.check(alembic_config(database_url))  # raises when autogenerate finds a difference
