"""Provider registrations: an organisation applies to become an approved PDU provider.

Same review machinery as pre-approvals (routing, seven business days, ladder, commands by
email); only what happens before review (already in the directory?) and on approval
(directory entry, account, welcome) is particular to providers.
"""

from __future__ import annotations

from sqlalchemy import select

from models.accounts import ProviderAccount
from models.cases import Case
from models.enums import CaseKind, ProviderStatus
from models.forms import ProviderForm
from models.providers import Provider
from models.services.casework import email_applicant, new_case, start_review, upsert_person
from models.services.context import ServiceContext
from models.services.directory import add_provider, directory_entries, renew_provider
from models.services.provider_accounts import new_setup_code
from models.services.timeline import Actor, record_action, transition
from models.triage import explain_match
from models.usernames import make_username
from models.workflow import Event


def new_registration(ctx: ServiceContext, form: ProviderForm, key: str, actor: Actor) -> Case:
    manager = form.manager
    applicant = upsert_person(
        ctx, str(manager.email), manager.first_name, manager.last_name, phone=manager.phone
    )
    case = new_case(ctx, CaseKind.PROVIDER, form, key, actor, applicant)
    match = explain_match(form.organization.name, directory_entries(ctx.session))
    system = Actor.system(actor.channel)
    if match.entry is None:
        note = f"'{form.organization.name}' is not in the approved provider directory"
        start_review(ctx, case, system, note)
        return case
    entry = match.entry
    known = ctx.session.get(Provider, entry.id)
    if known is not None and known.status is not ProviderStatus.APPROVED:
        # Told to reapply (or suspended, withdrawn): the new registration is reviewed, and
        # on approval the existing entry is renewed, keeping its number.
        case.provider_id = known.id
        note = (
            f"matches directory entry {known.number} '{known.name}' ({match.how}), which is "
            f"{known.status.value.replace('_', ' ')}: approving renews it under the same number"
        )
        start_review(ctx, case, system, note)
        return case
    transition(
        case,
        Event.TRIAGE_REDIRECT,
        system,
        ctx.now,
        f"already an approved provider: matched directory entry '{entry.name}' ({match.how})",
        retain_years=ctx.settings.retention_years_for(case.kind),
    )
    case.provider_id = entry.id
    email_applicant(
        ctx,
        case,
        "provider_exists",
        reply=False,
        organization_name=form.organization.name,
        provider_name=entry.name,
        contact_name=entry.contact_name,
        contact_email=entry.contact_email,
        access_address=ctx.settings.mail_address,
    )
    return case


def on_approved(ctx: ServiceContext, case: Case, actor: Actor) -> None:
    """The organisation enters the directory; its account manager gets an account."""
    form = ProviderForm.model_validate(
        {k: v for k, v in case.form.items() if k in ProviderForm.model_fields}
    )
    organization, manager = form.organization, form.manager
    details = {
        "contact_name": f"{manager.first_name} {manager.last_name}",
        "phone": manager.phone,
        "address": organization.address,
        "website": str(organization.website) if organization.website else None,
    }
    existing = ctx.session.get(Provider, case.provider_id) if case.provider_id else None
    if existing is not None:  # a reapplication: the same entry and number, renewed
        provider = renew_provider(
            ctx.session, existing, organization.name, str(manager.email), organization.kind,
            ctx.now, **details,
        )  # fmt: skip
    else:
        provider = add_provider(
            ctx.session, organization.name, str(manager.email), ctx.now, organization.kind,
            **details,
        )  # fmt: skip
    case.provider_id = provider.id
    account = ctx.session.scalar(
        select(ProviderAccount).where(
            ProviderAccount.provider_id == provider.id,
            ProviderAccount.person_id == case.applicant_id,
        )
    )
    if account is None:
        taken = set(ctx.session.scalars(select(ProviderAccount.username)))
        account = ProviderAccount(
            username=make_username(manager.first_name, manager.last_name, taken),
            provider_id=provider.id,
            person_id=case.applicant_id,
            is_manager=True,
            created_at=ctx.now,
        )
        ctx.session.add(account)
    code = new_setup_code(ctx, account)  # a re-registration's manager gets a fresh one
    username = account.username
    record_action(
        case,
        "provider_added",
        actor,
        ctx.now,
        f"{provider.number} {provider.name}; account {username}",
    )
    email_applicant(
        ctx,
        case,
        "provider_welcome",
        reply=False,
        organization_name=organization.name,
        provider_number=provider.number,
        username=username,
        setup_url=f"{ctx.settings.public_url.rstrip('/')}/account/setup?code={code}",
        setup_code=code,
        setup_expires_at=account.setup_expires_at,
    )
