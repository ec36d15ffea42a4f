"""Requests from approved providers by email: account access, a changed email address, a new
account manager (AR- cases), and opportunities to share on the portal (OP- cases).

Each request is a case reviewed with the review machinery (`models.services.review`):
routed to a reviewer, seven business days, reminders and escalations by the sweep, APPROVE /
DENY / INFO / REASSIGN by email. This module adds only what is particular to them: who may
ask (nobody acts for someone else by email), the notes the reviewer sees, and what an
approval changes.

Who may send what (a third party is refused with an explanation, before any case exists):
- access: the person to add, or the provider's current account manager;
- email change: the account's current or new address, or the account manager;
- manager change: the new manager, or the current account manager;
- opportunity: anyone; the provider's own addresses count as confirmed;
- activity report: only the provider's own addresses (`models.services.activity_reports`).
Triage records on the case whether the sender is confirmed (the account manager's address,
DMARC-aligned when `PDU_TRUSTED_AUTHSERV_ID` is set). Every other request is marked
STAFF VERIFICATION REQUIRED in the reviewer's task, naming whom to call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from mailbox.classify import dmarc_pass
from mailbox.parse import ParsedMessage
from mailbox.quoting import trim_reply
from mailbox.tokens import new_token, token_hash
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts import ProviderAccount
from models.cases import Case
from models.enums import CaseKind, CaseStatus, Channel, InboundOutcome
from models.people import Person, Staff
from models.provider_requests import (
    CHECKLISTS,
    SENDER_CONFIRMED,
    SPECS,
    VERIFY_SENDER,
    AccessRequest,
    ActivityReport,
    EmailChangeRequest,
    ManagerChangeRequest,
    OpportunityRequest,
    RequestForm,
    RequestSpec,
    RequestType,
    approve_meaning,
    listing,
    load_request,
    opportunity_flags,
    parse_request_form,
    render_request_form,
    request_key,
    request_title,
    stored_form,
    validate_request,
    when,
)
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.directory import directory_entries, find_provider
from models.services.intake import new_case, start_review, upsert_person
from models.services.outbox import enqueue
from models.services.summaries import case_summary
from models.services.timeline import Actor, record
from models.triage import explain_match
from models.usernames import make_username

if TYPE_CHECKING:
    from models.services.inbound_rules import Verdict

log = logging.getLogger(__name__)

SETUP_CODE_TTL = timedelta(days=14)  # as for a newly approved provider's manager


# --- The provider and its people ---------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """The provider's current account manager (or, without accounts, its directory contact)."""

    email: str
    name: str
    phone: str | None
    username: str | None


def _accounts(session: Session, provider_id: int) -> list[ProviderAccount]:
    return list(
        session.scalars(
            select(ProviderAccount)
            .where(ProviderAccount.provider_id == provider_id)
            .order_by(ProviderAccount.id)
        )
    )


def _person(session: Session, person_id: int | None) -> Person | None:
    return session.get(Person, person_id) if person_id is not None else None


def _account_of(session: Session, provider_id: int, email: str) -> ProviderAccount | None:
    return session.scalar(
        select(ProviderAccount)
        .join(Person, Person.id == ProviderAccount.person_id)
        .where(ProviderAccount.provider_id == provider_id, Person.email == email.lower())
        .order_by(ProviderAccount.id)
        .limit(1)
    )


def current_manager(session: Session, provider: Provider) -> Contact:
    managers = [a for a in _accounts(session, provider.id) if a.is_manager]
    for account in reversed(managers):  # the latest manager is the current one
        person = _person(session, account.person_id)
        if person is not None:
            return Contact(person.email, person.full_name, person.phone, account.username)
    # Imported directory entries have no accounts yet: their contact is the manager.
    return Contact(
        provider.contact_email, provider.contact_name or provider.name, provider.contact_phone, None
    )


def provider_addresses(session: Session, provider: Provider) -> set[str]:
    people = [_person(session, a.person_id) for a in _accounts(session, provider.id)]
    return {provider.contact_email.lower()} | {p.email for p in people if p is not None}


