"""Educators' use cases (no web), on SQLite and PostgreSQL: their requests, answering and
sending proof as a reply by email does, withdrawing, their certificates and progress."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from models import clock
from models.cases import Case
from models.enums import CaseStatus, TaskKind, TaskStatus
from models.messages import Attachment, OutboxMessage
from models.services.context import ServiceContext
from models.services.educator_cases import (
    Upload,
    applicant_view,
    my_case,
    my_cases,
    reply_on_web,
    withdraw_on_web,
)
from models.services.educator_records import (
    my_certificate,
    my_certificates,
    my_licenses,
    my_progress,
)
from models.services.errors import NotFound, UserError
from models.settings import reset_settings
from models.uow import UnitOfWork
from tests.educator_support import JANE, PDF_BYTES, PNG_BYTES, ZIP_BYTES, decide, submit
from tests.web_support import issue_certificates, pdu, seed_office


@pytest.fixture
def office(uow, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_office(monkeypatch)  # Monday, November 23, 2026, 09:00 in Montana
    pdu("staff", "add", "sam@opi.example", "--name", "Sam Supervisor", "--role", "supervisor")


def view(reference: str, email: str = JANE):
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        return applicant_view(ctx, my_case(work.session, email, reference))


def act(function, *args):
    with UnitOfWork() as work:
        result = function(ServiceContext.of(work, clock.now()), *args)
        work.commit()
        return result


def outbox(template: str) -> list[SimpleNamespace]:
    with UnitOfWork() as work:
        rows = work.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
        return [SimpleNamespace(to_addresses=r.to_addresses, body_text=r.body_text) for r in rows]


def case_row(reference: str) -> SimpleNamespace:
    """The case's status and tasks, read in a unit of work of their own."""
    with UnitOfWork() as work:
        case = work.session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        tasks = [
            SimpleNamespace(kind=t.kind, status=t.status, due_at=t.due_at,
                            paused_since=t.paused_since)
            for t in case.tasks
        ]  # fmt: skip
        return SimpleNamespace(id=case.id, status=case.status, tasks=tasks)


def test_an_educator_sees_their_own_requests_in_plain_words_with_the_answer_by_date(office):
    mine = submit()
    submit("tom@school.example", activity__title="Someone Else's Workshop")
    with UnitOfWork() as work:
        assert [c.reference for c in my_cases(work.session, "JANE@school.example")] == [mine]
    shown = view(mine)
    assert shown.status == "Being reviewed by OPI"
    assert shown.title == "Trauma-Informed Classrooms Institute"
    assert shown.next_step == "OPI answers by"
    assert shown.due_at == case_row(mine).tasks[0].due_at  # seven business days
    assert (shown.can_answer, shown.can_send_proof, shown.can_withdraw) == (False, False, True)


def test_the_timeline_shows_what_the_applicant_was_told_never_notes_or_staff_addresses(office):
    reference = submit()
    decide(reference, "REASSIGN", "sam@opi.example")
    decide(reference, "INFO", "Could you send the agenda?", actor="sam@opi.example")
    shown = view(reference)
    assert [s.what for s in shown.timeline] == [
        "We received your request", "Sent to a reviewer at OPI", "OPI asked you a question",
    ]  # fmt: skip
    assert shown.question == "Could you send the agenda?"
    everything = json.dumps([[s.what, s.detail] for s in shown.timeline])
    for internal in ("rita@", "sam@", "opi.example", "assigned", "provider not in"):
        assert internal not in everything
    assert shown.status == "Waiting for your answer" and shown.due_at is None


def test_answering_on_the_web_restarts_the_clock_and_reaches_the_reviewer_like_an_email(
    office, monkeypatch
):
    reference = submit()
    decide(reference, "INFO", "Could you send the agenda?")
    paused_due = case_row(reference).tasks[0].due_at
    monkeypatch.setenv("PDU_NOW", "2026-11-25T09:00:00-07:00")  # two business days later
    done = act(reply_on_web, JANE, reference, "The agenda is attached.", [
        Upload("agenda.png", "image/png", PNG_BYTES),
    ])  # fmt: skip
    assert done.action == "reply"
    case = case_row(reference)
    [task] = case.tasks
    assert case.status is CaseStatus.IN_REVIEW and task.paused_since is None
    assert task.due_at > paused_due  # the paused business days were added back
    [forward] = outbox("applicant_reply_forward")
    assert forward.to_addresses == ["rita@opi.example"]
    assert "The agenda is attached." in forward.body_text and "agenda.png" in forward.body_text
    assert view(reference).timeline[-1].what == "You answered"


