"""Hostile input, each tried twice (two distinct messages): refused with its reason code,
no case changed, nothing crashed, and the sender told at most once.

The single-message versions of most of these live in test_inbound_outcomes.py; here the
table below is the issue's "Hostile input" list as one sweep, plus what it did not cover:
a token aimed at another case, a spoofing display name used as a name, line breaks in
names through the command line, control characters in file names and the total cap.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from flows import jobs
from models import clock
from models.cases import Case
from models.enums import Channel, InboundOutcome
from models.messages import OutboxMessage
from models.people import Person
from models.provider_requests import SPECS, RequestType
from models.services import review
from models.services.context import ServiceContext
from models.services.timeline import Actor
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval, provider
from tests.e2e.test_provider_requests import OPPORTUNITY
from tests.inbound_support import (
    EXE,
    JANE,
    PDF,
    RITA,
    ZIP,
    Desk,
    Mail,
    form_json,
    handmade,
    nested,
    new_message,
    reply,
    threading_headers,
)

REFUSED = InboundOutcome.REFUSED
MALLORY = "mallory@evil.example"
BOB = "bob@school.example"


@pytest.fixture
def desk(uow: object, monkeypatch: pytest.MonkeyPatch) -> Desk:
    return Desk(monkeypatch)


def task_for(desk: Desk, reference: str) -> Mail:
    case_id = desk.case_id(reference)
    return [m for m in desk.outbox() if m.template == "review_task" and m.case_id == case_id][-1]


def approved(desk: Desk) -> tuple[str, Mail]:
    reference = desk.submit()
    assert desk.receive(reply(task_for(desk, reference), RITA, "APPROVE")).reason == "approve"
    return reference, desk.last("decision_approved", JANE)


def bobs_case(desk: Desk) -> str:
    return desk.submit(BOB, educator__first_name="Bob", activity__title="Reading Conference")


@dataclass(frozen=True)
class Attack:
    """The cases it must leave alone, who really sends it, and a maker of fresh copies."""

    references: list[str]
    sender: str
    make: Callable[[], bytes]


def forged_from(desk: Desk) -> Attack:
    reference = desk.submit()
    task = task_for(desk, reference)
    return Attack([reference], MALLORY, lambda: reply(task, MALLORY, "APPROVE").as_bytes())


def token_after_decision(desk: Desk) -> Attack:
    reference = desk.submit()
    task = task_for(desk, reference)
    assert desk.receive(reply(task, RITA, "APPROVE")).reason == "approve"
    return Attack([reference], RITA, lambda: reply(task, RITA, "APPROVE 6").as_bytes())


def token_of_another_applicant(desk: Desk) -> Attack:
    janes, bobs = desk.submit(), bobs_case(desk)
    ack = desk.last("acknowledgment", JANE)
    return Attack([janes, bobs], BOB, lambda: reply(ack, BOB, "WITHDRAW").as_bytes())


def own_token_aimed_at_another_case(desk: Desk) -> Attack:
    """Bob's own reply address, Jane's reference in the subject: neither case withdrawn."""
    janes, bobs = desk.submit(), bobs_case(desk)
    ack = desk.last("acknowledgment", BOB)

    def make() -> bytes:
        message = reply(ack, BOB, "WITHDRAW")
        del message["Subject"]
        message["Subject"] = f"Re: [{janes}] withdraw"
        return message.as_bytes()

    return Attack([janes, bobs], BOB, make)


def reviewer_token_threaded_under_another_case(desk: Desk) -> Attack:
    """Rita's token for Jane's case, in reply to the task about Bob's: neither decided."""
    janes, bobs = desk.submit(), bobs_case(desk)
    janes_task, bobs_task = task_for(desk, janes), task_for(desk, bobs)
    return Attack(
        [janes, bobs],
        RITA,
        lambda: reply(bobs_task, RITA, "APPROVE", to=janes_task.reply_to).as_bytes(),
    )


def two_reply_addresses(desk: Desk) -> Attack:
    """One APPROVE to the reply addresses of two cases: which one is meant is a guess."""
    janes, bobs = desk.submit(), bobs_case(desk)
    janes_task, bobs_task = task_for(desk, janes), task_for(desk, bobs)
    both = f"{janes_task.reply_to}, {bobs_task.reply_to}"
    return Attack(
        [janes, bobs], RITA, lambda: reply(janes_task, RITA, "APPROVE", to=both).as_bytes()
    )