def resolve_provider(session: Session, name: str) -> tuple[Provider | None, str]:
    """The approved provider a request names, and how it matched (or what is wrong)."""
    exact = find_provider(session, name)
    if exact is not None:
        how = "provider number" if exact.number == name.strip().upper() else "exact name"
        return exact, how
    match = explain_match(name, directory_entries(session))
    if match.entry is not None:
        return session.get(Provider, match.entry.id), match.how
    if match.how == "ambiguous":
        names = ", ".join(f"{c.name}" for c in match.candidates[:5])
        return None, f"matches several approved providers ({names}): give the provider number"
    return None, (
        f"no approved PDU provider is called '{name}': check the spelling or give the provider "
        "number. An organization that is not yet a provider registers first (the "
        "provider registration form)"
    )


# --- Intake: an email recognised as a request --------------------------------------------


def request_from_email(ctx: ServiceContext, parsed: ParsedMessage, spec: RequestSpec) -> Verdict:
    """Validate, check who may ask, then open the case and route it (one transaction)."""
    from models.services.inbound_rules import Verdict

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
        from models.services.activity_reports import report_from_email

        return report_from_email(ctx, parsed, spec, data, form, provider)
    manager = current_manager(ctx.session, provider)
    account = None
    if isinstance(form, EmailChangeRequest):
        account = _account_of(ctx.session, provider.id, form.current_email)
        if account is None:
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
        return Verdict(
            InboundOutcome.SUBMISSION, "duplicate_submission", existing.reference, existing.id
        )
    trusted = ctx.settings.trusted_authserv_id
    authenticated = not trusted or dmarc_pass(parsed, trusted)
    confirmed_addresses = (
        provider_addresses(ctx.session, provider)
        if isinstance(form, OpportunityRequest)
        else {manager.email}
    )
    confirmed = authenticated and sender in confirmed_addresses
    actor = Actor(sender, Channel.EMAIL, parsed.message_id)
    # A display name showing another address ("rita@opi.example" <x@y>) never names anyone.
    display = "" if parsed.display_name_spoof else parsed.from_display
    applicant = _applicant(ctx, form, sender, display)
    case = new_case(ctx, spec.type.case_kind, form, key, actor, applicant)
    case.form = stored_form(spec, form)
    case.provider_id = provider.id
    case.triage_rule = SENDER_CONFIRMED if confirmed else VERIFY_SENDER
    notes = [f"provider {provider.number} {provider.name} (matched by {how})"]
    notes.append(_sender_note(form, sender, manager, confirmed, authenticated))
    notes += _particulars(ctx, form, provider, manager, account)
    # The reviewer's notes are split on "; " (models.services.summaries.triage_notes).
    start_review(
        ctx, case, Actor.system(Channel.EMAIL), "; ".join(n.replace("; ", ", ") for n in notes)
    )
    return Verdict(InboundOutcome.SUBMISSION, "submitted", case.reference, case.id, sender)


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


def _sender_note(
    form: RequestForm, sender: str, manager: Contact, confirmed: bool, authenticated: bool
) -> str:
    if confirmed:
        if isinstance(form, OpportunityRequest):
            return f"sent by {sender}, an address of the provider"
        return f"sent by the account manager ({sender})"
    if not authenticated:
        who = f"sent from {sender}, but its From address could not be authenticated (no DMARC pass)"
    elif isinstance(form, OpportunityRequest):
        who = f"sent by {sender}, an address that is not on the provider's account"
    else:
        who = f"sent by {sender}, not the account manager"
    phone = f", {manager.phone}" if manager.phone else ""
    return (
        f"{who}: staff verification required "
        f"(the account manager is {manager.name}, {manager.email}{phone})"
    )


