"""Every outcome and reason code of the inbound gateway, and the hostile cases, on a real
database: raw bytes into `receive`, then what was recorded, what changed and who was told.

A message that is not acted on must leave the case as it was (status, timeline, tasks,
tokens, files) and queue at most one reply, to the person who really wrote it: never to a
forged sender, a bounce, a robot or a list.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from email import message_from_bytes, policy
from mailbox.compose import build_message

import pytest

from models.enums import InboundOutcome
from models.forms import FORM_TEMPLATE_PREAPPROVAL, render_field_form
from models.messages import OutboxMessage
from models.services.outbox import to_outgoing
from models.services.staff import set_out_of_office
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval
from tests.inbound_support import (
    ADA,
    EXE,
    GIF,
    JANE,
    PDF,
    PNG,
    RITA,
    SAM,
    SYSTEM,
    ZIP,
    Desk,
    Mail,
    dsn,
    form_json,
    handmade,
    nested,
    new_message,
    reply,
    threading_headers,
)

APPLIED, REPLY, REFUSED = InboundOutcome.APPLIED, InboundOutcome.REPLY, InboundOutcome.REFUSED
IGNORED, BOUNCE, SUBMISSION = (
    InboundOutcome.IGNORED,
    InboundOutcome.BOUNCE,
    InboundOutcome.SUBMISSION,
)
MALLORY = "mallory@evil.example"
BOB = "bob@school.example"


@pytest.fixture
def desk(uow: object, monkeypatch: pytest.MonkeyPatch) -> Desk:
    return Desk(monkeypatch)


def queued(desk: Desk, mark: int) -> list[tuple[str, tuple[str, ...]]]:
    """(template, recipients) of every email queued since `mark`."""
    return [(m.template, m.to + m.cc) for m in desk.outbox(after=mark)]


def task_for(desk: Desk, reference: str, to: str = RITA) -> Mail:
    """The latest review task email about `reference` to `to`."""
    case_id = desk.case_id(reference)
    found = [m for m in desk.outbox() if m.template == "review_task" and m.case_id == case_id]
    assert found and to in found[-1].to, f"no review task about {reference} for {to}"
    return found[-1]


def approved(desk: Desk) -> tuple[str, Mail]:
    """A case whose review is approved: it now waits for Jane's proof of completion."""
    reference = desk.submit()
    result = desk.receive(reply(task_for(desk, reference), RITA, "APPROVE"))
    assert (result.outcome, result.reason) == (APPLIED, "approve")
    return reference, desk.last("decision_approved", JANE)


# --- commands that apply ------------------------------------------------------------------


def test_a_valid_approve_from_the_reviewer_applies_and_tells_only_the_applicant(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task, RITA, "Approve.\n\nA well planned institute."))

    assert (result.outcome, result.reason, result.case_reference) == (APPLIED, "approve", reference)
    after = desk.state(reference)
    assert after.status == "awaiting_proof"
    assert after.timeline > before.timeline
    assert after.open_tasks == ()
    assert queued(desk, mark) == [("decision_approved", (JANE,))]
    assert desk.timeline(reference)[-1][1:] == (RITA, "email")


def test_the_same_approve_delivered_twice_is_a_duplicate_that_changes_nothing(desk):
    reference = desk.submit()
    message = reply(task_for(desk, reference), RITA, "APPROVE").as_bytes()
    first = desk.receive(message)
    state, mark = desk.state(reference), desk.mark()

    again = desk.receive(message)

    assert again.duplicate and not first.duplicate
    assert (again.inbound_id, again.outcome, again.reason) == (first.inbound_id, APPLIED, "approve")
    assert desk.state(reference) == state
    assert queued(desk, mark) == []
    assert desk.inbound_count() == 1


