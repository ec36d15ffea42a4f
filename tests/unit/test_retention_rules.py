"""Retention rules, pure: every closed case of every kind gets its retention date, the
period is configurable per record kind, and open cases are never due."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.cases import Case
from models.enums import CLOSED_STATUSES, RETENTION_KINDS, CaseKind, CaseStatus, Channel
from models.retention import EVENT, MAIL, Verdict, add_years, case_verdict, retained_until
from models.services.timeline import Actor, transition
from models.settings import SettingsError, load_settings
from models.workflow import TRANSITIONS, Event

CLOSING = datetime(2021, 11, 20, 16, tzinfo=UTC)
PERIODS = {"preapproval": 5, "provider": 10, "account_request": 3, "opportunity": 7}

# Every move of the transition table that closes a case (the purge itself aside).
CLOSING_MOVES = [
    (kind, status, event, after)
    for kind, table in TRANSITIONS.items()
    for (status, event), after in table.items()
    if after in CLOSED_STATUSES and event is not Event.PURGE
]


def test_every_closed_status_of_every_case_kind_is_reached_by_some_move():
    reached = {(kind, after) for kind, _status, _event, after in CLOSING_MOVES}
    for kind in CaseKind:
        closed = {after for k, after in reached if k is kind}
        expected = {
            CaseStatus.DECLINED,
            CaseStatus.REDIRECTED,
            CaseStatus.COMPLETED,
            CaseStatus.DENIED,
            CaseStatus.WITHDRAWN,
        } | ({CaseStatus.EXPIRED} if kind is CaseKind.PREAPPROVAL else set())
        assert closed == expected, kind


@pytest.mark.parametrize(
    ("kind", "status", "event", "after"),
    CLOSING_MOVES,
    ids=[f"{k}-{s}-{e}" for k, s, e, _a in CLOSING_MOVES],
)
def test_a_closing_move_gives_the_case_its_retention_date_by_the_period_of_its_kind(
    kind, status, event, after
):
    settings = load_settings(retention_years_by_kind=PERIODS)
    case = Case(reference="XX-2021-00001", kind=kind, status=status)
    years = settings.retention_years_for(case.kind)  # as every service passes it
    transition(case, event, Actor.system(Channel.CLI), CLOSING, retain_years=years)
    assert case.status is after and case.closed_at == CLOSING
    assert case.retain_until == CLOSING.replace(year=2021 + PERIODS[kind.value])


def test_the_period_of_a_kind_left_out_is_the_default_and_events_and_mail_have_their_own():
    settings = load_settings(retention_years=6, retention_years_by_kind={EVENT: 8})
    assert settings.retention_years_for(CaseKind.PREAPPROVAL) == 6
    assert settings.retention_years_for(EVENT) == 8
    assert settings.retention_years_for(MAIL) == 6
    assert {*CaseKind, EVENT, MAIL} == RETENTION_KINDS


def test_an_unknown_record_kind_or_a_period_under_a_year_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("PDU_RETENTION_YEARS_BY_KIND", '{"invoices": 7}')
    with pytest.raises(SettingsError, match=r"PDU_RETENTION_YEARS_BY_KIND.*invoices"):
        load_settings()
    monkeypatch.setenv("PDU_RETENTION_YEARS_BY_KIND", '{"provider": 0}')
    with pytest.raises(SettingsError, match="at least 1 year"):
        load_settings()
    monkeypatch.setenv("PDU_RETENTION_YEARS_BY_KIND", "provider=10")
    with pytest.raises(SettingsError, match="PDU_RETENTION_YEARS_BY_KIND: not valid JSON"):
        load_settings()


def test_the_periods_per_kind_come_from_the_toml_file_too(tmp_path, monkeypatch):
    config = tmp_path / "pdu.toml"
    config.write_text("[pdu]\nretention_years_by_kind = { provider = 10, event = 7 }\n")
    monkeypatch.setenv("PDU_CONFIG", str(config))
    settings = load_settings()
    assert (settings.retention_years_for("provider"), settings.retention_years_for("event")) == (
        10,
        7,
    )


def test_a_case_closed_on_2021_11_20_is_due_strictly_after_its_fifth_anniversary():
    until = add_years(CLOSING, 5)
    day = datetime(2026, 11, 19, 16, tzinfo=UTC)
    assert case_verdict(CaseStatus.DENIED, until, None, day) is Verdict.RETAINED
    assert case_verdict(CaseStatus.DENIED, until, None, until) is Verdict.RETAINED
    assert case_verdict(CaseStatus.DENIED, until, None, day.replace(day=21)) is Verdict.PURGEABLE
    assert case_verdict(CaseStatus.DENIED, until, "Litigation", day.replace(day=21)) is (
        Verdict.HELD
    )


@pytest.mark.parametrize("status", sorted(set(CaseStatus) - CLOSED_STATUSES))
def test_an_open_case_is_never_due_however_old(status):
    assert case_verdict(status, None, None, datetime(2099, 1, 1, tzinfo=UTC)) is Verdict.OPEN


def test_a_lengthened_period_protects_cases_already_closed_and_a_shortened_one_does_not_hurry():
    given = add_years(CLOSING, 5)
    assert retained_until(CLOSING, given, 10) == add_years(CLOSING, 10)
    assert retained_until(CLOSING, given, 3) == given


def test_29_february_plus_five_years_is_28_february():
    leap = datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert add_years(leap, 5) == datetime(2029, 2, 28, 12, tzinfo=UTC)
