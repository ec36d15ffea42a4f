"""Cases from approved providers: account access, a changed email address, a new account
manager (AR- cases), and opportunities to share on the portal (OP- cases).

Each is reviewed with the review machinery (`models.services.casework`): routed to a
reviewer, seven business days, reminders and escalations by the sweep, APPROVE / DENY /
INFO / REASSIGN. This module adds what is particular to them: the notes the reviewer sees
(who sent it, whether that is confirmed, what the request would change) and what an
approval changes. Who may send which request is the channel's check
(`models.services.email.requests`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts import ProviderAccount
from models.cases import Case
from models.enums import CaseKind, Channel
from models.people import Person, Staff
from models.provider_requests import (
    SENDER_CONFIRMED,
    SPECS,
    VERIFY_SENDER,
    AccessRequest,
    EmailChangeRequest,
    ManagerChangeRequest,
    OpportunityRequest,
    RequestForm,
    RequestSpec,
    RequestType,
    listing,
    load_request,
    opportunity_flags,
    request_key,
    stored_form,
    validate_request,
    when,
)
from models.providers import Provider
from models.services.casework import new_case, start_review, upsert_person
from models.services.context import ServiceContext
from models.services.opportunities import list_opportunity
from models.services.outbox import enqueue
from models.services.provider_accounts import (
    Contact,
    account_of,
    accounts_of,
    current_manager,
    move_account_address,
    new_setup_code,
    open_account,
    provider_addresses,
)
from models.services.summaries import case_summary
from models.services.timeline import Actor, record_action

log = logging.getLogger(__name__)


def open_request(
    ctx: ServiceContext,
    spec: RequestSpec,
    form: RequestForm,
    key: str,
    provider: Provider,
    how: str,
    *,
    sender: str,
    display: str,
    authenticated: bool,
    message_id: str | None,
    channel: Channel = Channel.EMAIL,
) -> Case:
    """Open the case with the reviewer's notes and route it (the caller's transaction)."""
    manager = current_manager(ctx.session, provider)
    account = (
        account_of(ctx.session, provider.id, form.current_email)
        if isinstance(form, EmailChangeRequest)
        else None
    )
    confirmed_addresses = (
        provider_addresses(ctx.session, provider)
        if isinstance(form, OpportunityRequest)
        else {manager.email}
    )
    confirmed = authenticated and sender in confirmed_addresses
    actor = Actor(sender, channel, message_id)
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
        ctx, case, Actor.system(actor.channel), "; ".join(n.replace("; ", ", ") for n in notes)
    )
    return case


def share_from_portal(
    ctx: ServiceContext, provider: Provider, sender: str, data: dict[str, Any]
) -> tuple[Case | None, list[str]]:
    """An opportunity to share, from a signed-in user of the provider's account: the same
    form, rules, flags and review as the email request (an OP- case); the user's address
    is one of the provider's, so the sender is confirmed. (case, []) or (None, problems)."""
    spec = SPECS[RequestType.OPPORTUNITY]
    form, problems = validate_request(spec, data | {"organization": provider.number})
    if form is None:
        return None, [p.message for p in problems]
    key = request_key(spec, form, sender)
    existing = ctx.session.scalar(select(Case).where(Case.submission_key == key))
    if existing is not None:
        return existing, []
    case = open_request(
        ctx, spec, form, key, provider, "the provider portal's account", sender=sender,
        display="", authenticated=True, message_id=None, channel=Channel.WEB,
    )  # fmt: skip
    return case, []


def shared_by(session: Session, provider_id: int) -> list[tuple[str, str, str, str]]:
    """The provider's requests to share: (reference, title, status, listing), newest first."""
    rows = []
    for case in session.scalars(
        select(Case)
        .where(Case.kind == CaseKind.OPPORTUNITY, Case.provider_id == provider_id)
        .order_by(Case.id.desc())
    ):
        _, form = load_request(case.form)
        assert isinstance(form, OpportunityRequest)
        rows.append((case.reference, form.title, str(case.status), listing(form)))
    return rows


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
        existing = account_of(session, provider.id, form.email)
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
        taken = account_of(session, provider.id, form.new_email)
        if taken is not None:
            notes.append(f"{form.new_email} already has account {taken.username} here")
        return notes
    if isinstance(form, ManagerChangeRequest):
        existing = account_of(session, provider.id, form.email)
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
        assert isinstance(form, OpportunityRequest)  # an activity report has no case
        _share(ctx, case, form, provider, actor)


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
    person, account, code, new_account = _account_for(ctx, provider, form, is_manager=False)
    action = "account_added" if new_account else "account_setup_code"
    record_action(case, action, actor, ctx.now, f"{account.username} for {person.email}")
    _welcome(ctx, case, provider, person, account, code, new_account=new_account)
    _tell_of_change(ctx, case, actor, person, account, manager.email, previous_manager=None)