def test_a_second_approve_with_a_used_token_is_already_decided_and_answered_once(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    assert desk.receive(reply(task, RITA, "APPROVE")).outcome is APPLIED
    state, mark = desk.state(reference), desk.mark()

    second = desk.receive(reply(task, RITA, "APPROVE 10"))
    third = desk.receive(reply(task, RITA, "APPROVE"))

    assert (second.outcome, second.reason) == (REFUSED, "token_used")
    assert (third.outcome, third.reason) == (REFUSED, "token_used")
    assert desk.state(reference) == state
    assert queued(desk, mark) == [("already_decided", (RITA,))]


def test_deny_with_a_reason_closes_the_case_and_tells_the_applicant_the_reason(desk):
    reference = desk.submit()
    mark = desk.mark()

    result = desk.receive(
        reply(task_for(desk, reference), RITA, "DENY the activity is a sales presentation")
    )

    assert (result.outcome, result.reason) == (APPLIED, "deny")
    assert desk.status(reference) == "denied"
    assert queued(desk, mark) == [("decision_denied", (JANE,))]
    assert "the activity is a sales presentation" in desk.last("decision_denied", JANE).text


def test_info_then_the_applicants_answer_is_forwarded_to_the_reviewer(desk):
    reference = desk.submit()
    asked = desk.receive(reply(task_for(desk, reference), RITA, "INFO Which days are in person?"))
    assert (asked.outcome, asked.reason) == (APPLIED, "info")
    assert desk.status(reference) == "awaiting_applicant"
    question = desk.last("info_request", JANE)
    mark = desk.mark()

    answer = desk.receive(reply(question, JANE, "All three days, in Billings."))

    assert (answer.outcome, answer.reason) == (REPLY, "reply")
    assert desk.status(reference) == "in_review"
    assert queued(desk, mark) == [("applicant_reply_forward", (RITA,))]
    assert "All three days, in Billings." in desk.last("applicant_reply_forward", RITA).text


def test_reassign_hands_the_task_over_and_the_old_token_no_longer_decides(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    moved = desk.receive(reply(task, RITA, "REASSIGN sam@opi.example"))
    assert (moved.outcome, moved.reason) == (APPLIED, "reassign")
    state, mark = desk.state(reference), desk.mark()

    stale = desk.receive(reply(task, RITA, "APPROVE"))

    assert (stale.outcome, stale.reason) == (REFUSED, "token_used")
    assert desk.state(reference) == state
    assert queued(desk, mark) == [("already_decided", (RITA,))]
    decided = desk.receive(reply(desk.last("review_task", SAM), SAM, "APPROVE"))
    assert (decided.outcome, decided.reason) == (APPLIED, "approve")


def test_proof_attached_to_a_reply_opens_the_proof_check_and_accept_issues_the_certificate(desk):
    reference, approval = approved(desk)

    proof = desk.receive(
        reply(approval, JANE, "My certificate.", files=[("attendance.pdf", "application/pdf", PDF)])
    )

    assert (proof.outcome, proof.reason) == (REPLY, "proof")
    assert desk.status(reference) == "proof_review"
    assert [a.filename for a in desk.attachments(reference)] == ["attendance.pdf"]
    accepted = desk.receive(reply(desk.last("proof_task", RITA), RITA, "ACCEPT"))
    assert (accepted.outcome, accepted.reason) == (APPLIED, "accept")
    assert desk.status(reference) == "completed"
    assert desk.last("certificate_issued", JANE).case_id == desk.case_id(reference)


def test_reject_sends_the_reason_to_the_applicant_who_can_send_proof_again(desk):
    reference, approval = approved(desk)
    desk.receive(reply(approval, JANE, "Attached.", files=[("a.png", "image/png", PNG)]))

    rejected = desk.receive(
        reply(desk.last("proof_task", RITA), RITA, "REJECT the certificate is unsigned")
    )

    assert (rejected.outcome, rejected.reason) == (APPLIED, "reject")
    assert desk.status(reference) == "awaiting_proof"
    assert "the certificate is unsigned" in desk.last("proof_rejected", JANE).text


def test_withdraw_from_the_applicant_closes_the_case_and_cancels_the_review(desk):
    reference = desk.submit()
    mark = desk.mark()

    result = desk.receive(reply(desk.last("acknowledgment", JANE), JANE, "WITHDRAW"))

    assert (result.outcome, result.reason) == (APPLIED, "withdraw")
    state = desk.state(reference)
    assert (state.status, state.open_tasks) == ("withdrawn", ())
    assert queued(desk, mark) == [("withdrawn", (JANE,))]


def test_a_reply_without_the_token_is_matched_by_in_reply_to(desk):
    reference = desk.submit()
    task = task_for(desk, reference)

    result = desk.receive(reply(task, RITA, "APPROVE", to=SYSTEM))

    assert (result.outcome, result.reason, result.case_reference) == (APPLIED, "approve", reference)


def test_upper_case_addresses_and_tokens_still_reach_the_right_case(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    shouted = f"PDU Workflows <{task.reply_to.upper()}>"

    result = desk.receive(reply(task, "Rita Reviewer <Rita@OPI.Example>", "APPROVE", to=shouted))

    assert (result.outcome, result.reason) == (APPLIED, "approve")


def test_a_reviewers_signature_logo_does_not_block_her_decision(desk):
    """Outlook and Gmail signatures carry inline images (often GIF): they are not files
    sent to us, and a reviewer cannot remove them from every reply."""
    reference = desk.submit()
    message = reply(task_for(desk, reference), RITA, "APPROVE\n\nRita Reviewer, OPI")
    message.add_alternative(
        '<p>APPROVE</p><p>Rita Reviewer, OPI<br><img src="cid:image001.gif@01DA"></p>',
        subtype="html",
    )
    html = message.get_payload()[1]
    html.add_related(GIF, maintype="image", subtype="gif", cid="<image001.gif@01DA>")

    result = desk.receive(message)

    assert (result.outcome, result.reason) == (APPLIED, "approve")
    assert desk.status(reference) == "awaiting_proof"


@pytest.mark.parametrize(
    "answer",
    [
        "Info: all three days are in person in Billings.",
        "Approve, please - all three days are in person.",
    ],
)
def test_an_applicants_answer_that_starts_with_a_staff_word_is_forwarded_as_her_answer(
    desk, answer
):
    """Only WITHDRAW is a command for an applicant: any other text is her answer."""
    reference = desk.submit()
    desk.receive(reply(task_for(desk, reference), RITA, "INFO Which days are in person?"))
    mark = desk.mark()

    result = desk.receive(reply(desk.last("info_request", JANE), JANE, answer))

    assert (result.outcome, result.reason) == (REPLY, "reply")
    assert desk.status(reference) == "in_review"
    assert queued(desk, mark) == [("applicant_reply_forward", (RITA,))]


# --- forged, replayed and misdirected -------------------------------------------------------


def test_a_forged_from_with_a_valid_token_is_refused_and_nobody_is_told(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task, MALLORY, "APPROVE"))

    assert (result.outcome, result.reason) == (REFUSED, "sender_mismatch")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []
    assert desk.inbound(result.inbound_id).from_address == MALLORY


def test_a_display_name_showing_the_reviewers_address_does_not_make_the_sender_the_reviewer(
    desk,
):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task, '"rita@opi.example" <attacker@x.example>', "APPROVE"))

    assert (result.outcome, result.reason) == (REFUSED, "sender_mismatch")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


