"""Staff absences by email: `AWAY UNTIL date` / `BACK` to the office address, and a
reviewer's out-of-office reply to one of our task emails (recorded, never answered)."""

from __future__ import annotations

from mailbox.classify import dmarc_pass
from mailbox.commands import CommandError, parse_office_command
from mailbox.parse import ParsedMessage
from mailbox.quoting import trim_reply

from models.enums import Channel, InboundOutcome
from models.services.absence import away_by_email, away_from_auto_reply
from models.services.context import ServiceContext
from models.services.email.handled import Handled
from models.services.email.matching import find_token
from models.services.email.replies import refuse
from models.services.errors import UserError
from models.services.staff import staff_by_address
from models.services.timeline import Actor

INACTIVE = "this address no longer acts for the office"


def verified_staff(ctx: ServiceContext, parsed: ParsedMessage) -> bool:
    """DMARC pass, when the deployment trusts its receiving server's verdict."""
    trusted = ctx.settings.trusted_authserv_id
    return not trusted or dmarc_pass(parsed, trusted)


def is_active_staff(ctx: ServiceContext, address: str) -> bool:
    staff = staff_by_address(ctx.session, address)
    return staff is not None and staff.active


def out_of_office(ctx: ServiceContext, parsed: ParsedMessage) -> Handled | None:
    """A reviewer's auto-reply to one of our task emails: recorded away, their work moved.
    Only the person the task email went to counts (From checked as for decisions)."""
    token, problem, by_subject = find_token(ctx, parsed)
    if token is None or problem or by_subject or "REPLY" in token.allowed.split():
        return None
    if parsed.from_address != token.recipient or not verified_staff(ctx, parsed):
        return None
    staff = staff_by_address(ctx.session, token.recipient)
    if staff is None or not staff.active:
        return None
    actor = Actor(staff.email, Channel.EMAIL, parsed.message_id)
    report = away_from_auto_reply(ctx, staff, parsed.text or "", actor)
    detail = (
        f"recorded away until {report.until}; {len(report.moved)} task(s) handed over"
        if report.changed
        else "already recorded away"
    )
    return Handled(InboundOutcome.IGNORED, "out_of_office", detail, token.case_id)


def office_command(ctx: ServiceContext, parsed: ParsedMessage) -> Handled | None:
    """`AWAY UNTIL date` / `BACK` from a staff member to the office address; None when the
    message is not one (a submission or a stranger, handled elsewhere)."""
    staff = staff_by_address(ctx.session, parsed.from_address or "")
    if staff is None:
        return None
    try:
        command = parse_office_command(trim_reply(parsed.text or ""))
    except CommandError as exc:
        return refuse(ctx, parsed, exc.reason_code, exc.message)
    if command is None:
        return None
    if not staff.active:
        return refuse(ctx, parsed, "staff_inactive", INACTIVE)
    if not verified_staff(ctx, parsed):
        return refuse(
            ctx,
            parsed,
            "dmarc_unverified",
            "AWAY and BACK need mail our server can verify (DMARC); "
            "ask an admin to run `pdu staff away` or `pdu staff back`",
        )
    actor = Actor(staff.email, Channel.EMAIL, parsed.message_id)
    try:
        with ctx.all_or_nothing():
            report = away_by_email(ctx, staff, command.until, actor)
    except UserError as exc:
        ctx.session.expire_all()
        return refuse(ctx, parsed, "command_failed", str(exc))
    if command.until is None:
        return Handled(InboundOutcome.APPLIED, "back", "recorded back at work")
    return Handled(
        InboundOutcome.APPLIED,
        "away",
        f"away until {command.until}; {len(report.moved)} task(s) handed over",
    )