def _account_for(
    ctx: ServiceContext,
    provider: Provider,
    form: AccessRequest | ManagerChangeRequest,
    *,
    is_manager: bool,
) -> tuple[Person, ProviderAccount, str | None, bool]:
    """The form's person and their account at the provider, opened if they had none.
    Returns (person, account, a one-time setup code or None, whether the account is new);
    a user who already has an account gets a fresh code only when asking for access."""
    person = upsert_person(ctx, form.email, form.first_name, form.last_name, phone=form.phone)
    ctx.session.flush()
    account = account_of(ctx.session, provider.id, person.email)
    if account is None:
        account, code = open_account(ctx, provider, person, is_manager=is_manager)
        return person, account, code, True
    # Already a user: a fresh code lets them back in (access); a new manager keeps theirs.
    return person, account, None if is_manager else new_setup_code(ctx, account), False


def _tell_of_change(
    ctx: ServiceContext,
    case: Case,
    actor: Actor,
    person: Person,
    account: ProviderAccount,
    manager_email: str,
    *,
    previous_manager: str | None,
) -> None:
    """The account manager (the previous one, on a change) and whoever asked hear of it."""
    applicant = case.applicant.email if case.applicant else ""
    _send(
        ctx,
        case,
        "account_changed_notice",
        [a for a in (manager_email, applicant) if a != person.email],
        person_name=person.full_name,
        person_email=person.email,
        username=account.username,
        previous_manager=previous_manager,
        **_contact_at_opi(ctx, actor),
    )


def _change_email(
    ctx: ServiceContext, case: Case, form: EmailChangeRequest, provider: Provider, actor: Actor
) -> None:
    old, new = form.current_email, form.new_email
    # Idempotent: an account that already moved (a twin request) is found by its new address.
    account = account_of(ctx.session, provider.id, old) or account_of(ctx.session, provider.id, new)
    if account is None:
        record_action(
            case, "account_not_found", actor, ctx.now, f"no account of {old}: nothing changed"
        )
        log.warning("%s: approved, but no account uses the old address", case.reference)
        return
    move_account_address(ctx, provider, account, old, new)
    record_action(
        case, "account_email_changed", actor, ctx.now, f"{account.username}: {old} to {new}"
    )
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
    person, account, code, new_account = _account_for(ctx, provider, form, is_manager=True)
    for other in accounts_of(ctx.session, provider.id):
        # Previous managers keep a user account; staff close it if they have left.
        other.is_manager = other is account
    account.is_manager = True
    provider.contact_name = person.full_name
    provider.contact_email = person.email
    provider.contact_phone = form.phone
    record_action(
        case,
        "account_manager_changed",
        actor,
        ctx.now,
        f"{previous.email} to {person.email} ({account.username})",
    )
    _welcome(ctx, case, provider, person, account, code, new_account=new_account)
    _tell_of_change(
        ctx, case, actor, person, account, previous.email, previous_manager=previous.name
    )


def _share(
    ctx: ServiceContext, case: Case, form: OpportunityRequest, provider: Provider, actor: Actor
) -> None:
    record_action(case, "opportunity_shared", actor, ctx.now, f"{form.title} ({listing(form)})")
    list_opportunity(ctx, case, form, provider)
    _send(
        ctx,
        case,
        "opportunity_shared",
        [case.applicant.email if case.applicant else form.contact_email],
        title=form.title,
        listing=listing(form),
        when=when(form),
        portal_url=f"{ctx.settings.public_url.rstrip('/')}/opportunities",
        contact_name=form.contact_name,
        contact_email=form.contact_email,
    )