def test_proof_from_the_web_opens_the_same_proof_review_task_as_by_email(office):
    reference = submit()
    decide(reference, "APPROVE", "18")
    shown = view(reference)
    assert shown.can_send_proof and shown.next_step.startswith("After the activity, send proof")
    act(reply_on_web, JANE, reference, "", [
        Upload("C:\\Users\\jane\\certificate.pdf", "application/pdf", PDF_BYTES),
    ])  # fmt: skip
    case = case_row(reference)
    assert case.status is CaseStatus.PROOF_REVIEW
    assert [(t.kind, t.status) for t in case.tasks][-1] == (TaskKind.PROOF_REVIEW, TaskStatus.OPEN)
    [task] = outbox("proof_task")
    assert "certificate.pdf" in task.body_text and task.to_addresses == ["rita@opi.example"]
    with UnitOfWork() as work:
        [stored] = work.session.scalars(select(Attachment).where(Attachment.case_id == case.id))
        assert (stored.filename, stored.content_type) == ("certificate.pdf", "application/pdf")


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (Upload("certificate.pdf", "application/pdf", ZIP_BYTES), "not a PDF, JPEG or PNG"),
        (Upload("form.json", "application/json", b'{"a": 1}'), "not a PDF, JPEG or PNG"),
        (Upload("huge.pdf", "application/pdf", PDF_BYTES + b"0" * 2048), "larger than"),
    ],
)
def test_a_proof_that_lies_about_its_type_or_is_over_the_cap_is_refused_and_nothing_changes(
    office, monkeypatch, upload, words
):
    monkeypatch.setenv("PDU_MAX_ATTACHMENT_BYTES", "1024")
    reset_settings()
    reference = submit()
    decide(reference, "APPROVE", "18")
    with pytest.raises(UserError, match=words):
        act(reply_on_web, JANE, reference, "", [upload])
    assert case_row(reference).status is CaseStatus.AWAITING_PROOF
    assert outbox("proof_task") == []


def test_a_request_still_open_can_be_withdrawn_and_a_closed_one_cannot(office):
    reference = submit()
    act(withdraw_on_web, JANE, reference)
    assert case_row(reference).status is CaseStatus.WITHDRAWN
    assert outbox("withdrawn")[0].to_addresses == [JANE]
    assert [t.status for t in case_row(reference).tasks] == [TaskStatus.CANCELLED]
    with pytest.raises(UserError, match="can no longer be withdrawn"):
        act(withdraw_on_web, JANE, reference)


def test_another_educators_request_is_not_found_exactly_like_a_missing_one(office):
    theirs = submit("tom@school.example")
    for reference in (theirs, "PA-2099-99999"):
        with pytest.raises(NotFound, match=f"You have no request {reference}"):
            view(reference)
        with pytest.raises(NotFound):
            act(reply_on_web, JANE, reference, "hello", [])
        with pytest.raises(NotFound):
            act(withdraw_on_web, JANE, reference)
    assert case_row(theirs).status is CaseStatus.IN_REVIEW


def test_certificates_by_address_and_by_a_held_license_number_never_by_a_typed_one(
    office, tmp_path
):
    issue_certificates(tmp_path)  # Maria (license 123456) and Tom (234567) by roster
    with UnitOfWork() as work:
        maria = [c.number for c in my_certificates(work.session, "maria@school.example")]
        assert len(maria) == 1 and my_licenses(work.session, "maria@school.example") == ["123456"]
        with pytest.raises(NotFound):
            my_certificate(work.session, "maria@school.example", "PDU-2026-000002")
    # Maria writes from her home address: her request with her number, once approved,
    # shows the roster's certificate too. Before a reviewer approves it, nothing.
    home = "maria@home.example"
    reference = submit(home, educator__license_number="123456")
    with UnitOfWork() as work:
        assert my_licenses(work.session, home) == [] and my_certificates(work.session, home) == []
    decide(reference, "APPROVE", "18")
    with UnitOfWork() as work:
        assert [c.number for c in my_certificates(work.session, home)] == maria
        assert my_certificate(work.session, home, maria[0].lower()).number == maria[0]


def test_progress_is_the_transcript_of_a_held_license_and_another_one_is_not_found(
    office, tmp_path
):
    issue_certificates(tmp_path)
    expected = json.loads(pdu("certificate", "transcript", "123456", "--json"))
    with UnitOfWork() as work:
        today = ServiceContext.of(work, clock.now()).today
        progress = my_progress(work.session, "maria@school.example", " 123 456 ", today)
        assert progress.total == Decimal(str(expected["total"])) == Decimal(12)
        assert [line.entry.number for line in progress.lines] == [
            c["number"] for c in expected["certificates"]
        ]
        with pytest.raises(NotFound, match="no license number 234567"):
            my_progress(work.session, "maria@school.example", "234567", today)


def test_a_revoked_certificate_shows_as_revoked_with_its_replacement(office, tmp_path):
    [first, _] = issue_certificates(tmp_path)
    pdu("certificate", "reissue", first["number"], "--hours", "10", "--reason", "hours")
    with UnitOfWork() as work:
        certificates = my_certificates(work.session, "maria@school.example")
        revoked = next(c for c in certificates if c.number == first["number"])
        assert str(revoked.status) == "revoked"
        assert revoked.replaced_by is not None
        assert revoked.replaced_by.number in [c.number for c in certificates]
