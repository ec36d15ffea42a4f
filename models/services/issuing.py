"""Issuing certificates: one way to issue them (pre-approval cases, provider rosters,
corrections), and what happens to them after: listing, revocation, reissue, transcripts
(verification: `models.services.verification`; the entity: `models.certificates`).

Issuing is three steps, so that a batch can spread the middle one over processes:
1. `prepare` (in a transaction): the number, the verification code, the validated facts
   (`CertificateData.validate`: a record with an empty field is refused before anything
   is drawn) and the signed Open Badges 3.0 credential;
2. `render_job` (anywhere, no database): the PDF/A-3b with the credential embedded, read
   back by `check_not_blank` (the name, hours and number must be in its text), written
   atomically to data_dir/certificates/<number>.pdf;
3. `record_certificate` (in a transaction): the Certificate row.
`issue_certificate` runs the three in a row; `models.services.provider_events.issue_pending`
runs them over a roster, rendering in worker processes a batch at a time (`render_jobs`: one
WeasyPrint document laid out for the batch, one PDF written per certificate).
"""

from __future__ import annotations

import atexit
import base64
import gc
import hashlib
import io
import json
import multiprocessing
import multiprocessing.util
import os
import secrets
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models import credentials
from models.cases import Case
from models.certificates import MAX_REASON, Certificate
from models.data_dir import certificate_file, certificate_path
from models.enums import CertificateStatus, Channel
from models.events import Attendee, ProviderEvent
from models.people import Person
from models.services.certificate_view import view_from, view_of
from models.services.context import ServiceContext
from models.services.errors import Conflict, NotFound, UserError
from models.services.outbox import FileAttachment, enqueue
from models.services.paging import Page, in_order
from models.services.references import next_number
from models.services.verification import get_certificate
from models.transcript import Entry, Transcript, build_transcript, current_cycle, normalize_license
from templates.hours import hours_number

if TYPE_CHECKING:
    from models.settings import Settings
    from templates.certificate_data import CertificateData
    from templates.pdf import CertificateRenderer

ISSUER_NAME = "Office of Public Instruction"
ISSUER_TITLE = "Educator Licensure, Professional Development Units"
CREDENTIAL_ISSUER = "Montana Office of Public Instruction"
CREDENTIAL_DESCRIPTION = "Open Badges 3.0 credential of this certificate (signed, eddsa-jcs-2022)"
# Certificates a worker draws as one document: the saving (~20% of the CPU) is reached
# at 6; 12 is half of an issuing chunk (models.services.provider_events.CHUNK), so both workers
# share each chunk.
BATCH = 12
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed in
# Base32 puts 5 random bits in each character; this maps its 32 letters onto ours, one to one.
_FROM_BASE32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CODE_ALPHABET)


def new_verification_code() -> str:
    """80 random bits in groups of four: unguessable, easy to type from paper."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().translate(_FROM_BASE32)
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


@lru_cache(maxsize=1)
def renderer() -> CertificateRenderer:
    """One renderer per process: it keeps WeasyPrint's font configuration warm (imported
    here: WeasyPrint is slow to import, and most processes never draw a certificate)."""
    from templates.pdf import CertificateRenderer

    atexit.register(release_renderer)
    return CertificateRenderer()


def release_renderer() -> None:
    """Let go of this process's renderer while the interpreter is still whole. WeasyPrint's
    font configuration deletes its temporary font folder when collected; left to the
    interpreter's teardown, that fails ("FontConfiguration.__del__ … 'NoneType' object is
    not callable") and the folder stays in the temporary directory."""
    if renderer.cache_info().currsize:
        renderer.cache_clear()
        gc.collect()


def credential_filename(number: str) -> str:
    return f"{number}.credential.json"


def verification_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/verify/{code}"


@lru_cache(maxsize=4)
def _issuer_key(secret: str) -> Any:
    return credentials.issuer_key(secret)


def issuer_did(secret: str) -> str:
    """The deployment's issuer did:key (the public half of the key derived from the secret)."""
    return credentials.did_key(_issuer_key(secret).public_key())


def issuer_url(public_url: str) -> str:
    """Where credentials point for the issuer's profile and public keys (web/issuer.py)."""
    return f"{public_url.rstrip('/')}/issuer"