def _particulars(
    ctx: ServiceContext,
    form: RequestForm,
    provider: Provider,
    manager: Contact,
    account: ProviderAccount | None,
) -> list[str]:
    """What the reviewer needs to know about this request beyond the form."""
    session = ctx.session
    if isinstance(form, AccessRequest):
        existing = _account_of(session, provider.id, form.email)
        if existing is not None:
            return [f"{form.email} already has account {existing.username} at this provider"]
        return [f"{form.email} has no account at this provider yet"]
    if isinstance(form, EmailChangeRequest):
        assert account is not None
        notes = [f"account {account.username} (now {form.current_email})"]
        if form.username and form.username.casefold() != account.username.casefold():
            notes.append(
                f"the form names username {form.username}, the address's is {account.username}"
            )
        taken = _account_of(session, provider.id, form.new_email)
        if taken is not None:
            notes.append(f"{form.new_email} already has account {taken.username} here")
        return notes
    if isinstance(form, ManagerChangeRequest):
        existing = _account_of(session, provider.id, form.email)
        now_has = (
            f"already has account {existing.username}" if existing else "will get a new account"
        )
        return [f"current manager {manager.name} ({manager.email})", f"{form.email} {now_has}"]
    assert isinstance(form, OpportunityRequest)
    flags = opportunity_flags(form, ctx.today)
    notes = [f"FLAG: {flag.message}" for flag in flags]
    notes.append(
        f"portal rules: {len(flags)} flag{'s' if len(flags) != 1 else ''}"
        if flags
        else "portal rules: nothing flagged"
    )
    notes.append(f"listing: {listing(form)} ({when(form)})")
    return notes


def _applicant(ctx: ServiceContext, form: RequestForm, sender: str, display: str) -> Person:
    """Who we write to about the case: always the sender, named as the form names them."""
    if isinstance(form, AccessRequest | ManagerChangeRequest) and form.email == sender:
        return upsert_person(ctx, sender, form.first_name, form.last_name, phone=form.phone)
    if isinstance(form, EmailChangeRequest) and sender in (form.current_email, form.new_email):
        return upsert_person(ctx, sender, form.first_name, form.last_name, phone=form.phone)
    person = ctx.session.scalar(select(Person).where(Person.email == sender))
    if person is not None:
        return person  # the account manager, or someone we know: their name stays
    if isinstance(form, OpportunityRequest) and form.contact_email == sender:
        display = form.contact_name
    first, _, last = " ".join(display.split()).partition(" ")
    # Nameless (no display name): staff emails still say who it is from.
    return upsert_person(ctx, sender, first or sender, last)


def refuse_request(
    ctx: ServiceContext,
    parsed: ParsedMessage,
    spec: RequestSpec,
    data: dict[str, Any],
    problems: list[str],
    reason: str,
) -> Verdict:
    """ONE reply listing every problem, with the form as sent, ready to correct."""
    from models.services.email_intake import problems_reply

    context = {
        "request_subject": spec.subject,
        "request_purpose": spec.purpose,
        "form_text": render_request_form(spec, data),
        "reviewed": spec.reviewed,
    }
    return problems_reply(ctx, parsed, problems, reason, "provider_request_problems", context)


# --- What the emails about these cases say (models.services.summaries.case_summary) -------


def request_context(ctx: ServiceContext, case: Case) -> dict[str, Any]:
    spec, form = load_request(case.form)
    provider = ctx.session.get(Provider, case.provider_id) if case.provider_id else None
    organization = provider.name if provider else form.organization
    title = request_title(form, organization)
    checklist_title, checklist_items = CHECKLISTS[spec.type]
    staff_check = ""
    if case.triage_rule == VERIFY_SENDER and provider is not None:
        manager = current_manager(ctx.session, provider)
        phone = f", {manager.phone}" if manager.phone else ""
        source = "the provider" if isinstance(form, OpportunityRequest) else "the account manager"
        staff_check = (
            f"the sender is not confirmed as {source} (see the triage notes). Before "
            f"approving, confirm it with {manager.name} ({manager.email}{phone})."
        )
    return {
        "request_type": spec.type.value,
        "request_noun": spec.noun,
        "request_title": title,
        "organization_name": organization,
        # The shared staff emails (reminder, escalation, reassigned) name a case by it.
        "activity_title": f"{spec.subject}: {title}",
        "approve_meaning": approve_meaning(form, organization),
        "checklist_title": checklist_title,
        "checklist_items": list(checklist_items),
        "staff_check": staff_check,
    }


# --- Approval: what changes ---------------------------------------------------------------