def display_name_spoof(desk: Desk) -> Attack:
    reference = desk.submit()
    task = task_for(desk, reference)
    spoof = f'"{RITA}" <attacker@x.example>'
    return Attack(
        [reference], "attacker@x.example", lambda: reply(task, spoof, "APPROVE").as_bytes()
    )


def crlf_in_form_names(desk: Desk) -> Attack:
    reference = desk.submit()
    form = preapproval(BOB, educator__last_name="Roe\r\nBcc: victim@evil.example")
    return Attack(
        [reference], BOB, lambda: new_message(BOB, "My form", files=[form_json(form)]).as_bytes()
    )


def _proof(data: bytes, name: str = "certificate.pdf", count: int = 1) -> Callable[[Desk], Attack]:
    def attack(desk: Desk) -> Attack:
        reference, approval = approved(desk)
        files = [(f"{n}-{name}", "application/pdf", data) for n in range(count)]
        return Attack(
            [reference], JANE, lambda: reply(approval, JANE, "Proof.", files=files).as_bytes()
        )

    return attack


def _handmade_reply(extra: list[tuple[str, str]], body: str) -> Callable[[Desk], Attack]:
    def attack(desk: Desk) -> Attack:
        reference = desk.submit()
        task = task_for(desk, reference)
        return Attack(
            [reference], RITA, lambda: handmade([*threading_headers(task, RITA), *extra], body)
        )

    return attack