def published_issuer(settings: Settings) -> dict[str, Any]:
    """The issuer profile with its current and earlier public keys."""
    url = issuer_url(settings.public_url)
    return credentials.issuer_profile(CREDENTIAL_ISSUER, url, issuer_dids(settings.keys))


def signature_problem(settings: Settings, credential: dict[str, Any]) -> str | None:
    """None when the credential's proof verifies under the current or an earlier issuer key."""
    return credentials.check(credential, set(issuer_dids(settings.keys)))


def issuer_dids(keys: Sequence[str]) -> list[str]:
    """The issuer did:keys of the current secret and earlier ones, current first: a
    credential signed before a rotation keeps verifying against them."""
    return [issuer_did(key) for key in keys]


# --- Issuing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate will say, and what it is linked to; no number yet."""

    holder_name: str
    license_number: str
    email: str | None  # the recipient; hashed into the credential
    activity_title: str
    activity_description: str | None
    provider_name: str | None  # None: pre-approved by OPI itself
    start_date: date
    end_date: date
    hours: Decimal
    hours_available: Decimal  # the activity's full hours (partial attendance earns fewer)
    activity_key: str  # names the activity in the credential: "case:PA-…", "event:3"
    case_id: int | None = None
    event_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class RenderJob:
    """Everything a worker process needs to draw and store one certificate (picklable)."""

    data: CertificateData
    credential: bytes
    target: str


@dataclass(frozen=True)
class Prepared:
    facts: CertificateFacts
    job: RenderJob
    issued_at: datetime

    @property
    def number(self) -> str:
        return self.job.data.number

    @property
    def verification_code(self) -> str:
        return self.job.data.verification_code


def reserve_numbers(ctx: ServiceContext, count: int) -> list[tuple[str, str]]:
    """`count` new certificate numbers, each with its verification code."""
    if count < 1:
        return []
    year, first = next_number(ctx.session, "PDU", ctx.now, ctx.settings.timezone, count)
    return [(f"PDU-{year}-{n:06d}", new_verification_code()) for n in range(first, first + count)]


def reserve_number(ctx: ServiceContext) -> tuple[str, str]:
    """A new certificate number and verification code."""
    return reserve_numbers(ctx, 1)[0]


def prepare(
    ctx: ServiceContext, facts: CertificateFacts, number: str, code: str, issued_at: datetime
) -> Prepared:
    """Validate the facts (BlankCertificateError names every empty field) and sign the
    credential; nothing is drawn or stored yet."""
    from templates.certificate_data import CertificateData

    tz = ctx.tz
    url = verification_url(ctx.settings.public_url, code)
    data = CertificateData(
        holder_name=facts.holder_name,
        license_number=facts.license_number,
        activity_title=facts.activity_title,
        provider=facts.provider_name,
        start_date=facts.start_date,
        end_date=facts.end_date,
        hours=facts.hours,
        number=number,
        issue_date=issued_at.astimezone(tz).date(),
        verification_code=code,
        verification_url=url,
        issuer_name=ISSUER_NAME,
        issuer_title=ISSUER_TITLE,
    )
    data.validate()
    key = _issuer_key(ctx.settings.current_key)
    unsigned = credentials.build_credential(
        credentials.CredentialFacts(
            number=number,
            verification_url=url,
            holder_name=facts.holder_name,
            email=facts.email,
            license_number=facts.license_number,
            activity_id=f"{ctx.settings.public_url}#{facts.activity_key}",
            activity_title=facts.activity_title,
            activity_description=facts.activity_description,
            provider_name=facts.provider_name,
            activity_start=datetime.combine(facts.start_date, time(), tz),
            activity_end=datetime.combine(facts.end_date, time(), tz),
            hours=facts.hours,
            hours_available=facts.hours_available,
            issued_at=issued_at,
            issuer_name=CREDENTIAL_ISSUER,
            issuer_url=issuer_url(ctx.settings.public_url),
            salt=secrets.token_hex(16),
        ),
        key.public_key(),
    )
    signed = credentials.sign(unsigned, key, issued_at)
    target = certificate_path(ctx.settings.data_dir, number)
    return Prepared(facts, RenderJob(data, credentials.dumps(signed), str(target)), issued_at)