def test_reply_to_and_sender_headers_naming_the_reviewer_do_not_authenticate(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(
        reply(task, MALLORY, "APPROVE", headers={"Sender": RITA, "Reply-To": RITA})
    )

    assert (result.outcome, result.reason) == (REFUSED, "sender_mismatch")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


def test_a_token_from_another_case_used_by_a_different_applicant_changes_neither_case(desk):
    janes = desk.submit()
    bobs = desk.submit(BOB, educator__first_name="Bob", activity__title="Reading Conference")
    janes_ack = desk.last("acknowledgment", JANE)
    before, mark = (desk.state(janes), desk.state(bobs)), desk.mark()

    result = desk.receive(reply(janes_ack, BOB, "WITHDRAW"))

    assert (result.outcome, result.reason) == (REFUSED, "sender_mismatch")
    assert (desk.state(janes), desk.state(bobs)) == before
    assert queued(desk, mark) == []


def test_the_reviewers_token_used_by_the_applicant_is_refused_without_a_reply(desk):
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task_for(desk, reference), JANE, "APPROVE"))

    assert (result.outcome, result.reason) == (REFUSED, "sender_mismatch")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


@pytest.mark.parametrize(("forged", "command"), [(RITA, "APPROVE"), (JANE, "WITHDRAW")])
def test_a_forged_from_without_the_token_cannot_decide_or_withdraw_through_the_subject_tag(
    desk, forged, command
):
    """Case references are sequential and From is free text: knowing a reference and the
    party's address is not enough. Only the token (or a thread only that party received)
    shows the message came from them; a bare `[PA-…]` subject would let anyone approve a
    request, or withdraw someone else's."""
    reference = desk.submit()
    before = desk.state(reference)

    result = desk.receive(new_message(forged, command, subject=f"Re: [{reference}] your request"))

    assert result.outcome not in (APPLIED, REPLY)
    assert desk.state(reference) == before


def test_an_expired_token_is_refused_and_its_owner_is_told_once(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    desk.at((desk.now + timedelta(days=61)).isoformat())
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task, RITA, "APPROVE"))
    again = desk.receive(reply(task, RITA, "APPROVE"))

    assert (result.outcome, result.reason) == (REFUSED, "token_expired")
    assert (again.outcome, again.reason) == (REFUSED, "token_expired")
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("command_error", (RITA,))]
    assert "expired" in desk.last("command_error", RITA).text


def test_an_unknown_token_from_staff_gets_one_reply_and_from_a_stranger_none(desk):
    to = "pdu+" + "a" * 26 + "@opi.example"
    mark = desk.mark()

    from_staff = desk.receive(new_message(RITA, "APPROVE", to=to, subject="Re: approval"))
    from_stranger = desk.receive(new_message(MALLORY, "APPROVE", to=to, subject="Re: approval"))

    assert (from_staff.outcome, from_staff.reason) == (REFUSED, "token_unknown")
    assert (from_stranger.outcome, from_stranger.reason) == (REFUSED, "token_unknown")
    assert queued(desk, mark) == [("command_error", (RITA,))]


def test_a_malformed_token_is_unknown_and_acts_on_nothing(desk):
    reference = desk.submit()
    before = desk.state(reference)
    to = "pdu+../../etc/passwd@opi.example"

    result = desk.receive(new_message(RITA, "APPROVE", to=to, subject="Re: approval"))

    assert (result.outcome, result.reason) == (REFUSED, "token_unknown")
    assert desk.state(reference) == before


# --- commands that cannot be acted on ------------------------------------------------------


def _body_html(mail: Mail) -> str:
    assert mail.html is not None
    return mail.html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]


def _quoted_plain(task: Mail) -> tuple[str, str]:
    quote = "\n> ".join(task.text.splitlines())
    return (
        "text/plain; charset=utf-8",
        f"\nOn Fri, Nov 20, 2026, PDU wrote:\n> APPROVE\n> {quote}\n",
    )


def _quoted_gmail(task: Mail) -> tuple[str, str]:
    return "text/html; charset=utf-8", (
        '<div dir="ltr"><br></div><div class="gmail_quote"><div class="gmail_attr">'
        "On Fri, Nov 20, 2026 at 9:00 AM PDU Workflows &lt;pdu@opi.example&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote"><div>APPROVE</div>{_body_html(task)}</blockquote></div>'
    )


