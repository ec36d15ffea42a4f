"""Deciding what an inbound message is and acting on it (inside the caller's transaction).

Order matters and follows Discourse / Phorge / Zulip receivers: refuse what is malformed,
ignore what is automatic, then authenticate (token, In-Reply-To, subject tag), then act.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from mailbox.classify import classify
from mailbox.limits import MessageRejected
from mailbox.parse import ParsedMessage

from sqlalchemy import select

from models.cases import Case
from models.enums import CLOSED_STATUSES, InboundOutcome
from models.messages import ErrorReply, InboundMessage
from models.people import Person
from models.services.assignment import admins, tell_admins
from models.services.context import ServiceContext
from models.services.email.absences import office_command, out_of_office
from models.services.email.batch_reads import CASE_FOR_A_REPLY
from models.services.email.commands import act
from models.services.email.handled import Handled
from models.services.email.matching import (
    find_token,
    other_case_named,
    parse_stored,
    reply_tags,
)
from models.services.email.replies import refuse
from models.services.email.rosters import roster_from_email
from models.services.email.submissions import submission_from_email

# The once-a-day ledger of error replies also keeps the admins' undeliverable notices.
UNDELIVERABLE_NOTICE = "undeliverable_notice"


def decide(ctx: ServiceContext, row: InboundMessage, parsed: ParsedMessage | Exception) -> Handled:
    """`parsed`: what `parse` made of the row (the batch is parsed before it is acted on)."""
    if isinstance(parsed, MessageRejected):
        return Handled(InboundOutcome.REFUSED, parsed.reason_code, parsed.detail)
    if isinstance(parsed, Exception):
        raise parsed  # in the message's own savepoint: its error, not its batch's
    sender, subject = parsed.from_address, parsed.subject
    verdict = _decide_parsed(ctx, parsed, row)
    return Handled(
        verdict.outcome,
        verdict.reason,
        verdict.detail,
        verdict.case_id,
        verdict.sender or sender,
        verdict.subject or subject,
    )


def parse(ctx: ServiceContext, row: InboundMessage) -> ParsedMessage | Exception:
    """The stored message parsed, or why it could not be (for `decide` to report)."""
    assert row.raw is not None
    try:
        return parse_stored(ctx, row.raw)
    except Exception as exc:  # MessageRejected, or a parser bug on hostile input
        return exc


def _decide_parsed(ctx: ServiceContext, parsed: ParsedMessage, row: InboundMessage) -> Handled:
    s = ctx.settings
    automatic = classify(
        parsed, own_addresses={s.mail_address.lower()}, loop_header_value=s.mail_domain
    )
    if automatic is not None:
        if automatic.reason == "bounce":
            return _bounce(ctx, automatic.failed_recipients)
        away = out_of_office(ctx, parsed) if automatic.auto_reply else None
        return away or Handled(InboundOutcome.IGNORED, automatic.reason)
    sender = parsed.from_address
    if not sender:
        return Handled(InboundOutcome.REFUSED, "sender_invalid", "no single valid From address")
    if len(reply_tags(ctx, parsed)) > 1:
        # Two of our reply addresses in one message: which case it is about is a guess.
        return refuse(
            ctx,
            parsed,
            "too_many_recipients",
            "the message is addressed to more than one of our reply addresses: "
            "answer each email on its own",
        )
    token, problem, by_subject = find_token(ctx, parsed)
    if problem and token is None:
        return refuse(ctx, parsed, problem, "that reply address is not known or has expired")
    if token is None:  # no token: AWAY/BACK, a provider's roster, something new, or a stranger
        assert row.raw is not None
        return (
            office_command(ctx, parsed)
            or roster_from_email(ctx, parsed, row.raw)
            or submission_from_email(ctx, parsed, row)
        )
    case = ctx.session.get(Case, token.case_id, options=CASE_FOR_A_REPLY)  # read ahead
    assert case is not None
    if sender != token.recipient:
        # No reply: the forged sender must learn nothing, the real one was not involved.
        return Handled(
            InboundOutcome.REFUSED,
            "sender_mismatch",
            "From is not the party this reply address was issued to",
            case.id,
        )
    if problem:  # expired, but the right person: tell them how to reach us
        return refuse(ctx, parsed, problem, "this reply address has expired", case)
    other = other_case_named(ctx, parsed, case)
    if other is not None:
        # Acting on the token's case when the message says it is about another would apply
        # a decision to a case its author did not mean.
        return refuse(
            ctx,
            parsed,
            "case_mismatch",
            f"this reply address belongs to {case.reference}, but the message is about "
            f"{other}: reply to our email about {other}",
            case,
        )
    if case.status in CLOSED_STATUSES:
        return refuse(
            ctx, parsed, "case_closed", f"{case.reference} is closed ({case.status.value})", case
        )
    return act(ctx, parsed, row, token, case, by_subject=by_subject)


def _bounce(ctx: ServiceContext, failed: Sequence[str]) -> Handled:
    """Mark the addresses we know as undeliverable and tell the admins, once a day per
    address (a mailbox that is gone bounces every message we send it)."""

    marked, news, cases = [], [], []
    day = ctx.today
    for address in failed:
        person = ctx.session.scalar(select(Person).where(Person.email == address.lower()))
        if person is None:
            continue
        person.email_bounced_at = ctx.now
        marked.append(person.email)
        if _first_notice_today(ctx, person.email, day):
            news.append(person.email)
            cases += [
                (c.reference, c.status.value)
                for c in ctx.session.scalars(select(Case).where(Case.applicant_id == person.id))
                if c.status not in CLOSED_STATUSES
            ]
    told_anyone = bool(news) and any(True for _ in admins(ctx.session))
    if news:
        tell_admins(
            ctx,
            "bounce_notice",
            {"addresses": news, "cases": cases, "expects_reply": False, "reference": None},
        )
    detail = f"{len(marked)} known address(es) marked undeliverable"
    if marked:
        held = len(marked) - len(news)
        told = "queued" if told_anyone else "not queued (no admin)" if news else "held back"
        detail += f"; admins' notice {told}" + (f" ({held} already notified today)" if held else "")
    return Handled(InboundOutcome.BOUNCE, "bounced", detail)


def _first_notice_today(ctx: ServiceContext, address: str, day: date) -> bool:
    """Records the day's notice for `address`; False when it already had one."""
    seen = ctx.session.scalar(
        select(ErrorReply.id).where(
            ErrorReply.address == address,
            ErrorReply.reason == UNDELIVERABLE_NOTICE,
            ErrorReply.day == day,
        )
    )
    if seen is not None:
        return False
    ctx.session.add(ErrorReply(address=address, reason=UNDELIVERABLE_NOTICE, day=day))
    return True