def render_job(job: RenderJob) -> str:
    """Draw, read back, store. Returns the PDF's SHA-256. Runs in any process."""
    return _render_with(renderer(), job)


def render_job_fresh(job: RenderJob) -> str:
    """The naive way (the benchmark's baseline): a new WeasyPrint setup per certificate."""
    from templates.pdf import CertificateRenderer

    return _render_with(CertificateRenderer(), job)


def _render_with(pdf_renderer: Any, job: RenderJob) -> str:
    return _store(job, pdf_renderer.render(job.data, attachments=_embedded(job)))


def render_jobs(jobs: list[RenderJob]) -> list[str | Exception]:
    """Draw a batch as one document (`CertificateRenderer.render_many`: ~20% less CPU than
    one at a time), then read back and store each. A certificate refused (incomplete,
    spilling, blank) has its error in its place; the others go on."""
    from templates.certificate_data import BlankCertificateError, CertificateLayoutError

    pdfs = renderer().render_many([(job.data, _embedded(job)) for job in jobs])
    outcomes: list[str | Exception] = []
    for job, pdf in zip(jobs, pdfs, strict=True):
        try:
            if isinstance(pdf, Exception):
                raise pdf
            outcomes.append(_store(job, pdf))
        except (BlankCertificateError, CertificateLayoutError) as exc:
            outcomes.append(exc)
    return outcomes


def _embedded(job: RenderJob) -> list[tuple[str, bytes, str]]:
    return [(credential_filename(job.data.number), job.credential, CREDENTIAL_DESCRIPTION)]


