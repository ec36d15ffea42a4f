"""Deciding what an inbound message is and acting on it (inside the caller's transaction).

Order matters and follows Discourse / Phorge / Zulip receivers: refuse what is malformed,
ignore what is automatic, then authenticate (token, In-Reply-To, subject tag), then act.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from mailbox.addresses import split_plus
from mailbox.classify import classify, dmarc_pass
from mailbox.commands import HELP_TEXT, CommandError, parse_command, parse_office_command
from mailbox.limits import MessageRejected
from mailbox.parse import ParsedMessage, parse_message
from mailbox.quoting import trim_reply
from typing import Any

from sqlalchemy import select

from models.cases import Case
from models.enums import CLOSED_STATUSES, CaseKind, Channel, InboundOutcome
from models.messages import InboundMessage, OutboxMessage, ReplyToken
from models.people import Person, Staff
from models.services import review
from models.services.attachments import save_attachment
from models.services.context import ServiceContext
from models.services.error_replies import reply_once_a_day
from models.services.errors import UserError
from models.services.timeline import Actor
from models.services.tokens import allows, find_token
from models.uow import UnitOfWork

# Every case kind's reference (PA-, PR-, AR-, OP-2026-00042) in a [REF] subject tag.
_SUBJECT_TAG = re.compile(rf"\[((?:{'|'.join(k.prefix for k in CaseKind)})-\d{{4}}-\d{{5}})\]")


@dataclass(frozen=True)
class Verdict:
    outcome: InboundOutcome
    reason: str
    detail: str = ""
    case_id: int | None = None
    sender: str | None = None
    subject: str | None = None


def decide(work: UnitOfWork, row: InboundMessage, now: datetime) -> Verdict:
    ctx = ServiceContext.of(work, now)
    s = ctx.settings
    assert row.raw is not None
    try:
        parsed = parse_message(
            row.raw,
            max_bytes=s.max_message_bytes,
            max_attachment_bytes=s.max_attachment_bytes,
            max_total_attachment_bytes=s.max_attachments_total_bytes,
        )
    except MessageRejected as exc:
        return Verdict(InboundOutcome.REFUSED, exc.reason_code, exc.detail)
    sender, subject = parsed.from_address, parsed.subject
    verdict = _decide_parsed(ctx, parsed, row)
    return Verdict(
        verdict.outcome,
        verdict.reason,
        verdict.detail,
        verdict.case_id,
        verdict.sender or sender,
        verdict.subject or subject,
    )


def _decide_parsed(ctx: ServiceContext, parsed: ParsedMessage, row: InboundMessage) -> Verdict:
    s = ctx.settings
    automatic = classify(
        parsed, own_addresses={s.mail_address.lower()}, loop_header_value=s.mail_domain
    )
    if automatic is not None:
        if automatic.reason == "bounce":
            return _bounce(ctx, automatic.failed_recipients)
        away = _out_of_office(ctx, parsed) if automatic.auto_reply else None
        return away or Verdict(InboundOutcome.IGNORED, automatic.reason)
    sender = parsed.from_address
    if not sender:
        return Verdict(InboundOutcome.REFUSED, "sender_invalid", "no single valid From address")
    if len(_reply_tags(ctx, parsed)) > 1:
        # Two of our reply addresses in one message: which case it is about is a guess.
        return _refuse(
            ctx,
            parsed,
            "too_many_recipients",
            "the message is addressed to more than one of our reply addresses: "
            "answer each email on its own",
        )
    token, problem, by_subject = _find_token(ctx, parsed)
    if problem and token is None:
        return _refuse(ctx, parsed, problem, "that reply address is not known or has expired")
    if token is None:
        return _office_command(ctx, parsed) or _unmatched(ctx, parsed, row)
    case = ctx.session.get(Case, token.case_id)
    assert case is not None
    if sender != token.recipient:
        # No reply: the forged sender must learn nothing, the real one was not involved.
        return Verdict(
            InboundOutcome.REFUSED,
            "sender_mismatch",
            "From is not the party this reply address was issued to",
            case.id,
        )
    if problem:  # expired, but the right person: tell them how to reach us
        return _refuse(ctx, parsed, problem, "this reply address has expired", case)
    other = _other_case_named(ctx, parsed, case)
    if other is not None:
        # Acting on the token's case when the message says it is about another would apply
        # a decision to a case its author did not mean.
        return _refuse(
            ctx,
            parsed,
            "case_mismatch",
            f"this reply address belongs to {case.reference}, but the message is about "
            f"{other}: reply to our email about {other}",
            case,
        )
    if case.status in CLOSED_STATUSES:
        return _refuse(
            ctx, parsed, "case_closed", f"{case.reference} is closed ({case.status.value})", case
        )
    return _act(ctx, parsed, row, token, case, by_subject=by_subject)


def _verified_staff(ctx: ServiceContext, parsed: ParsedMessage) -> bool:
    """DMARC pass, when the deployment trusts its receiving server's verdict."""
    trusted = ctx.settings.trusted_authserv_id
    return not trusted or dmarc_pass(parsed, trusted)


