"""An educator's certificates and renewal progress on the web, scoped by their address.

Their certificates: those issued to the address (pre-approvals by OPI, rosters of approved
providers), and those issued to a license number the address holds. The address holds a
license number when a certificate issued to the address carries it, or when a pre-approval
request of theirs with that number was approved by a reviewer (a request merely submitted
does not count: anyone may type someone else's number into a form). Nobody reads another
educator's certificates or transcript by typing a number or an id: those answer NotFound,
as for a record that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.cases import Case
from models.certificates import Certificate
from models.enums import CaseKind, CaseStatus
from models.people import Person
from models.services.errors import NotFound
from models.services.issuing import transcript
from models.services.paging import page_of
from models.transcript import Transcript, build_transcript, current_cycle, normalize_license

# A reviewer approved the request (and with it, its license number).
APPROVED = (CaseStatus.AWAITING_PROOF, CaseStatus.PROOF_REVIEW, CaseStatus.COMPLETED)


def my_licenses(session: Session, email: str) -> list[str]:
    """The license numbers the address holds, sorted."""
    address = email.lower()
    held = set(
        session.scalars(
            select(Certificate.license_number)
            .join(Person, Person.id == Certificate.person_id)
            .where(Person.email == address, Certificate.license_number.is_not(None))
        )
    )
    forms = session.scalars(
        select(Case.form)
        .join(Person, Person.id == Case.applicant_id)
        .where(
            Person.email == address,
            Case.kind == CaseKind.PREAPPROVAL,
            Case.status.in_(APPROVED),
        )
    )
    for form in forms:
        number = (form or {}).get("educator", {}).get("license_number")
        if number:
            held.add(number)
    return sorted({normalize_license(n) for n in held if n and normalize_license(n)})


def _mine(session: Session, email: str) -> Select[tuple[Certificate]]:
    """Issued to the address or to a license number it holds."""
    licenses = my_licenses(session, email)
    mine = Certificate.person_id.in_(select(Person.id).where(Person.email == email.lower()))
    return select(Certificate).where(
        or_(mine, Certificate.license_number.in_(licenses)) if licenses else mine
    )


def _newest_first(query: Select[tuple[Certificate]]) -> Select[tuple[Certificate]]:
    return query.options(
        selectinload(Certificate.replaced_by), selectinload(Certificate.person)
    ).order_by(Certificate.end_date.desc(), Certificate.number.desc())


def my_certificates(session: Session, email: str) -> list[Certificate]:
    """The address's certificates, newest activity first."""
    return list(session.scalars(_newest_first(_mine(session, email))))


@dataclass(frozen=True)
class CertificatePage:
    rows: list[Certificate]
    total: int
    number: int
    pages: int


def my_certificate_page(session: Session, email: str, asked: int, per_page: int) -> CertificatePage:
    """Page `asked` of the address's certificates, newest activity first, and how many."""
    mine = _mine(session, email)  # the license numbers held, read once for both queries
    total = session.scalar(mine.with_only_columns(func.count(Certificate.id))) or 0
    number, pages = page_of(total, per_page, asked)
    rows = session.scalars(_newest_first(mine).offset((number - 1) * per_page).limit(per_page))
    return CertificatePage(list(rows), total, number, pages)


def my_certificate(session: Session, email: str, number: str) -> Certificate:
    """One of the address's certificates by number; NotFound for anyone else's."""
    wanted = number.strip().upper()[:24]
    found = session.scalar(_newest_first(_mine(session, email)).where(Certificate.number == wanted))
    if found is None:
        raise NotFound(f"You have no certificate {wanted}.")
    return found


def my_progress(session: Session, email: str, license_number: str, today: date) -> Transcript:
    """The renewal transcript (`pdu certificate transcript`) of a license the address holds."""
    wanted = normalize_license(license_number)
    if wanted not in my_licenses(session, email):
        raise NotFound(f"You hold no license number {wanted[:40]} here.")
    try:
        return transcript(session, wanted, today)
    except NotFound:  # approved, but no certificate yet: nothing counts so far
        return build_transcript(wanted, [], current_cycle(today))


def prefilled_preapproval(session: Session, email: str) -> dict[str, Any]:
    """A new pre-approval request's educator section as far as we know it: the address,
    the name of their latest request, and their license number when they hold only one."""
    address = email.lower()
    person = session.scalar(select(Person).where(Person.email == address))
    educator: dict[str, Any] = {"email": address}
    if person is not None:
        educator |= {"first_name": person.first_name, "last_name": person.last_name}
    licenses = my_licenses(session, address)
    if len(licenses) == 1:
        educator |= {"license_number": licenses[0], "license_status": "current"}
    return {"educator": {k: v for k, v in educator.items() if v}}