def _store(job: RenderJob, pdf: bytes) -> str:
    from templates.pdf import check_not_blank

    check_not_blank(pdf, job.data)  # raises: a blank certificate is never issued
    target = Path(job.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(pdf)
    os.replace(partial, target)
    return hashlib.sha256(pdf).hexdigest()


def record_certificate(
    ctx: ServiceContext, prepared: Prepared, pdf_sha256: str, *, flush: bool = True
) -> Certificate:
    facts, data = prepared.facts, prepared.job.data
    certificate = Certificate(
        number=data.number,
        verification_code=data.verification_code,
        case_id=facts.case_id,
        event_id=facts.event_id,
        person_id=facts.person_id,
        holder_name=data.holder_name,
        license_number=data.license_number or None,
        activity_title=data.activity_title,
        provider_name=facts.provider_name,
        start_date=data.start_date,
        end_date=data.end_date,
        hours=data.hours,
        issued_at=prepared.issued_at,
        status=CertificateStatus.VALID,
        pdf_sha256=pdf_sha256,
    )
    ctx.session.add(certificate)
    if flush:
        ctx.session.flush()
    return certificate


def attachment_for(ctx: ServiceContext, number: str) -> FileAttachment:
    return FileAttachment(
        path=certificate_file(number),
        filename=f"PDU certificate {number}.pdf",
        content_type="application/pdf",
    )


class CertificateNotIssued(UserError):
    """The record was incomplete or the PDF failed its read-back: nothing was issued. A
    user error, so whoever asked is told (a reviewer's ACCEPT by email gets a reply)."""


def issue_certificate(
    ctx: ServiceContext, facts: CertificateFacts
) -> tuple[Certificate, FileAttachment]:
    """Issue one certificate in this transaction, rendered in this process."""
    from templates.certificate_data import BlankCertificateError, CertificateLayoutError

    number, code = reserve_number(ctx)
    try:
        prepared = prepare(ctx, facts, number, code, ctx.now)
        certificate = record_certificate(ctx, prepared, render_job(prepared.job))
    except (BlankCertificateError, CertificateLayoutError) as exc:
        raise CertificateNotIssued(f"the certificate was not issued: {exc}") from exc
    return certificate, attachment_for(ctx, number)


# --- Rendering strategies: in this process, the naive way, or in worker processes -------


class RenderPool(Protocol):
    def submit(self, job: RenderJob) -> Future[str]: ...

    def close(self) -> None: ...


class InProcess:
    """Render here, now (small batches: a worker's start costs more than it saves)."""

    def __init__(self, fresh_setup: bool = False) -> None:
        self._render = render_job_fresh if fresh_setup else render_job

    def submit(self, job: RenderJob) -> Future[str]:
        future: Future[str] = Future()
        try:
            future.set_result(self._render(job))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def close(self) -> None:
        pass


def _warm_worker() -> None:
    renderer()  # load fonts and parse the stylesheet once, before the first job
    # WeasyPrint's modules, fonts and stylesheet live as long as the worker: out of the
    # collector's sight, its full collections stop rescanning them (~3% of the CPU).
    gc.freeze()
    # A pool's worker ends without running atexit handlers, but with these finalizers.
    multiprocessing.util.Finalize(None, release_renderer, exitpriority=10)


class _Batched(Future[str]):
    """A certificate's outcome in a batch still being filled: asking for it sends the
    batch off, so a caller never waits on a batch that is not rendering."""

    def __init__(self, pool: WorkerPool) -> None:
        super().__init__()
        self._pool = pool

    def result(self, timeout: float | None = None) -> str:
        self._pool.flush()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._pool.flush()
        return super().exception(timeout)


class WorkerPool:
    """Worker processes, each with its own warm renderer (WeasyPrint's font configuration
    is neither thread-safe nor shareable). Spawned, not forked: the parent may hold
    threads (Prefect) and connections a fork would copy mid-use.

    Jobs go to a worker `batch` at a time, drawn as one document (`render_jobs`); a
    batch leaves when full, or as soon as one of its results is asked for (call `flush()`
    before waiting with `concurrent.futures.wait`/`as_completed`, which ask nothing). `batch=1`
    renders each certificate as its own document (the benchmark's comparison)."""

    def __init__(self, workers: int, batch: int = BATCH) -> None:
        self.workers = workers
        self.batch = batch
        self._waiting: list[tuple[RenderJob, Future[str]]] = []
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_worker,
        )

    def submit(self, job: RenderJob) -> Future[str]:
        if self.batch <= 1:
            return self._executor.submit(render_job, job)
        future = _Batched(self)
        self._waiting.append((job, future))
        if len(self._waiting) >= self.batch:
            self.flush()
        return future

    def flush(self) -> None:
        """Send the waiting jobs off as one batch."""
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        futures = [future for _, future in waiting]
        try:
            batch = self._executor.submit(render_jobs, [job for job, _ in waiting])
        except Exception as exc:  # the pool is shut down or broken
            for future in futures:
                future.set_exception(exc)
            return

        def settle(batch: Future[list[str | Exception]]) -> None:
            if batch.cancelled():  # the pool closed before the batch started
                for future in futures:
                    future.cancel()
                return
            error = batch.exception()
            outcomes = batch.result() if error is None else [error] * len(futures)
            for future, outcome in zip(futures, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

        batch.add_done_callback(settle)

    def close(self) -> None:
        self.flush()
        self._executor.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# --- Reading: list (find and verify: verification.py; the view: certificate_view.py) ------


def certificate_rows(
    session: Session,
    page: Page,
    tz: ZoneInfo,
    event_id: int | None = None,
    email: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Certificates in number order (the register's), a page at a time, columns only."""
    replacement = aliased(Certificate)
    query = (
        select(
            *(getattr(Certificate, c) for c in _LISTED),
            Person.email.label("email"),
            replacement.number.label("replaced_by"),
            replacement.verification_code.label("replaced_by_code"),
        )
        .outerjoin(Person, Certificate.person_id == Person.id)
        .outerjoin(replacement, Certificate.replaced_by_id == replacement.id)
    )
    if event_id is not None:
        query = query.where(Certificate.event_id == event_id)
    if email is not None:
        query = query.where(Person.email == credentials.normalize_email(email))
    for row in in_order(session, query, Certificate.id, page, newest_first=False):
        yield view_from(row, row.email, row.replaced_by, row.replaced_by_code, tz).as_json()


def certificate_id(session: Session, number: str) -> int:
    """The id of a certificate by its number (for --after)."""
    found = session.scalar(
        select(Certificate.id).where(Certificate.number == number.strip().upper())
    )
    if found is None:
        raise NotFound(f"no certificate numbered {number}")
    return found


_LISTED = (
    "id", "number", "verification_code", "holder_name", "license_number", "hours", "status",
    "activity_title", "provider_name", "event_id", "start_date", "end_date", "issued_at",
    "revoked_at", "revoked_reason", "imported_at",
)  # fmt: skip


def credential_of(pdf: bytes) -> dict[str, Any]:
    """The signed credential embedded in a certificate PDF."""
    from pypdf import PdfReader

    try:
        attachments = PdfReader(io.BytesIO(pdf)).attachments
    except Exception as exc:  # pypdf raises many types for a broken file
        raise UserError(f"not a readable PDF ({exc})") from None
    for name, contents in attachments.items():
        if name.endswith(".credential.json") and contents:
            return dict(json.loads(contents[0]))
    raise UserError("the PDF carries no PDU credential (not one of our certificates)")


def stored_credential(ctx: ServiceContext, certificate: Certificate) -> dict[str, Any]:
    if certificate.status is CertificateStatus.DISPOSED:
        raise Conflict(f"{certificate.number} was disposed under the retention schedule")
    path = certificate_path(ctx.settings.data_dir, certificate.number)
    try:
        return credential_of(path.read_bytes())
    except FileNotFoundError:
        raise NotFound(f"the PDF of {certificate.number} is not in the data directory") from None


def code_of(credential: dict[str, Any]) -> str:
    """The verification code named by a credential (its id is the verification URL)."""
    return str(credential.get("id", "")).rstrip("/").rpartition("/")[2]


# --- Revocation and reissue ----------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("a revocation needs a reason (--reason TEXT): it is shown to verifiers")
    if len(reason) > MAX_REASON:
        raise UserError(f"the reason is longer than {MAX_REASON} characters")
    return reason


def _require_current(certificate: Certificate) -> None:
    if certificate.status is CertificateStatus.DISPOSED:
        raise Conflict(f"{certificate.number} was disposed under the retention schedule")
    if certificate.replaced_by is not None:
        raise Conflict(
            f"{certificate.number} was replaced by {certificate.replaced_by.number}: "
            "act on that one"
        )


def _timeline(
    ctx: ServiceContext, certificate: Certificate, action: str, detail: str, channel: Channel
) -> None:
    """A case's certificate changes on its timeline too (staff read the case there)."""
    if certificate.case_id is None:
        return
    from models.services.timeline import Actor, record_action

    case = ctx.session.get(Case, certificate.case_id)
    if case is not None:
        record_action(case, action, Actor.system(channel), ctx.now, detail)


def revoke(
    ctx: ServiceContext, number: str, reason: str, channel: Channel = Channel.CLI
) -> Certificate:
    """Valid → revoked; verification then answers "revoked" with the reason and date. The
    holder is told."""
    reason = _reason(reason)
    certificate = get_certificate(ctx.session, number)
    _require_current(certificate)
    if certificate.status is CertificateStatus.REVOKED:
        when = certificate.revoked_at.astimezone(ctx.tz).date() if certificate.revoked_at else ""
        raise Conflict(f"{certificate.number} was already revoked on {when}")
    certificate.revoke(ctx.now, reason)
    _timeline(ctx, certificate, "certificate_revoked", f"{certificate.number}: {reason}", channel)
    if certificate.person is not None:
        enqueue(
            ctx.session,
            ctx.settings,
            template="certificate_revoked",
            to=[certificate.person.email],
            context={
                "first_name": certificate.person.first_name,
                "certificate_number": certificate.number,
                "activity_title": certificate.activity_title,
                "reason": reason,
                "revoked_at": ctx.now,
                "timezone": ctx.settings.timezone,
                "expects_reply": False,
            },
            now=ctx.now,
            case=ctx.session.get(Case, certificate.case_id) if certificate.case_id else None,
        )
    return certificate


@dataclass(frozen=True)
class Corrections:
    """What a reissue may correct; None keeps the old certificate's value."""

    holder_name: str | None = None
    license_number: str | None = None
    hours: Decimal | None = None
    activity_title: str | None = None


def _corrected_facts(
    ctx: ServiceContext, old: Certificate, corrections: Corrections
) -> CertificateFacts:
    """The old certificate's facts with the corrections, checked against what its event
    offered or its case granted (a correction never adds hours beyond those)."""
    event = ctx.session.get(ProviderEvent, old.event_id) if old.event_id else None
    case = ctx.session.get(Case, old.case_id) if old.case_id else None
    cap: Decimal | None  # what the event offered or the case granted, if either
    if event is not None:
        cap, description, key = event.hours, event.description, f"event:{event.id}"
    elif case is not None:
        cap, key = case.hours_granted, f"case:{case.reference}"
        description = case.form.get("activity", {}).get("description")
    else:
        cap, description, key = None, None, old.number
    hours = corrections.hours if corrections.hours is not None else old.hours
    if hours <= 0 or (cap is not None and hours > cap):
        limit = f"at most {hours_number(cap)}, " if cap is not None else ""
        raise UserError(f"hours must be {limit}and more than 0, not {hours}")
    return CertificateFacts(
        holder_name=" ".join((corrections.holder_name or old.holder_name).split()),
        license_number=normalize_license(corrections.license_number or old.license_number or ""),
        email=old.person.email if old.person else None,
        activity_title=" ".join((corrections.activity_title or old.activity_title).split()),
        activity_description=description,
        provider_name=old.provider_name,
        start_date=old.start_date,
        end_date=old.end_date,
        hours=hours,
        hours_available=cap if cap is not None else hours,
        activity_key=key,
        case_id=old.case_id,
        event_id=old.event_id,
        person_id=old.person_id,
    )


def reissue(
    ctx: ServiceContext,
    number: str,
    corrections: Corrections,
    reason: str | None = None,
    channel: Channel = Channel.CLI,
) -> tuple[Certificate, Certificate]:
    """A corrected certificate replaces the old one, which stays revoked and points to it.
    The holder gets the new one by email. Returns (old, new)."""
    old = get_certificate(ctx.session, number)
    _require_current(old)
    facts = _corrected_facts(ctx, old, corrections)
    new, _ = issue_certificate(ctx, facts)
    why = _reason(reason) if reason else "corrected"
    note = f"replaced by {new.number} ({why})"
    if old.status is CertificateStatus.VALID:
        old.revoke(ctx.now, note, replaced_by=new)
    else:  # revoked earlier (say, a wrong name), corrected now: keep the first reason
        old.replaced_by = new
    for attendee in ctx.session.scalars(select(Attendee).where(Attendee.certificate_id == old.id)):
        attendee.certificate_id = new.id
    _timeline(ctx, old, "certificate_reissued", f"{old.number} {note}", channel)
    if old.person is not None:
        case = ctx.session.get(Case, old.case_id) if old.case_id else None
        person = old.person
        email_award(
            ctx, new, person.email, person.first_name, replaces=old.number, reason=why, case=case
        )
    return old, new


def email_award(
    ctx: ServiceContext,
    certificate: Certificate,
    to: str,
    first_name: str,
    *,
    replaces: str | None = None,
    reason: str | None = None,
    case: Case | None = None,
) -> None:
    """The holder's email with their certificate attached (a roster's, or a correction's)."""
    shown = view_of(certificate, ctx.tz)
    enqueue(
        ctx.session,
        ctx.settings,
        template="certificate_awarded",
        to=[to],
        context={
            "first_name": first_name,
            "activity_title": shown.activity,
            "provider_name": shown.provider,
            "hours": shown.hours,
            "certificate_number": shown.number,
            "verification_code": shown.verification_code,
            "verification_url": verification_url(ctx.settings.public_url, shown.verification_code),
            "replaces": replaces,
            "reason": reason,
            "expects_reply": False,
        },
        now=ctx.now,
        case=case,
        attachments=[attachment_for(ctx, certificate.number)],
    )


# --- Transcript -----------------------------------------------------------------------------


def transcript(
    session: Session, license_number: str, today: date, expires: date | None = None
) -> Transcript:
    key = normalize_license(license_number)
    if not key:
        raise UserError("a transcript needs a license number")
    rows = session.scalars(
        select(Certificate)
        .where(Certificate.license_number == key)
        .order_by(Certificate.end_date, Certificate.number)
    )
    entries = [
        Entry(
            number=c.number,
            activity_title=c.activity_title,
            provider=c.provider_name,
            start_date=c.start_date,
            end_date=c.end_date,
            hours=Decimal(c.hours),
            status=str(c.status),
            holder_name=c.holder_name,
        )
        for c in rows
    ]
    if not entries:
        raise NotFound(f"no certificate was issued to license number {key}")
    return build_transcript(key, entries, current_cycle(today, expires))