def _is_active_staff(ctx: ServiceContext, address: str) -> bool:
    return (
        ctx.session.scalar(select(Staff.id).where(Staff.email == address, Staff.active.is_(True)))
        is not None
    )


def _out_of_office(ctx: ServiceContext, parsed: ParsedMessage) -> Verdict | None:
    """A reviewer's auto-reply to one of our task emails: never answered, but they are
    recorded away and their work moves. Only the person the task email went to counts."""
    from models.services.absence import away_from_auto_reply

    token, problem, by_subject = _find_token(ctx, parsed)
    if token is None or problem or by_subject or "REPLY" in token.allowed.split():
        return None
    if parsed.from_address != token.recipient or not _verified_staff(ctx, parsed):
        return None
    staff = ctx.session.scalar(
        select(Staff).where(Staff.email == token.recipient, Staff.active.is_(True))
    )
    if staff is None:
        return None
    actor = Actor(staff.email, Channel.EMAIL, parsed.message_id)
    report = away_from_auto_reply(ctx, staff, parsed.text or "", actor)
    detail = (
        f"recorded away until {report.until}; {len(report.moved)} task(s) handed over"
        if report.changed
        else "already recorded away"
    )
    return Verdict(InboundOutcome.IGNORED, "out_of_office", detail, token.case_id)


def _office_command(ctx: ServiceContext, parsed: ParsedMessage) -> Verdict | None:
    """`AWAY UNTIL date` / `BACK` from a staff member to the office address."""
    from models.services.absence import away_by_email

    staff = ctx.session.scalar(select(Staff).where(Staff.email == parsed.from_address))
    if staff is None:
        return None
    try:
        command = parse_office_command(trim_reply(parsed.text or ""))
    except CommandError as exc:
        return _refuse(ctx, parsed, exc.reason_code, exc.message)
    if command is None:
        return None
    if not staff.active:
        return _refuse(ctx, parsed, "staff_inactive", "this address no longer acts for the office")
    if not _verified_staff(ctx, parsed):
        return _refuse(
            ctx,
            parsed,
            "dmarc_unverified",
            "AWAY and BACK need mail our server can verify (DMARC); "
            "ask an admin to run `pdu staff away` or `pdu staff back`",
        )
    try:
        with ctx.session.begin_nested():
            report = away_by_email(
                ctx, staff, command.until, Actor(staff.email, Channel.EMAIL, parsed.message_id)
            )
    except UserError as exc:
        ctx.session.expire_all()
        return _refuse(ctx, parsed, "command_failed", str(exc))
    if command.until is None:
        return Verdict(InboundOutcome.APPLIED, "back", "recorded back at work")
    return Verdict(
        InboundOutcome.APPLIED,
        "away",
        f"away until {command.until}; {len(report.moved)} task(s) handed over",
    )


def _reply_tags(ctx: ServiceContext, parsed: ParsedMessage) -> list[str]:
    """The tags of our plus-addresses among the recipients (`pdu+TAG@…`), each once."""
    ours = ctx.settings.mail_address.lower()
    tags = (split_plus(address) for address in parsed.recipients)
    return list(dict.fromkeys(tag for base, tag in tags if base == ours and tag))