def _quoted_thunderbird(task: Mail) -> tuple[str, str]:
    return "text/html; charset=utf-8", (
        '<html><body><p><br></p><div class="moz-cite-prefix">On 11/20/26 9:00 AM, PDU '
        f'Workflows wrote:<br></div><blockquote type="cite"><p>APPROVE</p>{_body_html(task)}'
        "</blockquote></body></html>"
    )


def _quoted_outlook(task: Mail) -> tuple[str, str]:
    return "text/html; charset=utf-8", (
        '<html><body><div class="WordSection1"><p class="MsoNormal">&nbsp;</p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class="MsoNormal">'
        "<b>From:</b> PDU Workflows &lt;pdu@opi.example&gt;<br><b>Sent:</b> Friday, November "
        "20, 2026 9:00 AM<br><b>To:</b> Rita Reviewer &lt;rita@opi.example&gt;<br>"
        f"<b>Subject:</b> {task.subject}</p></div>{_body_html(task)}</div></body></html>"
    )


@pytest.mark.parametrize(
    "quoting", [_quoted_plain, _quoted_gmail, _quoted_thunderbird, _quoted_outlook]
)
def test_approve_only_inside_the_quoted_text_is_not_a_command(desk, quoting):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()
    content_type, body = quoting(task)

    result = desk.receive(
        handmade([*threading_headers(task, RITA), ("Content-Type", content_type)], body)
    )

    assert (result.outcome, result.reason) == (REFUSED, "unknown_command")
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("command_error", (RITA,))]


def test_a_sentence_instead_of_a_command_gets_the_help_reply(desk):
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task_for(desk, reference), RITA, "I will look at this Monday."))

    assert (result.outcome, result.reason) == (REFUSED, "unknown_command")
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("command_error", (RITA,))]
    assert "APPROVE" in desk.last("command_error", RITA).text


@pytest.mark.parametrize(
    ("command", "reason", "words"),
    [
        ("DENY", "reason_required", "DENY needs a reason"),
        ("INFO", "question_required", "INFO needs a question"),
        ("APPROVE lots", "hours_invalid", "APPROVE takes a number of hours"),
        ("REASSIGN", "address_required", "REASSIGN needs"),
        ("REASSIGN bob", "address_invalid", "REASSIGN needs an email address"),
        ("APPROVE 40", "command_failed", "more than the 18 hours requested"),
        ("REASSIGN nobody@opi.example", "command_failed", "no staff member"),
    ],
)
def test_a_known_command_with_a_missing_or_bad_argument_is_explained_and_changes_nothing(
    desk, command, reason, words
):
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task_for(desk, reference), RITA, command))

    assert (result.outcome, result.reason) == (REFUSED, reason)
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("command_error", (RITA,))]
    assert words in desk.last("command_error", RITA).text


def test_a_reviewers_mistakes_on_two_different_cases_are_each_explained(desk):
    """Rate limiting stops loops, not feedback: a reviewer who gets no answer about her
    second case believes her command worked (a decision by email sends her nothing)."""
    first = desk.submit()
    second = desk.submit(BOB, educator__first_name="Bob", activity__title="Reading Conference")
    mark = desk.mark()

    desk.receive(reply(task_for(desk, first), RITA, "DENY"))
    desk.receive(reply(task_for(desk, second), RITA, "DENY"))

    told = desk.outbox(after=mark)
    assert [(m.template, m.to) for m in told] == [("command_error", (RITA,))] * 2
    assert [m.case_id for m in told] == [desk.case_id(first), desk.case_id(second)]


@pytest.mark.parametrize("command", ["ACCEPT", "WITHDRAW"])
def test_a_command_the_reply_address_does_not_allow_is_refused_and_explained(desk, command):
    """A review task's address decides a review: ACCEPT is for proof, WITHDRAW for applicants."""
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task_for(desk, reference), RITA, command))

    assert (result.outcome, result.reason) == (REFUSED, "command_not_allowed")
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("command_error", (RITA,))]
    assert f"{command} is not something" in desk.last("command_error", RITA).text


def test_an_applicant_sending_approve_decides_nothing(desk):
    """Only WITHDRAW is an applicant's command: her APPROVE is an answer nobody asked for."""
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(desk.last("acknowledgment", JANE), JANE, "APPROVE"))

    assert (result.outcome, result.reason) == (REFUSED, "command_failed")
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("command_error", (JANE,))]
    assert "nothing is waiting for your reply" in desk.last("command_error", JANE).text


def test_a_reply_after_the_case_was_denied_is_refused_as_closed(desk):
    reference = desk.submit()
    desk.receive(reply(task_for(desk, reference), RITA, "DENY not a structured activity"))
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(desk.last("acknowledgment", JANE), JANE, "Please reconsider."))

    assert (result.outcome, result.reason) == (REFUSED, "case_closed")
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("command_error", (JANE,))]
    assert "closed" in desk.last("command_error", JANE).text


