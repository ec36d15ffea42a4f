"""Staff away, back, leaving and their roles: work moves to someone who is there."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from flows import jobs
from models import clock
from models.cases import Case
from models.enums import Channel
from models.messages import OutboxMessage, ReplyToken
from models.services.absence import deactivate, mark_away, mark_back
from models.services.context import ServiceContext
from models.services.staff import add_staff, find_staff, set_staff, staff_by_address
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests.integration.test_cli import pdu
from tests.integration.test_status import mst, submit

CLI = Actor.system(Channel.CLI)


@pytest.fixture
def office(uow, monkeypatch):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with uow() as work:
        rita = add_staff(work.session, "rita@opi.example", "Rita Reviewer", "reviewer", start)
        sam = add_staff(work.session, "sam@opi.example", "Sam Supervisor", "supervisor", start)
        add_staff(work.session, "ada@opi.example", "Ada Admin", "admin", start)
        rita.supervisor = sam
        work.commit()

    def at(instant: str) -> None:
        monkeypatch.setenv("PDU_NOW", instant)

    return at


def assignees() -> dict[str, str]:
    with UnitOfWork() as work:
        return {
            c.reference: c.open_task.assignee.email
            for c in work.session.scalars(select(Case))
            if c.open_task is not None
        }


def sent(template: str) -> list[list[str]]:
    with UnitOfWork() as work:
        return [
            m.to_addresses
            for m in work.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(OutboxMessage.id)
            )
        ]


def live_tokens(address: str) -> int:
    with UnitOfWork() as work:
        now = clock.now()
        return len(
            work.session.scalars(
                select(ReplyToken).where(
                    ReplyToken.recipient == address,
                    ReplyToken.used_at.is_(None),
                    ReplyToken.expires_at > now,
                )
            ).all()
        )


def test_away_hands_over_only_tasks_due_before_the_return_and_tells_the_supervisor_once(office):
    early = submit(office, mst("2026-11-30T09:00:00"), "one@school.example")  # due 12-09
    late = submit(office, mst("2026-12-07T09:00:00"), "two@school.example")  # due 12-16
    office(mst("2026-12-08T09:00:00"))
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        rita = find_staff(work.session, "rita@opi.example")
        report = mark_away(ctx, rita, date(2026, 12, 11), CLI, how="the command line")
        work.commit()
    assert report.moved == [(early, "sam@opi.example")]
    assert assignees() == {early: "sam@opi.example", late: "rita@opi.example"}
    assert sent("handed_over") == [["sam@opi.example"]]
    assert sent("staff_away") == [["sam@opi.example"]]
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == early))
        [entry] = [e for e in case.timeline if e.action == "reassigned"]
        assert entry.detail == (
            "from rita@opi.example to sam@opi.example: rita@opi.example is away until 2026-12-11"
        )
    # Saying it again (a second auto-reply, the command run twice) changes nothing.
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        rita = find_staff(work.session, "rita@opi.example")
        again = mark_away(ctx, rita, date(2026, 12, 11), CLI, how="the command line")
        work.commit()
    assert not again.changed
    assert sent("staff_away") == [["sam@opi.example"]]


def test_a_delegate_takes_the_work_and_new_tasks_avoid_the_absent_reviewer(office):
    with UnitOfWork() as work:
        add_staff(work.session, "ben@opi.example", "Ben Reviewer", "reviewer", clock.now())
        work.commit()
    first = submit(office, mst("2026-11-30T09:00:00"), "one@school.example")
    holder = assignees()[first]
    other = "ben@opi.example" if holder == "rita@opi.example" else "rita@opi.example"
    office(mst("2026-12-01T09:00:00"))
    done = pdu("staff", "away", holder, "--until", "2026-12-18", "--delegate", other, "--json")
    assert json.loads(done.stdout)["moved"] == [[first, other]]
    second = submit(office, mst("2026-12-02T09:00:00"), "two@school.example")
    assert assignees()[second] == other  # routing skips whoever is away
    listed = {r["email"]: r for r in json.loads(pdu("staff", "list", "--json").stdout)}
    assert listed[holder]["away_until"] == "2026-12-18"
    assert listed[holder]["delegate"] == other
    assert listed[other]["open"] == 2
    pdu("staff", "back", holder)
    listed = {r["email"]: r for r in json.loads(pdu("staff", "list", "--json").stdout)}
    assert (listed[holder]["away_until"], listed[holder]["delegate"]) == (None, None)


def test_staff_list_counts_open_due_soon_and_overdue_tasks(office):
    submit(office, mst("2026-11-20T09:00:00"), "one@school.example")  # due 12-02 17:00
    submit(office, mst("2026-11-24T09:00:00"), "two@school.example")  # due 12-04 17:00
    submit(office, mst("2026-12-01T09:00:00"), "three@school.example")  # due 12-10 17:00
    office(mst("2026-12-03T09:00:00"))
    rows = {r["email"]: r for r in json.loads(pdu("staff", "list", "--json").stdout)}
    assert {k: rows["rita@opi.example"][k] for k in ("open", "due_soon", "overdue")} == {
        "open": 3,
        "due_soon": 1,
        "overdue": 1,
    }
    assert rows["rita@opi.example"]["supervisor"] == "sam@opi.example"


def test_deactivation_hands_every_open_task_on_and_retires_the_old_reply_addresses(office):
    refs = [submit(office, mst("2026-11-30T09:00:00"), f"t{n}@school.example") for n in range(2)]
    assert live_tokens("rita@opi.example") == 2
    office(mst("2026-12-01T09:00:00"))
    done = pdu("staff", "deactivate", "rita@opi.example", "--to", "sam@opi.example", "--json")
    assert json.loads(done.stdout)["moved"] == [[r, "sam@opi.example"] for r in refs]
    assert assignees() == dict.fromkeys(refs, "sam@opi.example")
    assert sent("handed_over") == [["sam@opi.example"], ["sam@opi.example"]]
    assert live_tokens("rita@opi.example") == 0
    # New work never reaches her again.
    third = submit(office, mst("2026-12-01T10:00:00"), "t9@school.example")
    assert assignees()[third] == "sam@opi.example"
    pdu("staff", "activate", "rita@opi.example")
    assert json.loads(pdu("staff", "list", "--json").stdout)[1]["active"] is True


def test_deactivation_mid_ladder_sends_no_later_step_to_the_old_address(office):
    ref = submit(office, mst("2026-11-20T09:00:00"), "one@school.example")  # due 12-02 17:00
    office(mst("2026-11-30T17:00:00"))
    assert jobs.sweep().fired == {"reminder": 1}
    office(mst("2026-12-01T09:00:00"))
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        ben = add_staff(work.session, "ben@opi.example", "Ben", "reviewer", clock.now())
        deactivate(ctx, find_staff(work.session, "rita@opi.example"), CLI, ben)
        work.commit()
    office(mst("2026-12-07T09:00:00"))
    assert jobs.sweep().fired == {"escalation": 1, "reassignment": 1}
    with UnitOfWork() as work:
        since = datetime.fromisoformat(mst("2026-11-30T17:00:01"))
        later = [
            (m.template, m.to_addresses + m.cc_addresses)
            for m in work.session.scalars(
                select(OutboxMessage).where(OutboxMessage.created_at >= since)
            )
        ]
    assert {template for template, _ in later} >= {"handed_over", "escalation", "reassigned"}
    assert all("rita@opi.example" not in to for _, to in later)
    assert assignees()[ref] == "sam@opi.example"


def test_set_changes_role_and_supervisor_and_refuses_nonsense_in_one_line(office):
    with UnitOfWork() as work:
        rita = set_staff(work.session, "rita@opi.example", role="supervisor")
        assert rita.role == "supervisor"
        work.commit()
    done = pdu("staff", "set", "rita@opi.example", "--supervisor", "ada@opi.example", "--json")
    assert json.loads(done.stdout)["supervisor"] == "ada@opi.example"
    for args, words in [
        (("set", "rita@opi.example", "--supervisor", "rita@opi.example"), "own supervisor"),
        (("set", "nobody@opi.example", "--role", "admin"), "no staff member"),
        (("away", "rita@opi.example", "--until", "28/12/2026"), "not a date like"),
        (("away", "rita@opi.example", "--until", "2020-01-01"), "in the past"),
        (("deactivate", "rita@opi.example", "--to", "rita@opi.example"), "someone else"),
        (("activate", "rita@opi.example"), "already active"),
    ]:
        done = pdu("staff", *args, check=False)
        expected = {"no staff member": 3, "already active": 4}.get(words, 2)  # not found, refused
        assert done.returncode == expected, args
        assert done.stderr.startswith("pdu: ") and words in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_back_is_harmless_when_already_at_work(office):
    with UnitOfWork() as work:
        assert not mark_back(find_staff(work.session, "sam@opi.example")).changed


def test_the_staff_list_read_once_a_transaction_shows_its_changes_and_finds_one_added_since(
    office,
):
    """A poll's batch asks "who is this?" for every message; the list is read once."""
    with UnitOfWork() as work:
        rita = staff_by_address(work.session, "rita@opi.example")
        assert rita is not None and rita.active
        find_staff(work.session, "rita@opi.example").active = False  # the same row
        assert staff_by_address(work.session, "rita@opi.example").active is False
        add_staff(work.session, "nina@opi.example", "Nina New", "reviewer", clock.now())
        nina = staff_by_address(work.session, "nina@opi.example")
        assert nina is not None and nina.name == "Nina New"
        assert staff_by_address(work.session, "stranger@example.org") is None
        work.rollback()
    with UnitOfWork() as work:  # the next transaction reads the list again
        assert staff_by_address(work.session, "rita@opi.example").active is True
        assert staff_by_address(work.session, "nina@opi.example") is None
