"""A command in a reply (APPROVE 6, DENY, INFO, ACCEPT, WITHDRAW, an applicant's answer)
applied through the review use cases, inside the caller's transaction."""

from __future__ import annotations

from datetime import timedelta
from mailbox.classify import dmarc_pass
from mailbox.commands import Command, CommandError, parse_command
from mailbox.parse import ParsedMessage
from mailbox.quoting import trim_reply

from models.cases import Case, ReviewTask
from models.enums import Channel, InboundOutcome
from models.messages import InboundMessage, ReplyToken
from models.services import review
from models.services.attachments import forget_unkept, save_vetted
from models.services.context import ServiceContext
from models.services.email.absences import INACTIVE, is_active_staff
from models.services.email.handled import Handled
from models.services.email.matching import find_token, parse_stored
from models.services.email.replies import refuse
from models.services.errors import UserError
from models.services.outbox import enqueue
from models.services.timeline import Actor
from models.services.tokens import allows, issue_token


def act(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    row: InboundMessage,
    token: ReplyToken,
    case: Case,
    *,
    confirmed: bool = False,
    by_subject: bool = False,
) -> Handled:
    actor = Actor(parsed.from_address or "", Channel.EMAIL, parsed.message_id)
    new_text = trim_reply(parsed.text or "")
    is_staff = "REPLY" not in token.allowed.split()
    try:
        command = parse_command(new_text)
    except CommandError as exc:
        if is_staff:
            return refuse(ctx, parsed, exc.reason_code, exc.message, case)
        command = None  # an applicant's "Info: agenda attached" is just their answer
    if command is not None and not is_staff and not allows(token, command.verb.value):
        command = None
    if by_subject and (is_staff or command is not None):
        # Matched only by "[PA-2026-00042]" in the subject: references are sequential, so
        # anyone could write one. Only an applicant's answer may come this way.
        return refuse(
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
        return refuse(
            ctx,
            parsed,
            "attachment_refused",
            f"these attachments were refused: {names}. Attach PDF, JPEG or PNG "
            f"files up to {ctx.settings.max_attachment_bytes // 2**20} MB each.",
            case,
        )
    verb = command.verb.value if command else ("REPLY" if not is_staff else None)
    if verb is None:
        return refuse(
            ctx,
            parsed,
            "unknown_command",
            "the first line of your reply is not a command we know",
            case,
        )
    if not allows(token, verb):
        return refuse(
            ctx,
            parsed,
            "command_not_allowed",
            f"{verb} is not something this reply address can do",
            case,
        )
    if is_staff and not is_active_staff(ctx, token.recipient):
        return refuse(ctx, parsed, "staff_inactive", INACTIVE, case)
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
            return refuse(
                ctx,
                parsed,
                "token_used",
                "this task was already decided",
                case,
                template="already_decided",
            )
        task = case.open_task
        if task is None or token.task_id != task.id or task.assignee.email != token.recipient:
            return refuse(
                ctx,
                parsed,
                "token_used",
                "this task was already decided or reassigned",
                case,
                template="already_decided",
            )
    try:
        with ctx.all_or_nothing():  # a refused command leaves no trace at all
            done = _dispatch(ctx, case, actor, verb, command, new_text, parsed, row)
    except UserError as exc:
        ctx.session.expire_all()
        _forget_files(ctx, parsed)
        return refuse(ctx, parsed, "command_failed", str(exc), case)
    if verb in review.DECISION_VERBS:
        token.used_at = ctx.now
    outcome = InboundOutcome.APPLIED if is_staff or verb == "WITHDRAW" else InboundOutcome.REPLY
    return Handled(outcome, done.action, done.detail, case.id)


def _forget_files(ctx: ServiceContext, parsed: ParsedMessage) -> None:
    """Files written for a command that was then refused: removed unless kept for another."""
    forget_unkept(ctx.session, ctx.settings.data_dir, [a.sha256 for a in parsed.attachments])


def _hold(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    row: InboundMessage,
    token: ReplyToken,
    case: Case,
    verb: str,
) -> Handled:
    """No DMARC pass: the From may be forged. The decision waits until the reviewer confirms
    from their own mailbox with a fresh token only that mailbox has seen."""
    task = ctx.session.get(ReviewTask, token.task_id) if token.task_id else None
    confirm = issue_token(
        ctx.session,
        case=case,
        recipient=token.recipient,
        allowed={"CONFIRM"},
        now=ctx.now,
        ttl=timedelta(days=2),
        secret_key=ctx.settings.current_key,
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
    return Handled(
        InboundOutcome.HELD, "dmarc_unverified", f"{verb} held until the reviewer confirms", case.id
    )


def _confirm(ctx: ServiceContext, token: ReplyToken, case: Case, row: InboundMessage) -> Handled:
    """Apply the held decision as if it had just arrived, now that its sender is proven."""
    held = ctx.session.get(InboundMessage, token.held_inbound_id) if token.held_inbound_id else None
    if held is None or held.raw is None or token.used_at is not None:
        return Handled(
            InboundOutcome.REFUSED,
            "nothing_to_confirm",
            "no held decision for this reply address",
            case.id,
        )
    token.used_at = ctx.now
    parsed = parse_stored(ctx, held.raw)
    original, _problem, _weak = find_token(ctx, parsed)
    if original is None or original.recipient != token.recipient:
        return Handled(
            InboundOutcome.REFUSED,
            "nothing_to_confirm",
            "the held decision's reply address is gone",
            case.id,
        )
    verdict = act(ctx, parsed, held, original, case, confirmed=True)
    held.detail = f"confirmed by message {row.id}: {verdict.outcome.value} {verdict.reason}"
    return Handled(verdict.outcome, f"{verdict.reason} (confirmed)", verdict.detail, case.id)


def _dispatch(
    ctx: ServiceContext,
    case: Case,
    actor: Actor,
    verb: str,
    command: Command | None,
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
    names = save_vetted(
        ctx.session,
        ctx.settings.data_dir,
        parsed.attachments,
        now=ctx.now,
        case_id=case.id,
        inbound_id=row.id,
    )
    return review.applicant_replied(ctx, case, actor, new_text, names)
