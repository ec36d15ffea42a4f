"""A new submission by email: a JSON attachment or the filled-in `Field: value` form."""

from __future__ import annotations

import hashlib
from mailbox.parse import ParsedMessage
from mailbox.quoting import trim_reply
from typing import Any

from models.enums import CaseKind, Channel, InboundOutcome
from models.forms import FORM_TEMPLATE_PREAPPROVAL, FORM_TEMPLATE_PROVIDER, parse_field_form
from models.messages import InboundMessage
from models.provider_requests import recognise_request, request_menu
from models.services.context import ServiceContext
from models.services.error_replies import reply_once_a_day
from models.services.inbound_rules import Verdict, form_kind_of, load_json
from models.services.intake import submit
from models.services.timeline import Actor


def _form_from(parsed: ParsedMessage) -> tuple[CaseKind, dict[str, Any]] | None:
    for attachment in parsed.attachments:
        if attachment.sniffed_type == "application/json" or attachment.filename.endswith(".json"):
            data = load_json(attachment.data)
            if data is not None:
                return form_kind_of(data), data
    text = trim_reply(parsed.text or "")
    for kind in (CaseKind.PROVIDER, CaseKind.PREAPPROVAL):
        data = parse_field_form(kind.value, text)
        if data:
            return kind, data
    return None


def _applicant_email(kind: CaseKind, data: dict[str, Any]) -> str:
    section = data.get("manager" if kind is CaseKind.PROVIDER else "educator") or {}
    return str(section.get("email") or "").strip().lower()


def submission_from_email(
    ctx: ServiceContext, parsed: ParsedMessage, row: InboundMessage
) -> Verdict:
    sender = parsed.from_address or ""
    request = recognise_request(parsed.subject or "", trim_reply(parsed.text or ""))
    if request is not None:  # a provider's account request or opportunity (subject or form)
        from models.services.provider_requests import request_from_email

        return request_from_email(ctx, parsed, request)
    found = _form_from(parsed)
    if found is None:
        reply_once_a_day(
            ctx.session,
            ctx.settings,
            address=sender,
            reason="form_template",
            now=ctx.now,
            template="form_template",
            require_known=False,
            in_reply_to=parsed.message_id,
            context={
                "expects_reply": False,
                "reference": None,
                "form_text": FORM_TEMPLATE_PREAPPROVAL,
                "provider_form_text": FORM_TEMPLATE_PROVIDER,
                "request_types": request_menu(),
            },
        )
        return Verdict(
            InboundOutcome.IGNORED, "no_form", "the form template was sent", sender=sender
        )
    kind, data = found
    claimed = _applicant_email(kind, data)
    if claimed and claimed != sender:
        return _problems(
            ctx,
            parsed,
            [
                f"the form's email address ({claimed}) must be the address you write from; "
                "nobody can apply for someone else by email"
            ],
            "sender_mismatch",
        )
    result = submit(ctx, kind, data, Actor(sender, Channel.EMAIL, parsed.message_id))
    if not result.ok:
        return _problems(ctx, parsed, [p.message for p in result.problems], "form_invalid")
    from sqlalchemy import select

    from models.cases import Case

    case_id = ctx.session.scalar(select(Case.id).where(Case.reference == result.reference))
    detail = result.reference or ""
    return Verdict(
        InboundOutcome.SUBMISSION,
        "submitted" if result.created else "duplicate_submission",
        detail,
        case_id,
        sender,
    )


def _problems(
    ctx: ServiceContext, parsed: ParsedMessage, problems: list[str], reason: str
) -> Verdict:
    return problems_reply(ctx, parsed, problems, reason, "form_problems", {})


def problems_reply(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    problems: list[str],
    reason: str,
    template: str,
    context: dict[str, Any],
) -> Verdict:
    """Refuse a form: ONE reply listing every problem (the same problems at most once a day
    to the same sender), and the problems recorded as the message's outcome."""
    sender = parsed.from_address or ""
    fingerprint = hashlib.sha256("\n".join(problems).encode()).hexdigest()[:12]
    reply_once_a_day(
        ctx.session,
        ctx.settings,
        address=sender,
        reason=f"{reason}:{fingerprint}",
        template=template,
        require_known=False,
        now=ctx.now,
        in_reply_to=parsed.message_id,
        context={"problems": problems, "expects_reply": False, "reference": None} | context,
    )
    return Verdict(InboundOutcome.REFUSED, reason, "; ".join(problems)[:2000], sender=sender)
