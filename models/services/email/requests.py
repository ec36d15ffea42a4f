"""A provider's request by email (account access, email change, new manager, opportunity)
or activity report: recognised, read and checked here, then handed to the use cases.

Who may send what (a third party is refused with an explanation, before any case exists):
- access: the person to add, or the provider's current account manager;
- email change: the account's current or new address, or the account manager;
- manager change: the new manager, or the current account manager;
- opportunity: anyone; the provider's own addresses count as confirmed;
- activity report: only the provider's own addresses (`models.services.email.reports`).
Triage records on the case whether the sender is confirmed (the account manager's address,
DMARC-aligned when `PDU_TRUSTED_AUTHSERV_ID` is set). Every other request is marked
STAFF VERIFICATION REQUIRED in the reviewer's task, naming whom to call.
"""

from __future__ import annotations

from mailbox.classify import dmarc_pass
from mailbox.parse import ParsedMessage
from mailbox.quoting import trim_reply

from sqlalchemy import select

from models.activity_reports import ActivityReport
from models.cases import Case
from models.enums import InboundOutcome
from models.provider_requests import (
    SPECS,
    AccessRequest,
    EmailChangeRequest,
    ManagerChangeRequest,
    OpportunityRequest,
    RequestForm,
    RequestSpec,
    RequestType,
    parse_request_form,
    request_key,
    validate_request,
)
from models.services.context import ServiceContext
from models.services.email.handled import Handled
from models.services.email.replies import refuse_request
from models.services.email.reports import report_from_email
from models.services.provider_accounts import (
    Contact,
    account_of,
    current_manager,
    resolve_provider,
)
from models.services.request_cases import open_request


def request_from_email(ctx: ServiceContext, parsed: ParsedMessage, spec: RequestSpec) -> Handled:
    """Validate, check who may ask, then open the case and route it (one transaction)."""
    sender = (parsed.from_address or "").lower()
    data = parse_request_form(spec, trim_reply(parsed.text or ""))
    form, problems = validate_request(spec, data)
    if form is None:
        messages = [p.message for p in problems]
        return refuse_request(ctx, parsed, spec, data, messages, "form_invalid")
    label = spec.labels["organization"]
    provider, how = resolve_provider(ctx.session, form.organization)
    if provider is None:
        return refuse_request(ctx, parsed, spec, data, [f"{label}: {how}"], "unknown_provider")
    if isinstance(form, ActivityReport):  # the provider's own record: no case, no review
        return report_from_email(ctx, parsed, spec, data, form, provider)
    manager = current_manager(ctx.session, provider)
    if (
        isinstance(form, EmailChangeRequest)
        and account_of(ctx.session, provider.id, form.current_email) is None
    ):
        problem = (
            f"{spec.labels['current_email']}: no account of {provider.name} uses "
            f"{form.current_email}. Check the address, or ask for access instead "
            f"(subject: {SPECS[RequestType.ACCESS].subject})"
        )
        return refuse_request(ctx, parsed, spec, data, [problem], "unknown_account")
    allowed = _allowed_senders(form, manager)
    if allowed is not None and sender not in allowed:
        problem = (
            f"this request must come from {_who_may_send(form)} or from the account "
            f"manager of {provider.name}: nobody can ask for someone else by email"
        )
        return refuse_request(ctx, parsed, spec, data, [problem], "sender_not_allowed")

    key = request_key(spec, form, sender)
    existing = ctx.session.scalar(select(Case).where(Case.submission_key == key))
    if existing is not None:
        return Handled(
            InboundOutcome.SUBMISSION, "duplicate_submission", existing.reference, existing.id
        )
    trusted = ctx.settings.trusted_authserv_id
    authenticated = not trusted or dmarc_pass(parsed, trusted)
    # A display name showing another address ("rita@opi.example" <x@y>) never names anyone.
    display = "" if parsed.display_name_spoof else parsed.from_display
    case = open_request(
        ctx,
        spec,
        form,
        key,
        provider,
        how,
        sender=sender,
        display=display,
        authenticated=authenticated,
        message_id=parsed.message_id,
    )
    return Handled(InboundOutcome.SUBMISSION, "submitted", case.reference, case.id, sender)


def _allowed_senders(form: RequestForm, manager: Contact) -> set[str] | None:
    """The addresses that may send this request; None: anyone (an opportunity)."""
    if isinstance(form, OpportunityRequest):
        return None
    if isinstance(form, EmailChangeRequest):
        return {form.current_email, form.new_email, manager.email}
    assert isinstance(form, AccessRequest | ManagerChangeRequest)
    return {form.email, manager.email}


def _who_may_send(form: RequestForm) -> str:
    if isinstance(form, EmailChangeRequest):
        return f"the account's current address ({form.current_email}) or its new one"
    if isinstance(form, ManagerChangeRequest):
        return f"the new manager's address ({form.email})"
    assert isinstance(form, AccessRequest)
    return f"the address to be added ({form.email})"
