"""`pdu case list`: newest first, 50 a page, filtered in the database, streamed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from flows import jobs
from flows.cli import main
from models.cases import Case
from models.enums import Channel
from models.services.context import ServiceContext
from models.services.review import request_info
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests import factories
from tests.e2e.forms import preapproval, provider

SUBMITTED = "2026-11-20T09:00:00-07:00"  # Friday: due Wednesday 12-02 at 17:00


def pdu_lines(capsys, *argv: str) -> list[dict]:
    capsys.readouterr()
    assert main(["case", "list", *argv, "--jsonl"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def refs(capsys, *argv: str) -> list[str]:
    return [row["reference"] for row in pdu_lines(capsys, *argv)]


@pytest.fixture
def office(uow, monkeypatch):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with uow() as work:
        factories.office_staff(work.session, start)
        work.commit()
    monkeypatch.setenv("PDU_NOW", SUBMITTED)
    made = {}
    for key, form in {
        "okafor": preapproval("jane@school.example"),
        "brook": preapproval(
            "lee@school.example",
            educator__first_name="Lee",
            educator__last_name="Brook",
            activity__title="Reading Across Montana",
        ),
        "waiting": preapproval("ann@school.example", educator__last_name="Quist"),
    }.items():
        form["retroactive_reason"] = "Late notice"
        result = jobs.intake("preapproval", form)
        assert result.ok, result.problems
        made[key] = result.reference
    result = jobs.intake("provider", provider("jdoe@bigsky.example"))
    assert result.ok, result.problems
    made["provider"] = result.reference
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == made["waiting"]))
        ctx = ServiceContext.of(work, datetime.fromisoformat(SUBMITTED))
        request_info(ctx, case, Actor(case.open_task.assignee.email, Channel.EMAIL), "Dates?")
        work.commit()
    return made


def test_search_finds_a_case_by_reference_applicant_activity_or_organisation(office, capsys):
    assert refs(capsys, "--search", office["brook"].lower()) == [office["brook"]]
    assert refs(capsys, "--search", "LEE BROOK") == [office["brook"]]
    assert refs(capsys, "--search", "ann@school") == [office["waiting"]]
    assert refs(capsys, "--search", "across montana") == [office["brook"]]
    assert refs(capsys, "--search", "Big Sky Learning") == [office["provider"]]
    assert refs(capsys, "--search", "nobody-like-this") == []


def test_filters_by_kind_assignee_waiting_overdue_and_due_date(office, capsys, monkeypatch):
    assert refs(capsys, "--kind", "provider") == [office["provider"]]
    assert refs(capsys, "--waiting") == [office["waiting"]]
    rows = pdu_lines(capsys)
    assert [r["reference"] for r in rows] == [
        office["provider"],
        office["waiting"],
        office["brook"],
        office["okafor"],
    ]  # fmt: skip  (newest first)
    assignee = next(r["assignee"] for r in rows if r["reference"] == office["brook"])
    mine = {r["reference"] for r in rows if r["assignee"] == assignee}
    assert set(refs(capsys, "--assignee", assignee.upper())) == mine
    assert refs(capsys, "--overdue") == []
    assert refs(capsys, "--due-before", "2026-12-02") == []
    assert len(refs(capsys, "--due-before", "2026-12-03")) == 4
    monkeypatch.setenv("PDU_NOW", "2026-12-02T17:00:00-07:00")
    # the waiting case's clock is stopped: never overdue
    assert set(refs(capsys, "--overdue")) == {office["okafor"], office["brook"], office["provider"]}


def test_a_bad_filter_is_one_plain_line(office, capsys):
    assert main(["case", "list", "--due-before", "next week"]) == 2
    assert capsys.readouterr().err.strip() == (
        "pdu: --due-before must be a date like 2027-06-15, not 'next week'"
    )
    assert main(["case", "list", "--after", "PA-2026-99999"]) == 3  # not found
    assert "no case with reference PA-2026-99999" in capsys.readouterr().err


@pytest.fixture
def many(uow):
    at = datetime(2026, 11, 20, 16, tzinfo=UTC)
    with uow() as work:
        work.session.execute(
            insert(Case),
            [
                {
                    "reference": f"PA-2026-{n:05d}",
                    "kind": "preapproval",
                    "status": "submitted",
                    "form": {},
                    "submission_key": f"k{n}",
                    "channel": "email",
                    "submitted_at": at,
                    "updated_at": at,
                }
                for n in range(1, 121)
            ],
        )
        work.commit()
    return [f"PA-2026-{n:05d}" for n in range(120, 0, -1)]  # newest first


def test_a_listing_is_fifty_newest_first_and_pages_by_number_or_after_a_reference(many, capsys):
    assert refs(capsys) == many[:50]
    assert refs(capsys, "--page", "2") == many[50:100]
    assert refs(capsys, "--page", "3") == many[100:]
    assert refs(capsys, "--after", many[49]) == many[50:100]
    assert refs(capsys, "--limit", "7", "--after", many[9]) == many[10:17]
    assert refs(capsys, "--all") == many


def test_the_table_says_how_to_get_the_next_page_and_json_is_one_array(many, capsys):
    assert main(["case", "list", "--limit", "3"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split() == ["REFERENCE", "KIND", "STATUS", "ASSIGNEE", "DUE"]
    assert [line.split()[0] for line in out.splitlines()[1:]] == many[:3]
    assert err.strip() == f"(more: --after {many[2]})"
    assert main(["case", "list", "--all", "--json"]) == 0
    assert [r["reference"] for r in json.loads(capsys.readouterr().out)] == many
