"""Who gets a new task: load, out of office, never the applicant, fair ties."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from flows import jobs
from models.cases import Case
from models.messages import OutboxMessage
from models.services.staff import add_staff, set_out_of_office
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def reviewers(uow, monkeypatch):
    monkeypatch.setenv("PDU_NOW", "2026-11-20T16:00:00Z")
    with uow() as work:
        for name in ("ann", "ben", "cat"):
            add_staff(work.session, f"{name}@opi.example", name.title(), "reviewer", START)
        add_staff(work.session, "sam@opi.example", "Sam Supervisor", "supervisor", START)
        work.commit()


def assignees() -> list[str]:
    with UnitOfWork() as work:
        cases = work.session.scalars(select(Case).order_by(Case.id))
        return [case.tasks[-1].assignee.email.split("@")[0] for case in cases]


def submit(n: int, email: str | None = None) -> None:
    result = jobs.intake("preapproval", preapproval(email or f"teacher{n}@school.example"))
    assert result.ok, result.problems


def test_tasks_go_round_robin_between_equally_loaded_reviewers(reviewers):
    for n in range(6):
        submit(n)
    assert assignees() == ["ann", "ben", "cat", "ann", "ben", "cat"]


def test_the_reviewer_with_the_fewest_open_tasks_gets_the_next(reviewers):
    for n in range(3):
        submit(n)
    with UnitOfWork() as work:  # ann finishes hers
        task = work.session.scalar(select(Case).order_by(Case.id)).open_task
        task.status = "done"
        work.commit()
    submit(9)
    assert assignees()[-1] == "ann"


def test_a_reviewer_out_of_office_is_skipped(reviewers):
    with UnitOfWork() as work:
        set_out_of_office(work.session, "ann@opi.example", date(2026, 11, 19), date(2026, 11, 27))
        work.commit()
    for n in range(4):
        submit(n)
    assert "ann" not in assignees()


def test_a_reviewer_never_reviews_their_own_request(reviewers):
    with UnitOfWork() as work:
        set_out_of_office(work.session, "cat@opi.example", date(2026, 11, 1), None)
        set_out_of_office(work.session, "ben@opi.example", date(2026, 11, 1), None)
        work.commit()
    submit(0, email="ann@opi.example")  # Ann is also a licensed educator
    assert assignees() == ["sam"]  # no other reviewer left: her supervisor


def test_the_task_email_holds_the_form_the_checklist_the_due_date_and_the_commands(reviewers):
    submit(0)
    with UnitOfWork() as work:
        task_email = work.session.scalar(
            select(OutboxMessage).where(OutboxMessage.template == "review_task")
        )
        body, reply_to, to = task_email.body_text, task_email.reply_to, task_email.to_addresses
    for expected in (
        "Trauma-Informed Classrooms Institute",
        "Big Sky Learning Collaborative",
        "MT-48213",
        "Lame Deer Public Schools",
        "18",
        "10.57.215",
        "10.55.714",
        "December 2, 2026",
        "APPROVE",
        "DENY",
        "INFO",
        "REASSIGN",
    ):
        assert expected in body, expected
    assert reply_to.startswith("pdu+")
    assert to == ["ann@opi.example"]
