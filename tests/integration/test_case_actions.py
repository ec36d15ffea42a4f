"""Mending a case from the command line: resend, decide as a staff member, reopen, reassign."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import clock
from models.cases import Case
from models.certificates import Certificate
from models.enums import CaseStatus, Channel
from models.messages import OutboxMessage
from models.services import review
from models.services.case_actions import decide_as, reopen
from models.services.case_certificates import issue_reserved
from models.services.context import ServiceContext
from models.services.email.receive import receive
from models.services.errors import UserError
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests import factories
from tests.e2e.forms import preapproval
from tests.integration.test_cli import pdu
from tests.integration.test_deadline_sweep import mst, office, submit

__all__ = ["office"]
RITA, SAM = "rita@opi.example", "sam@opi.example"


def reply_token(template: str, to: str) -> str:
    """The plain token of the newest unsent email of `template` to `to`."""
    with UnitOfWork() as work:
        rows = work.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == template)
            .order_by(OutboxMessage.id.desc())
        )
        row = next(r for r in rows if r.to_addresses == [to])
        assert row.reply_to is not None
        return row.reply_to


def answer(reply_to: str, sender: str, text: str, reference: str) -> tuple[str, str]:
    raw = (
        f"From: {sender}\r\nTo: {reply_to}\r\nSubject: Re: [{reference}] Review\r\n"
        f"Message-ID: <{abs(hash((reply_to, text)))}@mail.example>\r\n\r\n{text}\r\n"
    ).encode()
    result = receive(UnitOfWork, raw, now=clock.now())
    return result.outcome.value, result.reason


def status(reference: str) -> str:
    with UnitOfWork() as work:
        return work.session.scalar(select(Case.status).where(Case.reference == reference)).value


def in_ctx(fn, reference: str, *args, **kwargs):
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        result = fn(ctx, case, *args, **kwargs)
        work.commit()
        return result


def test_resend_gives_a_fresh_reply_address_and_the_old_one_stops_working(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    old = reply_token("review_task", RITA)
    office(mst("2026-11-23T09:00:00"))
    done = pdu("case", "resend", ref, "--json")
    assert json.loads(done.stdout) == {"reference": ref, "sent_to": RITA}
    new = reply_token("review_task", RITA)
    assert new != old
    assert answer(old, RITA, "APPROVE", ref) == ("refused", "token_expired")
    assert status(ref) == "in_review"
    assert answer(new, RITA, "APPROVE", ref) == ("applied", "approve")
    assert status(ref) == "awaiting_proof"


def test_resend_of_an_open_question_goes_to_the_applicant_with_a_new_address(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    office(mst("2026-11-23T09:00:00"))
    decide_args = ("case", "decide", ref, "info", "--question", "Which days?", "--as", RITA)
    assert "awaiting_applicant" in pdu(*decide_args).stdout
    old = reply_token("info_request", "jane@school.example")
    pdu("case", "resend", ref)
    new = reply_token("info_request", "jane@school.example")
    assert new != old
    assert answer(old, "jane@school.example", "All three.", ref) == ("refused", "token_expired")
    assert answer(new, "jane@school.example", "All three.", ref)[0] == "reply"
    assert status(ref) == "in_review"


def test_a_decision_at_the_command_line_is_recorded_as_that_staff_member_on_the_cli(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    emailed = reply_token("review_task", RITA)
    office(mst("2026-11-23T09:00:00"))
    done = pdu("case", "decide", ref, "approve", "--hours", "12", "--as", RITA, "--json")
    assert json.loads(done.stdout) == {
        "reference": ref,
        "status": "awaiting_proof",
        "decision": "approve",
    }
    assert json.loads(pdu("case", "show", ref, "--json").stdout)["hours_granted"] == 12
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == ref))
        [entry] = [e for e in case.timeline if e.action == "approve"]
        assert (entry.actor, entry.channel) == (RITA, Channel.CLI)
    # The emailed reply address is spent: the task was decided.
    assert answer(emailed, RITA, "DENY too late", ref) == ("refused", "token_used")


@pytest.mark.parametrize(
    ("steps", "decision", "words"),
    [
        ([], ("approve", "--hours", "99"), "more than the 18 hours requested"),
        ([], ("deny",), "deny needs --reason TEXT"),
        ([], ("accept",), "has no open proof review task"),
        ([("INFO", "Which days?")], ("approve",), "cannot take 'approve'"),
        ([("DENY", "No")], ("deny", "--reason", "again"), "denied: no open task"),
        ([], ("approve", "--hours", "six"), "is not a number of hours"),
    ],
)
def test_illegal_or_malformed_decisions_are_refused_in_one_line(office, steps, decision, words):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    for verb, text in steps:
        in_ctx(decide_as, ref, RITA, verb, text=text)
    before = status(ref)
    done = pdu("case", "decide", ref, *decision, "--as", RITA, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("pdu: ") and words in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert status(ref) == before


def test_only_the_assignee_or_a_supervisor_decides_and_nobody_unknown(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    with UnitOfWork() as work:
        from models.services.staff import add_staff

        add_staff(work.session, "ray@opi.example", "Ray", "reviewer", clock.now())
        work.commit()
    with pytest.raises(UserError, match="only they, a supervisor or an admin"):
        in_ctx(decide_as, ref, "ray@opi.example", "DENY", text="no")
    with pytest.raises(UserError, match="no staff member"):
        in_ctx(decide_as, ref, "who@opi.example", "DENY", text="no")
    in_ctx(decide_as, ref, SAM, "DENY", text="sales pitch")
    assert status(ref) == "denied"


def _completed_with_certificate(office) -> str:
    ref = submit(office, mst("2026-11-20T09:00:00"))
    in_ctx(decide_as, ref, RITA, "APPROVE", hours=Decimal(6))
    office(mst("2026-12-10T09:00:00"))
    jane = Actor("jane@school.example", Channel.EMAIL)
    in_ctx(review.applicant_replied, ref, jane, "attached", ["attendance.pdf"])
    in_ctx(decide_as, ref, RITA, "ACCEPT")
    assert status(ref) == "completed"
    with UnitOfWork() as work:  # drawn after the decision commits, as by email
        case_id = work.session.scalar(select(Case.id).where(Case.reference == ref))
    assert issue_reserved(UnitOfWork, clock.now(), case_id)
    return ref


def test_reopening_a_completed_case_revokes_its_certificate_only_when_confirmed(office):
    ref = _completed_with_certificate(office)
    office(mst("2026-12-14T09:00:00"))
    done = pdu("case", "reopen", ref, "--reason", "wrong hours", check=False)
    assert done.returncode == 2 and "add --revoke-certificate" in done.stderr
    assert status(ref) == "completed"
    done = pdu("case", "reopen", ref, "--reason", "wrong hours", "--revoke-certificate", "--json")
    value = json.loads(done.stdout)
    assert value["status"] == "in_review"
    assert value["due_at"] == "2026-12-23T17:00:00-07:00"  # seven business days from today
    [number] = value["revoked"]
    verified = json.loads(pdu("certificate", "verify", number, "--json", check=False).stdout)
    assert verified["status"] == "revoked"
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == ref))
        assert (case.closed_at, case.retain_until, case.hours_granted) == (None, None, None)
        cert = work.session.scalar(select(Certificate).where(Certificate.number == number))
        assert cert.revoked_reason == "wrong hours"
    # Decided again, by email or here, like any case in review.
    in_ctx(decide_as, ref, RITA, "APPROVE", hours=Decimal(5))
    assert status(ref) == "awaiting_proof"


@pytest.mark.parametrize(
    "from_status",
    [CaseStatus.DECLINED, CaseStatus.REDIRECTED, CaseStatus.DENIED, CaseStatus.AWAITING_PROOF],
)
def test_a_decided_case_goes_back_to_review_with_a_new_seven_day_clock(office, from_status):
    office(mst("2026-12-14T09:00:00"))
    with UnitOfWork() as work:
        case = factories.case(work.session, "PA-2026-00099", now=clock.now(), status=from_status)
        case.form, case.hours_requested = preapproval(), Decimal(18)  # what the emails show
        work.commit()
    in_ctx(reopen, "PA-2026-00099", "triaged wrongly", revoke_certificate=False)
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == "PA-2026-00099"))
        assert case.status is CaseStatus.IN_REVIEW
        assert case.open_task.due_at == datetime.fromisoformat(mst("2026-12-23T17:00:00"))
        assert [e.action for e in case.timeline][-2:] == ["reopen", "assigned"]


@pytest.mark.parametrize(
    "from_status",
    [
        CaseStatus.SUBMITTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.AWAITING_APPLICANT,
        CaseStatus.PROOF_REVIEW,
        CaseStatus.EXPIRED,
        CaseStatus.WITHDRAWN,
        CaseStatus.PURGED,
    ],
)
def test_reopening_anything_but_a_decided_case_is_refused_in_one_line(office, from_status):
    with UnitOfWork() as work:
        factories.case(work.session, "PA-2026-00099", now=clock.now(), status=from_status)
        work.commit()
    done = pdu("case", "reopen", "PA-2026-00099", "--reason", "x", check=False)
    assert done.returncode == 2
    assert "only a declined, redirected, denied or approved case can be reopened" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert status("PA-2026-00099") == from_status.value


def test_reassign_hands_the_task_over_and_the_old_reply_address_no_longer_decides(office):
    ref = submit(office, mst("2026-11-20T09:00:00"))
    old = reply_token("review_task", RITA)
    office(mst("2026-11-23T09:00:00"))
    done = pdu("case", "reassign", ref, "--to", SAM, "--json")
    assert json.loads(done.stdout) == {"reference": ref, "assignee": SAM}
    assert answer(old, RITA, "APPROVE", ref) == ("refused", "token_used")
    # already theirs: bad input (2); an unknown address: not found (3)
    for to, words, code in [
        (SAM, "already with", 2),
        ("nobody@opi.example", "no staff member", 3),
    ]:
        again = pdu("case", "reassign", ref, "--to", to, check=False)
        assert again.returncode == code and words in again.stderr, again.stderr