def test_the_applicant_writing_while_nothing_waits_for_her_changes_nothing_not_even_files(desk):
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(
        reply(
            desk.last("acknowledgment", JANE),
            JANE,
            "Any news? The agenda is attached.",
            files=[("agenda.pdf", "application/pdf", PDF)],
        )
    )

    assert (result.outcome, result.reason) == (REFUSED, "command_failed")
    assert desk.state(reference) == before
    assert desk.attachments() == []
    assert queued(desk, mark) == [("command_error", (JANE,))]


def test_a_staff_decision_without_dmarc_pass_is_held_when_the_deployment_trusts_its_mx(desk):
    desk.setenv("PDU_TRUSTED_AUTHSERV_ID", "mx.opi.example")
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()
    passed = "mx.opi.example; dmarc=pass header.from=opi.example"

    unverified = desk.receive(
        reply(task, RITA, "APPROVE", headers={"Authentication-Results": "evil.example; dmarc=pass"})
    )
    held = desk.state(reference)
    verified = desk.receive(
        reply(task, RITA, "APPROVE", headers={"Authentication-Results": passed})
    )

    assert (unverified.outcome, unverified.reason) == (InboundOutcome.HELD, "dmarc_unverified")
    assert (held.status, held.timeline, held.open_tasks) == (
        before.status,
        before.timeline,
        before.open_tasks,
    )
    assert queued(desk, mark)[0] == ("confirm_command", (RITA,))
    assert (verified.outcome, verified.reason) == (APPLIED, "approve")


def test_a_held_decision_is_applied_by_one_confirm_and_a_second_confirm_does_nothing(desk):
    desk.setenv("PDU_TRUSTED_AUTHSERV_ID", "mx.opi.example")
    reference = desk.submit()
    desk.receive(reply(task_for(desk, reference), RITA, "DENY out of scope"))
    confirm = desk.last("confirm_command", RITA)

    done = desk.receive(reply(confirm, RITA, "CONFIRM"))
    state, mark = desk.state(reference), desk.mark()
    again = desk.receive(reply(confirm, RITA, "CONFIRM"))
    forged = desk.receive(reply(confirm, MALLORY, "CONFIRM"))

    assert (done.outcome, done.reason) == (APPLIED, "deny (confirmed)")
    assert state.status == "denied"
    assert again.outcome is REFUSED and forged.outcome is REFUSED
    assert desk.state(reference) == state
    assert all(to == (RITA,) for _, to in queued(desk, mark))


def test_a_message_without_a_usable_from_is_refused_without_a_reply(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()
    headers = [h for h in threading_headers(task, RITA) if h[0] != "From"]

    missing = desk.receive(handmade(headers, "APPROVE\n"))
    two = desk.receive(handmade([("From", f"{RITA}, {MALLORY}"), *headers], "APPROVE\n"))

    assert (missing.outcome, missing.reason) == (REFUSED, "sender_invalid")
    assert (two.outcome, two.reason) == (REFUSED, "sender_invalid")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


# --- robots, lists, loops and bounces ---------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        # The reviewer's own responder: recorded away (issue 18), never acted on or answered.
        ("Auto-Submitted", "auto-replied", "out_of_office"),
        ("X-Autoreply", "yes", "out_of_office"),
        ("Auto-Submitted", "auto-generated", "auto_generated"),
        ("Precedence", "bulk", "auto_generated"),
        ("List-Id", "OPI staff <staff.opi.example>", "mailing_list"),
        ("X-PDU-Loop", "opi.example", "loop"),
    ],
)
def test_robots_lists_and_our_own_mail_are_ignored_never_acted_on_or_answered(
    desk, header, value, reason
):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(reply(task, RITA, "APPROVE", headers={header: value}))

    assert (result.outcome, result.reason) == (IGNORED, reason)
    assert desk.state(reference) == before
    if reason == "out_of_office":  # away two business days: only the supervisor is told
        assert [template for template, _ in queued(desk, mark)] == ["staff_away"]
    else:
        assert queued(desk, mark) == []


def test_our_own_task_email_coming_back_is_a_loop(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()
    with UnitOfWork() as work:
        row = work.session.get(OutboxMessage, task.id)
        raw = build_message(to_outgoing(row, work.settings)).as_bytes()

    result = desk.receive(raw)

    assert (result.outcome, result.reason) == (IGNORED, "loop")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


def test_a_delivery_failure_marks_the_address_tells_the_admins_once_and_is_never_answered(
    desk,
):
    reference = desk.submit()
    report = dsn(JANE, desk.last("acknowledgment", JANE))
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(report)
    again = desk.receive(report)

    assert (result.outcome, result.reason) == (BOUNCE, "bounced")
    assert again.duplicate
    jane = desk.person(JANE)
    assert jane is not None and jane.email_bounced_at == desk.now
    assert desk.state(reference) == before
    assert queued(desk, mark) == [("bounce_notice", (ADA,))]
    assert reference in desk.last("bounce_notice", ADA).text


# --- attachments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "cap"),
    [
        ("certificate.pdf", ZIP, None),
        ("certificate.pdf", EXE, None),
        ("certificate.pdf", PDF + b"%" + b"x" * 4096, "2048"),
    ],
    ids=["zip-renamed-pdf", "exe-renamed-pdf", "over-the-per-file-cap"],
)
def test_a_refused_attachment_is_named_in_one_reply_and_nothing_is_stored(
    desk, filename, data, cap
):
    if cap:
        desk.setenv("PDU_MAX_ATTACHMENT_BYTES", cap)
    reference, approval = approved(desk)
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(
        reply(approval, JANE, "Proof attached.", files=[(filename, "application/pdf", data)])
    )

    assert (result.outcome, result.reason) == (REFUSED, "attachment_refused")
    assert desk.state(reference) == before
    assert desk.attachments() == []
    assert queued(desk, mark) == [("command_error", (JANE,))]
    assert filename in desk.last("command_error", JANE).text


