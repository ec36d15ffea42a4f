"""A new submission by email: a JSON attachment or the filled-in `Field: value` form."""

from __future__ import annotations

import json
from mailbox.parse import ParsedMessage
from mailbox.quoting import trim_reply
from typing import Any

from sqlalchemy import select

from models.cases import Case
from models.enums import CaseKind, Channel, InboundOutcome
from models.forms import FORM_TEMPLATE_PREAPPROVAL, FORM_TEMPLATE_PROVIDER, parse_field_form
from models.messages import InboundMessage
from models.provider_requests import recognise_request, request_menu
from models.services.context import ServiceContext
from models.services.email.handled import Handled
from models.services.email.replies import problems_reply, reply_once_a_day
from models.services.email.requests import request_from_email
from models.services.intake import submit
from models.services.timeline import Actor


def _load_json(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _form_kind_of(data: dict[str, Any]) -> CaseKind:
    return CaseKind.PROVIDER if "organization" in data else CaseKind.PREAPPROVAL


def _form_from(parsed: ParsedMessage) -> tuple[CaseKind, dict[str, Any]] | None:
    for attachment in parsed.attachments:
        if attachment.sniffed_type == "application/json" or attachment.filename.endswith(".json"):
            data = _load_json(attachment.data)
            if data is not None:
                return _form_kind_of(data), data
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
) -> Handled:
    sender = parsed.from_address or ""
    request = recognise_request(parsed.subject or "", trim_reply(parsed.text or ""))
    if request is not None:  # a provider's account request or opportunity (subject or form)
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
        return Handled(
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
    case_id = ctx.session.scalar(select(Case.id).where(Case.reference == result.reference))
    detail = result.reference or ""
    return Handled(
        InboundOutcome.SUBMISSION,
        "submitted" if result.created else "duplicate_submission",
        detail,
        case_id,
        sender,
    )


def _problems(
    ctx: ServiceContext, parsed: ParsedMessage, problems: list[str], reason: str
) -> Handled:
    return problems_reply(ctx, parsed, problems, reason, "form_problems", {})