def on_approved(ctx: ServiceContext, case: Case, actor: Actor) -> None:
    """Called by review.approve once the case is approved (same transaction)."""
    _, form = load_request(case.form)
    provider = ctx.session.get(Provider, case.provider_id)
    assert provider is not None
    if isinstance(form, AccessRequest):
        _grant_access(ctx, case, form, provider, actor)
    elif isinstance(form, EmailChangeRequest):
        _change_email(ctx, case, form, provider, actor)
    elif isinstance(form, ManagerChangeRequest):
        _change_manager(ctx, case, form, provider, actor)
    else:
        _share(ctx, case, form, provider, actor)


def _open_account(
    ctx: ServiceContext, provider: Provider, person: Person, *, is_manager: bool
) -> tuple[ProviderAccount, str]:
    """A new account with OPI's username and a one-time set-password code (hashed)."""
    taken = set(ctx.session.scalars(select(ProviderAccount.username)))
    account = ProviderAccount(
        username=make_username(person.first_name, person.last_name, taken),
        provider_id=provider.id,
        person_id=person.id,
        is_manager=is_manager,
        created_at=ctx.now,
    )
    ctx.session.add(account)
    return account, _new_setup_code(ctx, account)


def _new_setup_code(ctx: ServiceContext, account: ProviderAccount) -> str:
    code = new_token()
    account.setup_token_hash = token_hash(code, ctx.settings.current_key)
    account.setup_expires_at = ctx.now + SETUP_CODE_TTL
    return code


def _contact_at_opi(ctx: ServiceContext, actor: Actor) -> dict[str, str]:
    """Whom to write to if a change was not wanted: the reviewer who approved it."""
    staff = ctx.session.scalar(select(Staff).where(Staff.email == actor.address))
    if staff is not None:
        return {"opi_contact_name": staff.name, "opi_contact_email": staff.email}
    return {"opi_contact_name": "OPI", "opi_contact_email": ctx.settings.mail_address}


def _send(ctx: ServiceContext, case: Case, template: str, to: list[str], **context: Any) -> None:
    recipients = list(dict.fromkeys(a.lower() for a in to if a))
    if not recipients:
        return
    enqueue(
        ctx.session,
        ctx.settings,
        template=template,
        to=recipients,
        context=case_summary(ctx, case) | {"expects_reply": False} | context,
        now=ctx.now,
        case=case,
    )


def _welcome(
    ctx: ServiceContext,
    case: Case,
    provider: Provider,
    person: Person,
    account: ProviderAccount,
    code: str | None,
    *,
    new_account: bool,
) -> None:
    base = ctx.settings.public_url.rstrip("/")
    _send(
        ctx,
        case,
        "account_welcome",
        [person.email],
        recipient_first_name=person.first_name,
        provider_number=provider.number,
        username=account.username,
        is_manager=account.is_manager,
        new_account=new_account,
        setup_code=code,
        setup_url=f"{base}/account/setup?code={code}" if code else None,
        setup_expires_at=account.setup_expires_at if code else None,
    )


def _grant_access(
    ctx: ServiceContext, case: Case, form: AccessRequest, provider: Provider, actor: Actor
) -> None:
    manager = current_manager(ctx.session, provider)
    person = upsert_person(ctx, form.email, form.first_name, form.last_name, phone=form.phone)
    ctx.session.flush()
    account = _account_of(ctx.session, provider.id, person.email)
    new_account = account is None
    if account is None:
        account, code = _open_account(ctx, provider, person, is_manager=False)
    else:  # already a user: a fresh code lets them back in
        code = _new_setup_code(ctx, account)
    action = "account_added" if new_account else "account_setup_code"
    record(case, action, actor, ctx.now, f"{account.username} for {person.email}")
    _welcome(ctx, case, provider, person, account, code, new_account=new_account)
    _send(
        ctx,
        case,
        "account_changed_notice",
        [
            a
            for a in (manager.email, case.applicant.email if case.applicant else "")
            if a != person.email
        ],
        person_name=person.full_name,
        person_email=person.email,
        username=account.username,
        previous_manager=None,
        **_contact_at_opi(ctx, actor),
    )


