"""The queue and SLA summary (`pdu status`, the sweep's artifacts) on real Montana weeks."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import jobs
from models import clock
from models.cases import Case
from models.enums import Channel
from models.services import review
from models.services.context import ServiceContext
from models.services.staff import add_staff
from models.services.status import office_status, queue_table, sla_lines
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

PDU = str(Path(sys.executable).parent / "pdu")
RITA = Actor("rita@opi.example", Channel.EMAIL)
JANE = Actor("a@school.example", Channel.EMAIL)


def mst(text: str) -> str:
    """An instant in Montana winter time (UTC-7)."""
    return f"{text}-07:00"


@pytest.fixture
def office(uow, monkeypatch):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with uow() as work:
        add_staff(work.session, "rita@opi.example", "Rita Reviewer", "reviewer", start)
        add_staff(work.session, "ray@opi.example", "Ray Reviewer", "reviewer", start)
        add_staff(work.session, "sam@opi.example", "Sam Supervisor", "supervisor", start)
        add_staff(work.session, "ada@opi.example", "Ada Admin", "admin", start)
        work.commit()

    def at(instant: str) -> None:
        monkeypatch.setenv("PDU_NOW", instant)

    return at


def submit(at, instant: str, email: str) -> str:
    at(instant)
    result = jobs.intake("preapproval", preapproval(email))
    assert result.ok, result.problems
    return result.reference


def act(at, instant: str, reference: str, action, *args) -> None:
    at(instant)
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        action(ctx, case, *args)
        work.commit()


def status(at, instant: str, window_days: int = 30):
    at(instant)
    with UnitOfWork() as work:
        return office_status(ServiceContext.of(work, clock.now()), window_days)


def rows(s) -> dict[str, tuple[int, int, int, int]]:
    return {r.assignee: (r.open, r.overdue, r.due_soon, r.waiting) for r in s.queue}


def test_open_tasks_are_counted_per_assignee_as_overdue_due_soon_or_waiting(office):
    # Routing alternates between the two reviewers (fewest open tasks, then round robin).
    a = submit(office, mst("2026-11-20T09:00:00"), "a@school.example")  # due Wed 12-02
    b = submit(office, mst("2026-11-20T09:00:00"), "b@school.example")  # due Wed 12-02
    submit(office, mst("2026-11-24T09:00:00"), "c@school.example")  # due Fri 12-04
    act(office, mst("2026-11-25T09:00:00"), b, review.request_info, RITA, "Which days?")
    with UnitOfWork() as work:
        owner = {
            c.reference: c.open_task.assignee.email for c in work.session.scalars(select(Case))
        }

    s = status(office, mst("2026-12-02T17:00:00"))  # a is due now; c in 2 business days
    expected = {email: [0, 0, 0, 0] for email in ("rita@opi.example", "ray@opi.example")}
    expected["sam@opi.example"] = [0, 0, 0, 0]
    for reference, column in ((a, 1), (b, 3)):
        expected[owner[reference]][0] += 1
        expected[owner[reference]][column] += 1
    c_owner = next(e for r, e in owner.items() if r not in (a, b))
    expected[c_owner][0] += 1
    expected[c_owner][2] += 1
    assert rows(s) == {k: tuple(v) for k, v in expected.items()}
    assert (s.total.open, s.total.overdue, s.total.due_soon, s.total.waiting) == (3, 1, 1, 1)
    assert s.queue[0].overdue == 1  # the most urgent row first


def test_a_task_is_due_soon_exactly_from_its_reminder_instant(office):
    submit(office, mst("2026-11-20T09:00:00"), "a@school.example")  # reminder Mon 11-30 17:00
    assert status(office, mst("2026-11-30T16:59:59")).total.due_soon == 0
    assert status(office, mst("2026-11-30T17:00:00")).total.due_soon == 1
    later = status(office, mst("2026-12-02T17:00:00")).total
    assert (later.due_soon, later.overdue) == (0, 1)


def test_idle_staff_who_can_be_assigned_show_with_nothing_open_and_admins_do_not(office):
    s = status(office, mst("2026-11-20T09:00:00"))
    assert rows(s) == {
        "rita@opi.example": (0, 0, 0, 0),
        "ray@opi.example": (0, 0, 0, 0),
        "sam@opi.example": (0, 0, 0, 0),
    }
    assert queue_table(s)[-1] == {
        "assignee": "total",
        "role": "",
        "open": 0,
        "overdue": 0,
        "due soon": 0,
        "waiting on applicant": 0,
    }
    assert [r.decided for r in s.sla] == [0, 0, 0]
    assert sla_lines(s)[-1] == "all: nothing decided"


def test_time_waiting_on_the_applicant_is_not_counted_against_the_reviewer(office):
    # Submitted Fri 11-20 09:00 (due Wed 12-02 17:00); INFO Mon 11-23 09:00; answered Wed
    # 11-25 09:00 (2 business days paused: due moves to Fri 12-04 17:00); approved Thu
    # 12-03 09:00: 8 business days after submission (Thanksgiving excluded), 6 without
    # the wait, and on time.
    ref = submit(office, mst("2026-11-20T09:00:00"), "a@school.example")
    act(office, mst("2026-11-23T09:00:00"), ref, review.request_info, RITA, "Which days?")
    act(office, mst("2026-11-25T09:00:00"), ref, review.applicant_replied, JANE, "All", [])
    act(office, mst("2026-12-03T09:00:00"), ref, review.approve, RITA, Decimal(6))
    s = status(office, mst("2026-12-03T10:00:00"))
    [review_row, proof_row, overall] = s.sla
    assert (review_row.kind, review_row.decided, review_row.on_time) == ("review", 1, 1)
    assert review_row.share_on_time == 1.0
    assert review_row.median_business_days == 6.0
    assert (proof_row.kind, proof_row.decided, proof_row.median_business_days) == (
        "proof_review",
        0,
        None,
    )
    assert (overall.kind, overall.decided) == ("all", 1)


def test_a_late_decision_lowers_the_share_and_the_median_is_of_all_decisions(office):
    quick = submit(office, mst("2026-11-20T09:00:00"), "a@school.example")
    late = submit(office, mst("2026-11-20T09:00:00"), "b@school.example")  # due Wed 12-02
    other = submit(office, mst("2026-11-20T09:00:00"), "c@school.example")
    act(office, mst("2026-11-23T09:00:00"), quick, review.approve, RITA, Decimal(6))  # 1 day
    act(office, mst("2026-11-25T09:00:00"), other, review.deny, RITA, "Not PD.")  # 3 days
    act(office, mst("2026-12-04T09:00:00"), late, review.approve, RITA, Decimal(6))  # 9 days, late
    s = status(office, mst("2026-12-04T10:00:00"))
    assert (s.sla_all.decided, s.sla_all.on_time) == (3, 2)
    assert s.sla_all.share_on_time == pytest.approx(2 / 3)
    assert s.sla_all.median_business_days == 3.0
    assert sla_lines(s)[-1] == (
        "all: 3 decided, 2 within 7 business days (67%); median 3.0 business days to decision"
    )


def test_decisions_before_the_window_are_left_out(office):
    ref = submit(office, mst("2026-11-20T09:00:00"), "a@school.example")
    act(office, mst("2026-11-23T09:00:00"), ref, review.approve, RITA, Decimal(6))
    assert status(office, mst("2026-12-20T09:00:00"), window_days=30).sla_all.decided == 1
    assert status(office, mst("2026-12-24T09:00:00"), window_days=30).sla_all.decided == 0
    assert status(office, mst("2026-12-24T09:00:00"), window_days=60).sla_all.decided == 1


def test_pdu_status_prints_the_queue_and_the_sla_and_the_same_as_json(office, monkeypatch):
    ref = submit(office, mst("2026-11-20T09:00:00"), "a@school.example")
    submit(office, mst("2026-11-20T09:00:00"), "b@school.example")
    act(office, mst("2026-11-23T09:00:00"), ref, review.approve, RITA, Decimal(6))
    office(mst("2026-12-03T09:00:00"))
    text = subprocess.run(
        [PDU, "status"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    lines = text.splitlines()
    assert lines[0] == "Review queue, Thu 03 Dec 2026 09:00 MST"
    assert " ".join(lines[1].split()) == "ASSIGNEE ROLE OPEN OVERDUE DUE SOON WAITING ON APPLICANT"
    assert lines[2].split()[2:4] == ["1", "1"]  # the overdue reviewer first
    assert "total" in text
    assert "review: 1 decided, 1 within 7 business days (100%)" in text
    data = json.loads(
        subprocess.run(
            [PDU, "status", "--json"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    )
    assert data["at"] == "2026-12-03T09:00:00-07:00"
    assert data["total"] == {
        "assignee": "total",
        "open": 1,
        "overdue": 1,
        "due_soon": 0,
        "waiting": 0,
    }
    assert data["sla"]["all"]["decided"] == 1
    assert data["sla"]["window_days"] == 30
    assert [row["kind"] for row in data["sla"]["by_kind"]] == ["review", "proof_review"]


def test_pdu_status_refuses_a_window_of_no_days_in_one_line(office):
    done = subprocess.run([PDU, "status", "--days", "0"], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (2, "pdu: --days must be at least 1\n")


def test_pdu_status_never_imports_prefect(office):
    code = (
        "import sys; from flows.cli import main; main(['status']); "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'prefect'], 'prefect imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_daily_sla_summary_is_a_table_of_the_last_day_and_the_last_thirty(office):
    from prefect.client.orchestration import get_client
    from prefect.testing.utilities import prefect_test_harness

    from flows.sla_summary import ARTIFACT_KEY, sla_summary

    old = submit(office, mst("2026-11-20T09:00:00"), "a@school.example")
    today = submit(office, mst("2026-11-20T09:00:00"), "b@school.example")
    act(office, mst("2026-11-23T09:00:00"), old, review.approve, RITA, Decimal(6))  # 1 day
    act(office, mst("2026-12-04T09:00:00"), today, review.deny, RITA, "Not PD.")  # 9 days, late
    office(mst("2026-12-04T17:30:00"))
    with prefect_test_harness(server_startup_timeout=60):
        result = sla_summary()
        with get_client(sync_client=True) as client:
            [artifact] = client.request(
                "POST", "/artifacts/filter", json={"artifacts": {"key": {"any_": [ARTIFACT_KEY]}}}
            ).json()
            [run] = client.request("POST", "/flow_runs/filter", json={}).json()
    assert result == {
        "decided": 2,
        "on_time": 1,
        "share_on_time": 0.5,
        "median_business_days": 5.0,
    }
    table = json.loads(artifact["data"])
    summary = {(r["decisions of"], r["kind"]): r for r in table}
    assert summary["last 24 hours", "all"]["decided"] == 1
    assert summary["last 24 hours", "all"]["within 7 business days"] == 0
    assert summary["last 24 hours", "all"]["share"] == "0%"
    assert summary["last 30 days", "all"]["share"] == "50%"
    assert summary["last 30 days", "all"]["median business days"] == 5.0
    assert summary["last 30 days", "proof review"]["share"] == "n/a"
    assert "Queue now: 0 open, 0 overdue" in artifact["description"]
    assert run["name"] == "sla-2026-12-04T17:30"