def test_a_path_in_an_attachment_name_is_stripped_before_it_is_stored_or_shown(desk, tmp_path):
    reference, approval = approved(desk)

    result = desk.receive(
        reply(
            approval,
            JANE,
            "Proof attached.",
            files=[("../../../etc/cron.d/attendance.pdf", "application/pdf", PDF)],
        )
    )

    assert (result.outcome, result.reason) == (REPLY, "proof")
    [stored] = desk.attachments(reference)
    assert stored.filename == "attendance.pdf"
    task = desk.last("proof_task", RITA)
    assert "attendance.pdf" in task.text and "../" not in task.text
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "etc").exists()


# --- oversized and malformed --------------------------------------------------------------


def test_a_message_over_the_size_limit_is_refused_before_it_is_read(desk):
    desk.setenv("PDU_MAX_MESSAGE_BYTES", "20000")
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()
    big = reply(
        task_for(desk, reference),
        RITA,
        "APPROVE",
        files=[("a.pdf", "application/pdf", PDF + b"0" * 30_000)],
    )

    result = desk.receive(big)

    assert (result.outcome, result.reason) == (REFUSED, "too_large")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


def test_a_one_megabyte_header_is_refused_without_parsing_the_rest(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()
    headers = [*threading_headers(task, RITA), ("X-Padding", "a" * 1024 * 1024)]

    result = desk.receive(handmade(headers, "APPROVE\n"))

    assert (result.outcome, result.reason) == (REFUSED, "header_too_large")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


def test_mime_nested_a_hundred_levels_deep_is_refused(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()
    content_type, body = nested(100, "APPROVE")

    result = desk.receive(
        handmade([*threading_headers(task, RITA), ("Content-Type", content_type)], body)
    )

    assert (result.outcome, result.reason) == (REFUSED, "mime_too_deep")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


def test_a_message_of_more_than_two_hundred_parts_is_refused(desk):
    reference = desk.submit()
    task = task_for(desk, reference)
    before, mark = desk.state(reference), desk.mark()
    parts = "".join(f"--p\nContent-Type: text/plain\n\npart {n}\n" for n in range(250))
    body = f"--p\nContent-Type: text/plain\n\nAPPROVE\n{parts}--p--\n"
    headers = [*threading_headers(task, RITA), ("Content-Type", 'multipart/mixed; boundary="p"')]

    result = desk.receive(handmade(headers, body))

    assert (result.outcome, result.reason) == (REFUSED, "too_many_parts")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []


def test_a_delivery_report_hiding_a_mime_header_is_refused_as_malformed(desk):
    reference = desk.submit()
    before, mark = desk.state(reference), desk.mark()
    report = dsn(JANE, desk.last("acknowledgment", JANE)).replace(
        b"Action: failed\r\n", b"Action: failed\r\nContent-Type: multipart/mixed; boundary=x\r\n"
    )

    result = desk.receive(report)

    assert (result.outcome, result.reason) == (REFUSED, "mime_malformed")
    assert desk.state(reference) == before
    assert queued(desk, mark) == []
    jane = desk.person(JANE)
    assert jane is not None and jane.email_bounced_at is None


def test_a_command_a_few_multipart_levels_down_is_still_read(desk):
    reference = desk.submit()
    content_type, body = nested(6, "APPROVE")
    headers = [*threading_headers(task_for(desk, reference), RITA), ("Content-Type", content_type)]

    result = desk.receive(handmade(headers, body))

    assert (result.outcome, result.reason) == (APPLIED, "approve")


def test_a_malformed_date_and_an_unknown_charset_do_not_stop_a_command(desk):
    reference = desk.submit()
    headers = [
        *threading_headers(task_for(desk, reference), RITA),
        ("Date", "Mon, 99 Foo 20261 25:61:99 +99999"),
        ("Content-Type", 'text/plain; charset="x-no-such-charset"'),
        ("Content-Transfer-Encoding", "8bit"),
    ]

    result = desk.receive(handmade(headers, "APPROVE\n\nvielen Dank f\u00fcr die \u00dcbersicht\n"))

    assert (result.outcome, result.reason) == (APPLIED, "approve")
    assert desk.status(reference) == "awaiting_proof"


def test_an_html_only_reply_is_read_as_text(desk):
    reference = desk.submit()
    headers = [
        *threading_headers(task_for(desk, reference), RITA),
        ("Content-Type", "text/html; charset=utf-8"),
    ]
    body = (
        "<html><body><div><b>DENY</b> not a structured activity</div>"
        "<blockquote>APPROVE</blockquote></body></html>"
    )

    result = desk.receive(handmade(headers, body))

    assert (result.outcome, result.reason) == (APPLIED, "deny")
    assert "not a structured activity" in desk.last("decision_denied", JANE).text


# --- injection and markup ---------------------------------------------------------------------


def _outgoing_headers(desk: Desk) -> list[list[tuple[str, str]]]:
    """The header fields of every queued email, as the sender would put them on the wire."""
    with UnitOfWork() as work:
        rows = work.session.query(OutboxMessage).order_by(OutboxMessage.id).all()
        built = [build_message(to_outgoing(row, work.settings)).as_bytes() for row in rows]
    parsed = [message_from_bytes(raw, policy=policy.compat32) for raw in built]
    return [[(name, str(value)) for name, value in message.items()] for message in parsed]


def test_a_form_with_line_breaks_in_names_is_refused_in_plain_words_and_injects_no_header(desk):
    desk.submit()  # a case, so that the outbox holds other emails too
    form = preapproval(
        JANE,
        educator__first_name="Jane\r\nBcc: victim@evil.example",
        activity__title="Institute\nBcc: victim@evil.example",
    )
    mark = desk.mark()

    result = desk.receive(new_message(JANE, "My form.", files=[form_json(form)]))

    assert (result.outcome, result.reason) == (REFUSED, "form_invalid")
    assert "one line" in result.detail
    assert desk.case_count() == 1
    assert queued(desk, mark) == [("form_problems", (JANE,))]
    assert "one line" in desk.last("form_problems", JANE).text
    for fields in _outgoing_headers(desk):
        names = {name.lower() for name, _ in fields}
        assert "bcc" not in names
        assert all("victim" not in value for _, value in fields)


def test_an_encoded_line_break_in_a_reply_subject_injects_no_header_into_what_we_send(desk):
    reference = desk.submit()
    desk.receive(reply(task_for(desk, reference), RITA, "INFO Which days are in person?"))
    question = desk.last("info_request", JANE)
    evil = base64.b64encode(b"Re: dates\r\nBcc: victim@evil.example").decode()
    headers = [
        (name, f"=?utf-8?b?{evil}?=" if name == "Subject" else value)
        for name, value in threading_headers(question, JANE)
    ]
    message = handmade(headers, "All three.\n")

    result = desk.receive(message)
    desk.receive(reply(question, JANE, "APPROVE"))  # a command error echoes the subject

    assert (result.outcome, result.reason) == (REPLY, "reply")
    for fields in _outgoing_headers(desk):
        assert "bcc" not in {name.lower() for name, _ in fields}
        assert all("victim" not in value for _, value in fields)


def test_markup_in_form_fields_and_replies_stays_inert_in_every_html_email(desk):
    script = "<script>alert('pwned')</script>"
    image = '<img src=x onerror="alert(1)">'
    reference = desk.submit(
        activity__title=f"Reading {image}",
        activity__description=f"Three days {script}",
        activity__location="Billings <b>MT</b>",
    )
    desk.receive(reply(task_for(desk, reference), RITA, f"INFO Which days? {script}"))
    desk.receive(reply(desk.last("info_request", JANE), JANE, f"All three {script} {image}"))
    desk.receive(reply(desk.last("applicant_reply_forward", RITA), RITA, "APPROVE"))
    other = desk.submit(BOB, educator__first_name="Bob", activity__title="Reading Conference")
    desk.receive(reply(task_for(desk, other), RITA, f"REASSIGN {script}"))  # echoed back
    bad_form = preapproval(BOB, activity__start_date=script, employer=f"{script} {image}")
    desk.receive(new_message(BOB, "My form", files=[form_json(bad_form)]))

    mails = desk.outbox()
    assert {m.template for m in mails} >= {
        "acknowledgment",
        "review_task",
        "info_request",
        "applicant_reply_forward",
        "decision_approved",
        "command_error",
        "form_problems",
    }
    for mail in mails:
        assert mail.html is not None
        assert "<script" not in mail.html.lower(), mail.template
        assert "<img src=x" not in mail.html.lower(), mail.template
        assert "<b>MT</b>" not in mail.html, mail.template
    assert "&lt;script&gt;" in (task_for(desk, reference).html or "")
    assert "&lt;script&gt;" in desk.last("applicant_reply_forward", RITA).html
    assert "&lt;script&gt;" in desk.last("command_error", RITA).html


# --- new submissions by email -------------------------------------------------------------


def test_a_stranger_writing_without_a_form_gets_the_form_once_a_day(desk):
    stranger = "teacher@gmail.example"
    mark = desk.mark()

    first = desk.receive(new_message(stranger, "How do I get PDUs for a course?"))
    second = desk.receive(new_message(stranger, "Hello? Anyone there?"))
    assert queued(desk, mark) == [("form_template", (stranger,))]
    desk.at((desk.now + timedelta(days=1)).isoformat())
    third = desk.receive(new_message(stranger, "Still waiting."))

    assert [(r.outcome, r.reason) for r in (first, second, third)] == [(IGNORED, "no_form")] * 3
    assert queued(desk, mark) == [("form_template", (stranger,))] * 2
    assert desk.case_count() == 0
    assert "Educator" in desk.last("form_template", stranger).text


def test_a_form_attached_as_json_creates_one_case_even_when_the_email_arrives_twice(desk):
    message = new_message(JANE, "My request is attached.", files=[form_json(preapproval(JANE))])
    mark = desk.mark()

    first = desk.receive(message)
    again = desk.receive(message)
    resent = desk.receive(new_message(JANE, "Sending again.", files=[form_json(preapproval(JANE))]))

    assert (first.outcome, first.reason) == (SUBMISSION, "submitted")
    assert first.case_reference is not None
    assert again.duplicate and again.case_reference == first.case_reference
    assert (resent.outcome, resent.reason) == (SUBMISSION, "duplicate_submission")
    assert resent.case_reference == first.case_reference
    assert desk.case_count() == 1
    assert sorted(queued(desk, mark)) == [("acknowledgment", (JANE,)), ("review_task", (RITA,))]
    assert desk.timeline(first.case_reference)[0] == ("submitted", JANE, "email")


def test_the_plain_text_form_filled_in_by_email_creates_one_case(desk):
    text = render_field_form("preapproval", preapproval(JANE))
    assert text.splitlines()[0] == FORM_TEMPLATE_PREAPPROVAL.splitlines()[0]
    message = new_message(JANE, text + "\n\nThanks,\nJane")

    first = desk.receive(message)
    again = desk.receive(message)

    assert (first.outcome, first.reason) == (SUBMISSION, "submitted")
    assert again.duplicate
    assert desk.case_count() == 1
    assert desk.status(first.case_reference) == "in_review"


def test_the_form_sent_back_as_a_reply_to_the_template_creates_the_case(desk):
    stranger_form = preapproval(JANE)
    desk.receive(new_message(JANE, "How do I apply?"))
    template = desk.last("form_template", JANE)

    result = desk.receive(reply(template, JANE, render_field_form("preapproval", stranger_form)))

    assert (result.outcome, result.reason) == (SUBMISSION, "submitted")
    assert desk.case_count() == 1


def test_a_form_sent_by_someone_other_than_the_educator_it_names_is_refused(desk):
    mark = desk.mark()

    result = desk.receive(new_message(MALLORY, "For Jane.", files=[form_json(preapproval(JANE))]))

    assert (result.outcome, result.reason) == (REFUSED, "sender_mismatch")
    assert desk.case_count() == 0
    replies = queued(desk, mark)
    assert len(replies) <= 1
    assert all(to == (MALLORY,) for _, to in replies)
    assert desk.person(JANE) is None


def test_an_invalid_form_lists_every_problem_and_creates_nothing(desk):
    form = preapproval(JANE, activity__hours=-3, activity__start_date="someday")
    form["educator"].pop("last_name")
    mark = desk.mark()

    result = desk.receive(new_message(JANE, "Form attached.", files=[form_json(form)]))

    assert (result.outcome, result.reason) == (REFUSED, "form_invalid")
    assert desk.case_count() == 0
    assert queued(desk, mark) == [("form_problems", (JANE,))]
    problems = desk.last("form_problems", JANE).text
    for field in ("last name", "hours", "start date"):
        assert field in problems.lower()
    assert "Traceback" not in problems and json.dumps(form) not in problems


# --- when nobody can take the task ------------------------------------------------------


def _everyone_away(desk: Desk) -> None:
    """The whole office (reviewer and supervisor) out of office for the holidays."""
    with UnitOfWork() as work:
        for address in (RITA, SAM):
            set_out_of_office(work.session, address, date(2026, 11, 1), date(2027, 1, 4))
        work.commit()


def test_a_form_emailed_while_every_reviewer_is_away_is_not_an_internal_error(desk):
    """Nobody to assign is the office's situation, not a crash: the educator must not be
    left in silence, and the message must not end in Quarantine as our bug."""
    _everyone_away(desk)
    mark = desk.mark()

    result = desk.receive(new_message(JANE, "My form.", files=[form_json(preapproval(JANE))]))

    assert result.outcome is not InboundOutcome.ERROR, result
    assert any(to == (JANE,) for _, to in queued(desk, mark))


def test_proof_sent_while_every_reviewer_is_away_is_never_half_applied(desk):
    """A refused message changes nothing; an accepted proof has someone to check it. Never a
    case moved to proof review with no task (nobody would ever look at it), and never an
    operator's instruction in the applicant's inbox."""
    reference, approval = approved(desk)
    _everyone_away(desk)
    before, mark = desk.state(reference), desk.mark()

    result = desk.receive(
        reply(approval, JANE, "My certificate.", files=[("attendance.pdf", "application/pdf", PDF)])
    )

    after = desk.state(reference)
    assert result.outcome in (REFUSED, REPLY), result
    if result.outcome is REFUSED:
        assert after == before
    else:
        assert (after.status, len(after.open_tasks), after.attachments) == ("proof_review", 1, 1)
    for mail in desk.outbox(after=mark):
        assert "pdu staff add" not in mail.text or JANE not in mail.to