FIFTY_MB = b"APPROVE\r\n" + (b"x" * 998 + b"\r\n") * (50 * 2**20 // 1000)


def fifty_megabytes(desk: Desk) -> Attack:
    """Over the 30 MB default; spelled out by hand, so that building it takes no time."""
    reference = desk.submit()
    task = task_for(desk, reference)
    return Attack([reference], RITA, lambda: handmade(threading_headers(task, RITA), FIFTY_MB))


DEEP = nested(100, "APPROVE")
SETTINGS = {
    "over-the-file-cap": ("PDU_MAX_ATTACHMENT_BYTES", "2048"),
    "over-the-total-cap": ("PDU_MAX_ATTACHMENTS_TOTAL_BYTES", "6000"),
}

ATTACKS = {
    "forged-from-with-a-valid-token": (forged_from, "sender_mismatch"),
    "token-after-the-decision": (token_after_decision, "token_used"),
    "token-from-another-case": (token_of_another_applicant, "sender_mismatch"),
    "own-token-aimed-at-another-case": (own_token_aimed_at_another_case, "case_mismatch"),
    "token-threaded-under-another-case": (
        reviewer_token_threaded_under_another_case,
        "case_mismatch",
    ),
    "two-reply-addresses": (two_reply_addresses, "too_many_recipients"),
    "display-name-spoofing": (display_name_spoof, "sender_mismatch"),
    "crlf-in-form-names": (crlf_in_form_names, "form_invalid"),
    "over-the-file-cap": (_proof(PDF + b"%" + b"x" * 4096), "attachment_refused"),
    "over-the-total-cap": (_proof(PDF + b"%" + b"x" * 2500, count=3), "attachment_refused"),
    "zip-renamed-pdf": (_proof(ZIP), "attachment_refused"),
    "exe-renamed-pdf": (_proof(EXE), "attachment_refused"),
    "fifty-megabytes": (fifty_megabytes, "too_large"),
    "mime-nested-100-deep": (
        _handmade_reply([("Content-Type", DEEP[0])], DEEP[1]),
        "mime_too_deep",
    ),
    "one-megabyte-header": (
        _handmade_reply([("X-Padding", "a" * 2**20)], "APPROVE\n"),
        "header_too_large",
    ),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_each_hostile_message_is_refused_with_its_reason_changes_nothing_and_is_answered_once(
    desk, name
):
    build, reason = ATTACKS[name]
    setting = SETTINGS.get(name)
    if setting:
        desk.setenv(*setting)
    attack = build(desk)
    before = [desk.state(r) for r in attack.references]
    cases, mark = desk.case_count(), desk.mark()

    results = [desk.receive(attack.make()) for _ in range(2)]

    assert [(r.outcome, r.reason, r.duplicate) for r in results] == [(REFUSED, reason, False)] * 2
    assert [desk.state(r) for r in attack.references] == before
    assert desk.case_count() == cases
    assert desk.attachments() == []
    told = desk.outbox(after=mark)
    assert len(told) <= 1, [(m.template, m.to) for m in told]
    assert all(m.to == (attack.sender,) and not m.cc for m in told)


# --- what the sweep above does not show -----------------------------------------------------


def test_a_token_aimed_at_another_case_is_explained_to_its_owner_naming_both_cases(desk):
    attack = own_token_aimed_at_another_case(desk)
    janes, bobs = attack.references
    mark = desk.mark()

    result = desk.receive(attack.make())

    assert (result.outcome, result.reason, result.case_reference) == (
        REFUSED,
        "case_mismatch",
        bobs,
    )
    [told] = desk.outbox(after=mark)
    assert told.to == (BOB,) and janes in told.text and bobs in told.text


def test_a_reply_to_its_own_thread_with_the_reference_in_the_subject_still_applies(desk):
    """The check above compares, it does not forbid: our own subject tag names the case."""
    reference = desk.submit()
    task = task_for(desk, reference)
    assert f"[{reference}]" in task.subject

    result = desk.receive(reply(task, RITA, "APPROVE"))

    assert (result.outcome, result.reason) == (InboundOutcome.APPLIED, "approve")


def _approved_provider(manager: str) -> None:
    result = jobs.intake("provider", provider(manager))
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = work.session.scalar(select(Case).where(Case.reference == result.reference))
        review.approve(ctx, case, Actor(RITA, Channel.CLI), None)
        work.commit()


def test_a_display_name_showing_another_address_never_becomes_the_senders_name(desk):
    """Anyone may ask to share an opportunity; the sender is named from the From field.
    A display name that shows the reviewer's address must not name a stranger in what
    staff read."""
    _approved_provider("jdoe@bigsky.example")
    fields = OPPORTUNITY | {"Contact email": "events@bigsky.example"}
    body = "\n".join(f"{label}: {value}" for label, value in fields.items())
    subject = SPECS[RequestType.OPPORTUNITY].subject
    mark = desk.mark()

    result = desk.receive(new_message(f'"{RITA}" <attacker@x.example>', body, subject=subject))

    assert (result.outcome, result.reason) == (InboundOutcome.SUBMISSION, "submitted")
    person = desk.person("attacker@x.example")
    assert person is not None
    assert RITA not in f"{person.first_name} {person.last_name}"
    for mail in desk.outbox(after=mark):
        assert RITA not in mail.text.replace(f"To: {RITA}", ""), mail.template


NAMES = [
    ("preapproval", ("educator", "first_name")),
    ("preapproval", ("educator", "last_name")),
    ("preapproval", ("activity", "title")),
    ("provider", ("organization", "name")),
    ("provider", ("manager", "first_name")),
]


@pytest.mark.parametrize(("kind", "path"), NAMES, ids=[f"{k}-{'.'.join(p)}" for k, p in NAMES])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r", "\u2028"])
def test_a_line_break_in_a_name_from_the_command_line_is_refused_before_anything_is_written(
    desk, kind, path, newline
):
    form = copy.deepcopy(preapproval(JANE) if kind == "preapproval" else provider(JANE))
    parent, leaf = path
    form[parent][leaf] = f"Jane{newline}Bcc: victim@evil.example"

    result = jobs.intake(kind, form)

    assert not result.ok and not result.created
    assert any("one line" in p.message for p in result.problems), result.problems
    assert desk.case_count() == 0
    with UnitOfWork() as work:
        assert work.session.scalar(select(OutboxMessage.id)) is None
        assert work.session.scalar(select(Person.id).where(Person.email == JANE)) is None


def test_control_characters_in_an_attachment_name_are_dropped_before_it_is_stored_or_shown(desk):
    reference, approval = approved(desk)
    name = "atten\x00dance\x1b[31m\tBcc: x@evil.example\x7f.pdf"
    body = (
        "--b\nContent-Type: text/plain\n\nProof.\n"
        f'--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="{name}"'
        "\nContent-Transfer-Encoding: base64\n\n"
        f"{base64.b64encode(PDF).decode()}\n--b--\n"
    )
    headers = [
        *threading_headers(approval, JANE),
        ("Content-Type", 'multipart/mixed; boundary="b"'),
    ]

    result = desk.receive(handmade(headers, body))

    assert (result.outcome, result.reason) == (InboundOutcome.REPLY, "proof")
    [stored] = desk.attachments(reference)
    assert not any(ord(c) < 32 or ord(c) == 127 for c in stored.filename), stored.filename
    assert stored.filename.endswith(".pdf")
    task = desk.last("proof_task", RITA)
    assert not any(c in task.text for c in "\x00\x1b\x7f"), task.text