def _find_token(
    ctx: ServiceContext, parsed: ParsedMessage
) -> tuple[ReplyToken | None, str | None, bool]:
    """Plus-address first, then In-Reply-To/References, then the subject tag."""
    s = ctx.settings
    problem = None
    for tag in _reply_tags(ctx, parsed):
        found = find_token(ctx.session, tag, s.secret_key, ctx.now)
        if found.token is not None:
            return found.token, found.problem, False
        problem = found.problem
    references = [r for r in [parsed.in_reply_to, *parsed.references] if r]
    if references:
        token_id = ctx.session.scalar(
            select(OutboxMessage.token_id)
            .where(OutboxMessage.message_id.in_(references), OutboxMessage.token_id.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        if token_id is not None:
            token = ctx.session.get(ReplyToken, token_id)
            if token is not None:
                expired = token.expires_at <= ctx.now
                return token, "token_expired" if expired else None, False
    match = _SUBJECT_TAG.search(parsed.subject or "")
    if match and parsed.from_address:
        token = ctx.session.scalar(
            select(ReplyToken)
            .join(Case, Case.id == ReplyToken.case_id)
            .where(
                Case.reference == match.group(1),
                ReplyToken.recipient == parsed.from_address,
                ReplyToken.used_at.is_(None),
                ReplyToken.expires_at > ctx.now,
            )
            .order_by(ReplyToken.id.desc())
            .limit(1)
        )
        if token is not None:
            return token, None, True  # a guessable reference: an answer at most
    return None, problem, False


def _other_case_named(ctx: ServiceContext, parsed: ParsedMessage, case: Case) -> str | None:
    """The reference of another case the subject tag or In-Reply-To names, if any."""
    match = _SUBJECT_TAG.search(parsed.subject or "")
    if match and match.group(1) != case.reference:
        return match.group(1)
    if parsed.in_reply_to:
        other_id = ctx.session.scalar(
            select(OutboxMessage.case_id).where(OutboxMessage.message_id == parsed.in_reply_to)
        )
        if other_id is not None and other_id != case.id:
            other = ctx.session.get(Case, other_id)
            return other.reference if other else None
    return None


def _act(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    row: InboundMessage,
    token: ReplyToken,
    case: Case,
    *,
    confirmed: bool = False,
    by_subject: bool = False,
) -> Verdict:
    actor = Actor(parsed.from_address or "", Channel.EMAIL, parsed.message_id)
    new_text = trim_reply(parsed.text or "")
    is_staff = "REPLY" not in token.allowed.split()
    try:
        command = parse_command(new_text)
    except CommandError as exc:
        if is_staff:
            return _refuse(ctx, parsed, exc.reason_code, exc.message, case)
        command = None  # an applicant's "Info: agenda attached" is just their answer
    if command is not None and not is_staff and not allows(token, command.verb.value):
        command = None
    if by_subject and (is_staff or command is not None):
        # Matched only by "[PA-2026-00042]" in the subject: references are sequential, so
        # anyone could write one. Only an applicant's answer may come this way.
        return _refuse(
            ctx,
            parsed,
            "reply_address_required",
            "decisions and withdrawals must be sent by replying to our email "
            "(its reply address proves it is you)",
            case,
        )
    refused = [a for a in parsed.refused_attachments if not a.inline]  # signature logos
    if refused:
        names = ", ".join(f"{a.filename} ({a.reason})" for a in refused)
        return _refuse(
            ctx,
            parsed,
            "attachment_refused",
            f"these attachments were refused: {names}. Attach PDF, JPEG or PNG "
            f"files up to {ctx.settings.max_attachment_bytes // 2**20} MB each.",
            case,
        )
    verb = command.verb.value if command else ("REPLY" if not is_staff else None)
    if verb is None:
        return _refuse(
            ctx,
            parsed,
            "unknown_command",
            "the first line of your reply is not a command we know",
            case,
        )
    if not allows(token, verb):
        return _refuse(
            ctx,
            parsed,
            "command_not_allowed",
            f"{verb} is not something this reply address can do",
            case,
        )
    if is_staff and not _is_active_staff(ctx, token.recipient):
        return _refuse(
            ctx, parsed, "staff_inactive", "this address no longer acts for the office", case
        )
    if verb == "CONFIRM":
        return _confirm(ctx, token, case, row)
    if (
        is_staff
        and not confirmed
        and ctx.settings.trusted_authserv_id
        and not dmarc_pass(parsed, ctx.settings.trusted_authserv_id)
    ):
        return _hold(ctx, parsed, row, token, case, verb)
    if verb in review.DECISION_VERBS:
        if token.used_at is not None:
            return _refuse(
                ctx,
                parsed,
                "token_used",
                "this task was already decided",
                case,
                template="already_decided",
            )
        task = case.open_task
        if task is None or token.task_id != task.id or task.assignee.email != token.recipient:
            return _refuse(
                ctx,
                parsed,
                "token_used",
                "this task was already decided or reassigned",
                case,
                template="already_decided",
            )
    try:
        with ctx.session.begin_nested():  # a refused command leaves no trace at all
            done = _dispatch(ctx, case, actor, verb, command, new_text, parsed, row)
    except UserError as exc:
        ctx.session.expire_all()
        _forget_files(ctx, parsed)
        return _refuse(ctx, parsed, "command_failed", str(exc), case)
    if verb in review.DECISION_VERBS:
        token.used_at = ctx.now
    outcome = InboundOutcome.APPLIED if is_staff or verb == "WITHDRAW" else InboundOutcome.REPLY
    return Verdict(outcome, done.action, done.detail, case.id)


def _forget_files(ctx: ServiceContext, parsed: ParsedMessage) -> None:
    """Files written for a command that was then refused: removed unless kept for another."""
    from models.messages import Attachment
    from models.services.attachments import relative_path

    for attachment in parsed.attachments:
        kept = ctx.session.scalar(
            select(Attachment.id).where(Attachment.sha256 == attachment.sha256).limit(1)
        )
        if kept is None:
            (ctx.settings.data_dir / relative_path(attachment.sha256)).unlink(missing_ok=True)


def _hold(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    row: InboundMessage,
    token: ReplyToken,
    case: Case,
    verb: str,
) -> Verdict:
    """No DMARC pass: the From may be forged. The decision waits until the reviewer confirms
    from their own mailbox with a fresh token only that mailbox has seen."""
    from datetime import timedelta

    from models.cases import ReviewTask
    from models.services.outbox import enqueue
    from models.services.tokens import issue_token

    task = ctx.session.get(ReviewTask, token.task_id) if token.task_id else None
    confirm = issue_token(
        ctx.session,
        case=case,
        recipient=token.recipient,
        allowed={"CONFIRM"},
        now=ctx.now,
        ttl=timedelta(days=2),
        secret_key=ctx.settings.secret_key,
        task=task,
    )
    confirm[1].held_inbound_id = row.id
    command_line = trim_reply(parsed.text or "").strip().splitlines()[0][:200]
    enqueue(
        ctx.session,
        ctx.settings,
        template="confirm_command",
        to=[token.recipient],
        now=ctx.now,
        case=case,
        token=confirm,
        in_reply_to=parsed.message_id,
        context={"reference": case.reference, "command_line": command_line, "expects_reply": True},
    )
    return Verdict(
        InboundOutcome.HELD, "dmarc_unverified", f"{verb} held until the reviewer confirms", case.id
    )


def _confirm(ctx: ServiceContext, token: ReplyToken, case: Case, row: InboundMessage) -> Verdict:
    """Apply the held decision as if it had just arrived, now that its sender is proven."""
    held = ctx.session.get(InboundMessage, token.held_inbound_id) if token.held_inbound_id else None
    if held is None or held.raw is None or token.used_at is not None:
        return Verdict(
            InboundOutcome.REFUSED,
            "nothing_to_confirm",
            "no held decision for this reply address",
            case.id,
        )
    token.used_at = ctx.now
    s = ctx.settings
    parsed = parse_message(
        held.raw,
        max_bytes=s.max_message_bytes,
        max_attachment_bytes=s.max_attachment_bytes,
        max_total_attachment_bytes=s.max_attachments_total_bytes,
    )
    original, _problem, _weak = _find_token(ctx, parsed)
    if original is None or original.recipient != token.recipient:
        return Verdict(
            InboundOutcome.REFUSED,
            "nothing_to_confirm",
            "the held decision's reply address is gone",
            case.id,
        )
    verdict = _act(ctx, parsed, held, original, case, confirmed=True)
    held.detail = f"confirmed by message {row.id}: {verdict.outcome.value} {verdict.reason}"
    return Verdict(verdict.outcome, f"{verdict.reason} (confirmed)", verdict.detail, case.id)


def _dispatch(
    ctx: ServiceContext,
    case: Case,
    actor: Actor,
    verb: str,
    command: Any,
    new_text: str,
    parsed: ParsedMessage,
    row: InboundMessage,
) -> review.Done:
    if verb in review.DECISION_VERBS:
        argument = command.argument if command else None
        return review.decide(
            ctx, case, actor, verb, text=argument or "", hours=command.hours if command else None
        )
    if verb == "WITHDRAW":
        return review.withdraw(ctx, case, actor)
    names = []
    for attachment in parsed.attachments:
        save_attachment(
            ctx.session,
            ctx.settings.data_dir,
            filename=attachment.filename,
            content_type=attachment.sniffed_type,
            data=attachment.data,
            sha256=attachment.sha256,
            now=ctx.now,
            case_id=case.id,
            inbound_id=row.id,
        )
        names.append(attachment.filename)
    return review.applicant_replied(ctx, case, actor, new_text, names)


def _refuse(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    reason: str,
    message: str,
    case: Case | None = None,
    template: str = "command_error",
) -> Verdict:
    sender = parsed.from_address
    if sender:
        context: dict[str, Any] = {
            "problem": message,
            "help_text": HELP_TEXT,
            "reference": case.reference if case else None,
            "expects_reply": False,
            "subject": parsed.subject or "",
        }
        reply_once_a_day(
            ctx.session,
            ctx.settings,
            address=sender,
            reason=reason,
            template=template,
            context=context,
            now=ctx.now,
            case=case,
            in_reply_to=parsed.message_id,
        )
    return Verdict(InboundOutcome.REFUSED, reason, message, case.id if case else None)


def _bounce(ctx: ServiceContext, failed: Sequence[str]) -> Verdict:
    """Mark the addresses we know as undeliverable and tell the admins, once per bounce."""
    from models.services.assignment import admins
    from models.services.outbox import enqueue

    marked, cases = [], []
    for address in failed:
        person = ctx.session.scalar(select(Person).where(Person.email == address.lower()))
        if person is None:
            continue
        person.email_bounced_at = ctx.now
        marked.append(person.email)
        cases += [
            (c.reference, c.status.value)
            for c in ctx.session.scalars(select(Case).where(Case.applicant_id == person.id))
            if c.status not in CLOSED_STATUSES
        ]
    to = [a.email for a in admins(ctx.session)]
    if marked and to:
        enqueue(
            ctx.session,
            ctx.settings,
            template="bounce_notice",
            to=to,
            now=ctx.now,
            context={
                "addresses": marked,
                "cases": cases,
                "expects_reply": False,
                "reference": None,
            },
        )
    return Verdict(
        InboundOutcome.BOUNCE, "bounced", f"{len(marked)} known address(es) marked undeliverable"
    )


def _unmatched(ctx: ServiceContext, parsed: ParsedMessage, row: InboundMessage) -> Verdict:
    """No token, no thread, no tag: a new submission by email, or a stranger."""
    from models.services.email_intake import submission_from_email

    return submission_from_email(ctx, parsed, row)


def is_staff_address(ctx: ServiceContext, address: str) -> bool:
    return ctx.session.scalar(select(Staff.id).where(Staff.email == address)) is not None


def form_kind_of(data: dict[str, Any]) -> CaseKind:
    return CaseKind.PROVIDER if "organization" in data else CaseKind.PREAPPROVAL


def load_json(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