def _change_email(
    ctx: ServiceContext, case: Case, form: EmailChangeRequest, provider: Provider, actor: Actor
) -> None:
    old, new = form.current_email, form.new_email
    # Idempotent: an account that already moved (a twin request) is found by its new address.
    account = _account_of(ctx.session, provider.id, old) or _account_of(
        ctx.session, provider.id, new
    )
    if account is None:
        record(case, "account_not_found", actor, ctx.now, f"no account of {old}: nothing changed")
        log.warning("%s: approved, but no account uses the old address", case.reference)
        return
    person = _person(ctx.session, account.person_id)
    assert person is not None
    if person.email != new:
        holder = ctx.session.scalar(select(Person).where(Person.email == new))
        if holder is None:
            person.email = new  # the person's address changed: all their mail follows
        else:
            account.person_id = holder.id  # the new address is someone's record already
    if provider.contact_email.lower() == old:
        provider.contact_email = new
    record(case, "account_email_changed", actor, ctx.now, f"{account.username}: {old} to {new}")
    applicant = case.applicant.email if case.applicant else ""
    _send(
        ctx,
        case,
        "account_email_changed",
        [old, new, applicant],
        username=account.username,
        account_holder=f"{form.first_name} {form.last_name}",
        old_email=old,
        new_email=new,
        **_contact_at_opi(ctx, actor),
    )


def _change_manager(
    ctx: ServiceContext, case: Case, form: ManagerChangeRequest, provider: Provider, actor: Actor
) -> None:
    previous = current_manager(ctx.session, provider)
    person = upsert_person(ctx, form.email, form.first_name, form.last_name, phone=form.phone)
    ctx.session.flush()
    account = _account_of(ctx.session, provider.id, person.email)
    code = None
    new_account = account is None
    if account is None:
        account, code = _open_account(ctx, provider, person, is_manager=True)
    for other in _accounts(ctx.session, provider.id):
        # Previous managers keep a user account; staff close it if they have left.
        other.is_manager = other is account
    account.is_manager = True
    provider.contact_name = person.full_name
    provider.contact_email = person.email
    provider.contact_phone = form.phone
    record(
        case,
        "account_manager_changed",
        actor,
        ctx.now,
        f"{previous.email} to {person.email} ({account.username})",
    )
    _welcome(ctx, case, provider, person, account, code, new_account=new_account)
    applicant = case.applicant.email if case.applicant else ""
    _send(
        ctx,
        case,
        "account_changed_notice",
        [a for a in (previous.email, applicant) if a != person.email],
        person_name=person.full_name,
        person_email=person.email,
        username=account.username,
        previous_manager=previous.name,
        **_contact_at_opi(ctx, actor),
    )


def _share(
    ctx: ServiceContext, case: Case, form: OpportunityRequest, provider: Provider, actor: Actor
) -> None:
    record(case, "opportunity_shared", actor, ctx.now, f"{form.title} ({listing(form)})")
    _send(
        ctx,
        case,
        "opportunity_shared",
        [case.applicant.email if case.applicant else form.contact_email],
        title=form.title,
        listing=listing(form),
        when=when(form),
        contact_name=form.contact_name,
        contact_email=form.contact_email,
    )


# --- The portal listing -------------------------------------------------------------------


def shared_opportunities(session: Session) -> list[dict[str, Any]]:
    """Opportunities approved for the portal: calendar (dated) first by date, then catalog."""
    rows = []
    cases = session.scalars(
        select(Case).where(Case.kind == CaseKind.OPPORTUNITY, Case.status == CaseStatus.COMPLETED)
    )
    for case in cases:
        _, form = load_request(case.form)
        assert isinstance(form, OpportunityRequest)
        provider = session.get(Provider, case.provider_id) if case.provider_id else None
        rows.append(
            {
                "reference": case.reference,
                "provider": provider.name if provider else form.organization,
                "provider_number": provider.number if provider else None,
                "title": form.title,
                "listing": listing(form),
                "when": when(form),
                "start_date": form.start_date.isoformat() if form.start_date else None,
                "end_date": form.end_date.isoformat() if form.end_date else None,
                "format": form.format,
                "location": form.location,
                "audience": form.audience,
                "cost": form.cost,
                "website": form.website,
                "description": form.description,
                "contact_name": form.contact_name,
                "contact_email": form.contact_email,
                "contact_phone": form.contact_phone,
                "approved_at": case.closed_at.isoformat() if case.closed_at else None,
            }
        )
    rows.sort(key=lambda r: (r["start_date"] is None, r["start_date"] or "", r["title"]))
    return rows
