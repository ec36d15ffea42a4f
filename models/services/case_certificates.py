"""A pre-approval's certificate after ACCEPT: the path rosters take, for one case.

1. `reserve` (in the decision's transaction): the facts validated and signed (an
   incomplete record refuses the ACCEPT, as before: `CertificateNotIssued`), the number
   and code reserved on the case;
2. `issue_reserved` after that commits: the PDF drawn outside any transaction (SQLite
   holds its write lock for a whole transaction: a render inside one stalls the poller),
   then recorded with the applicant's email in a short transaction of its own.
The email channel runs step 2 right after an ACCEPT commits; the sweep runs it for any
case a crash left reserved. A certificate that fails its check after rendering is not
issued: the case keeps why and the admins are told (as for a roster).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import exists, select

from models.cases import Case, TimelineEntry
from models.certificates import Certificate
from models.enums import Channel
from models.services.assignment import tell_admins
from models.services.casework import email_applicant
from models.services.context import ServiceContext
from models.services.issuing import (
    CertificateFacts,
    CertificateNotIssued,
    Prepared,
    attachment_for,
    prepare,
    record_certificate,
    render_job,
    reserve_number,
)
from models.services.timeline import Actor, record_action
from models.transcript import normalize_license
from models.uow import UnitOfWork
from models.workflow import Event


def _facts(case: Case) -> CertificateFacts:
    """What an accepted pre-approval's certificate says (OPI is the provider)."""
    assert case.applicant is not None and case.hours_granted is not None
    activity = case.form["activity"]
    hours = Decimal(case.hours_granted)
    return CertificateFacts(
        holder_name=case.applicant.full_name,
        license_number=normalize_license(case.applicant.license_number or ""),
        email=case.applicant.email,
        activity_title=activity["title"],
        activity_description=activity.get("description"),
        provider_name=None,
        start_date=date.fromisoformat(activity["start_date"]),
        end_date=date.fromisoformat(activity["end_date"]),
        hours=hours,
        hours_available=hours,
        activity_key=f"case:{case.reference}",
        case_id=case.id,
        person_id=case.applicant.id,
    )


def _prepare(ctx: ServiceContext, case: Case) -> Prepared:
    from templates.certificate_data import BlankCertificateError, CertificateLayoutError

    assert case.certificate_number and case.certificate_code and case.certificate_reserved_at
    try:
        return prepare(
            ctx,
            _facts(case),
            case.certificate_number,
            case.certificate_code,
            case.certificate_reserved_at,
        )
    except (BlankCertificateError, CertificateLayoutError) as exc:
        raise CertificateNotIssued(f"the certificate was not issued: {exc}") from exc


def reserve(ctx: ServiceContext, case: Case) -> str:
    """Step 1, inside ACCEPT's transaction: nothing is drawn yet. Returns the number."""
    case.certificate_number, case.certificate_code = reserve_number(ctx)
    case.certificate_reserved_at = ctx.now
    _prepare(ctx, case)  # validates now: an incomplete record refuses the ACCEPT
    return case.certificate_number


def issue_reserved(
    uow_factory: Callable[[], UnitOfWork], now: datetime, case_id: int | None = None
) -> list[str]:
    """Step 2 for the case (or every case) with a reserved certificate: drawn outside any
    transaction, then recorded and emailed. Returns the numbers issued."""
    with uow_factory() as work:
        ctx = ServiceContext.of(work, now)
        query = select(Case).where(
            Case.certificate_number.is_not(None),
            Case.certificate_failure.is_(None),
            ~exists().where(Certificate.number == Case.certificate_number),
        )
        if case_id is not None:
            query = query.where(Case.id == case_id)
        jobs: list[tuple[int, Prepared | Exception]] = []
        for case in work.session.scalars(query.order_by(Case.id)):
            try:
                jobs.append((case.id, _prepare(ctx, case)))
            except CertificateNotIssued as exc:
                jobs.append((case.id, exc))
    rendered: list[tuple[int, Prepared | None, str | Exception]] = []
    for reserved_case, job in jobs:  # outside any transaction
        if isinstance(job, Exception):
            rendered.append((reserved_case, None, job))
            continue
        try:
            rendered.append((reserved_case, job, render_job(job.job)))
        except Exception as exc:  # a layout or read-back failure: told, never lost
            rendered.append((reserved_case, job, exc))
    issued = []
    for reserved_case, prepared, outcome in rendered:
        with uow_factory() as work:
            if _record(ServiceContext.of(work, now), reserved_case, prepared, outcome):
                assert prepared is not None
                issued.append(prepared.number)
            work.commit()
    return issued


def _record(
    ctx: ServiceContext, case_id: int, prepared: Prepared | None, outcome: str | Exception
) -> bool:
    case = ctx.session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    number = case.certificate_number if case else None
    if case is None or number is None or case.certificate_failure is not None:
        return False
    if ctx.session.scalar(select(Certificate.id).where(Certificate.number == number)):
        return False  # recorded meanwhile by another run (the poller and the sweep)
    actor = _accepted_by(case)
    if prepared is None or isinstance(outcome, Exception):
        case.certificate_failure = str(outcome)[:2000]
        record_action(case, "certificate_not_issued", actor, ctx.now, str(outcome)[:500])
        context = {"problems": [str(outcome)], "expects_reply": False}
        tell_admins(ctx, "certificate_not_issued", context | {"reference": case.reference}, case)
        return False
    certificate = record_certificate(ctx, prepared, outcome)
    record_action(case, "certificate_issued", actor, ctx.now, certificate.number)
    email_applicant(
        ctx,
        case,
        "certificate_issued",
        reply=False,
        attachments=[attachment_for(ctx, certificate.number)],
        certificate_number=certificate.number,
        hours=certificate.hours,
        verification_code=certificate.verification_code,
    )
    return True


def _accepted_by(case: Case) -> Actor:
    """Who accepted the proof (the timeline names them): the certificate is their act."""
    entry: TimelineEntry | None = next(
        (e for e in reversed(case.timeline) if e.action == Event.ACCEPT_PROOF.value), None
    )
    if entry is None:
        return Actor.system(Channel.EMAIL)
    return Actor(entry.actor, entry.channel, entry.message_id)
