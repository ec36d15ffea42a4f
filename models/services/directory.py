"""The approved provider directory: add, import from CSV, list, match."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from models.enums import ProviderKind, ProviderStatus
from models.providers import Provider
from models.services.errors import UserError
from models.services.validation import clean_email
from models.triage import DirectoryEntry, normalize_org_name

CSV_COLUMNS = ("name", "email", "kind", "contact_name", "phone", "address", "website")


def _kind(value: str | None) -> ProviderKind:
    try:
        return ProviderKind((value or "other").strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in ProviderKind)
        raise UserError(f"unknown provider kind {value!r}: choose one of {choices}") from None


def next_provider_number(session: Session) -> str:
    """The next MTP- number, skipping any an imported legacy provider already holds."""
    count = session.scalar(select(func.max(Provider.id))) or 0
    taken = set(session.scalars(select(Provider.number).where(Provider.number.like("MTP-%"))))
    number = count + 1
    while f"MTP-{number:05d}" in taken:
        number += 1
    return f"MTP-{number:05d}"


def add_provider(
    session: Session,
    name: str,
    email: str,
    now: datetime,
    kind: str | None = None,
    contact_name: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    website: str | None = None,
) -> Provider:
    if not name.strip():
        raise UserError("a provider needs a name")
    normalized = normalize_org_name(name)
    if find_provider(session, name) is not None:
        raise UserError(f"{name!r} is already in the directory")
    provider = Provider(
        number=next_provider_number(session),
        name=name.strip(),
        normalized_name=normalized,
        kind=_kind(kind),
        contact_name=(contact_name or "").strip() or None,
        contact_email=clean_email(email),
        contact_phone=(phone or "").strip() or None,
        address=(address or "").strip() or None,
        website=(website or "").strip() or None,
        approved_at=now,
        created_at=now,
    )
    session.add(provider)
    session.flush()
    return provider


def renew_provider(
    session: Session,
    provider: Provider,
    name: str,
    email: str,
    kind: str | None,
    now: datetime,
    **details: str | None,
) -> Provider:
    """A provider that reapplied and was approved again: the same entry and number, its
    details as in the new registration, approved from today and in good standing."""
    edit_provider(session, provider, name=name, email=email, kind=kind, **details)
    provider.status, provider.status_until, provider.status_reason = (
        ProviderStatus.APPROVED,
        None,
        "approved again after reapplying",
    )
    provider.approved_at = now
    return provider


EDITABLE = ("name", "email", "kind", "contact_name", "phone", "address", "website")


def edit_provider(session: Session, provider: Provider, **changes: str | None) -> list[str]:
    """Change a directory entry's details (None: keep); returns the names of the fields
    that changed. A name another entry already has is refused."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UserError(f"cannot edit {', '.join(sorted(unknown))}")
    wanted: dict[str, object] = {}
    name = changes.get("name")
    if name is not None:
        if not name.strip():
            raise UserError("a provider needs a name")
        other = find_provider(session, name)
        if other is not None and other.id != provider.id:
            raise UserError(f"{name!r} is already in the directory as {other.number}")
        wanted |= {"name": name.strip(), "normalized_name": normalize_org_name(name)}
    if changes.get("email") is not None:
        wanted["contact_email"] = clean_email(changes["email"] or "")
    if changes.get("kind") is not None:
        wanted["kind"] = _kind(changes["kind"])
    for field_name, column in (
        ("contact_name", "contact_name"),
        ("phone", "contact_phone"),
        ("address", "address"),
        ("website", "website"),
    ):
        value = changes.get(field_name)
        if value is not None:
            wanted[column] = value.strip() or None
    changed = [column for column, value in wanted.items() if getattr(provider, column) != value]
    for column in changed:
        setattr(provider, column, wanted[column])
    return [c for c in changed if c != "normalized_name"]


def get_provider(session: Session, name_or_number: str) -> Provider:
    found = find_provider(session, name_or_number)
    if found is None:
        raise UserError(f"no provider {name_or_number!r} in the directory (name or number)")
    return found


def find_provider(session: Session, name_or_number: str) -> Provider | None:
    key = name_or_number.strip()
    return session.scalar(
        select(Provider).where(
            or_(Provider.number == key.upper(), Provider.normalized_name == normalize_org_name(key))
        )
    )


def listed(today: date | None) -> ColumnElement[bool]:
    """Providers in good standing: in the public directory and listings, a redirect target
    of triage. Suspended and withdrawn ones are not; a must-reapply one is until its date."""
    reapply = Provider.status == ProviderStatus.MUST_REAPPLY
    if today is not None:
        reapply = and_(
            reapply, or_(Provider.status_until.is_(None), Provider.status_until >= today)
        )
    return or_(Provider.status == ProviderStatus.APPROVED, reapply)


def directory_entries(session: Session, today: date | None = None) -> list[DirectoryEntry]:
    """The directory as the pure triage code sees it: providers in good standing on `today`
    (None: every entry, whatever its status, e.g. to match a registration to its entry)."""
    query = select(Provider).order_by(Provider.id)
    if today is not None:
        query = query.where(listed(today))
    return [
        DirectoryEntry(
            id=p.id,
            name=p.name,
            contact_name=p.contact_name or p.name,
            contact_email=p.contact_email,
            kind=p.kind.value if isinstance(p.kind, ProviderKind) else str(p.kind),
        )
        for p in session.scalars(query)
    ]


def list_providers(
    session: Session,
    search: str | None = None,
    kind: str | None = None,
    *,
    today: date | None = None,
    everyone: bool = False,
) -> list[Provider]:
    """The public directory: providers in good standing (`everyone`: suspended, withdrawn
    and lapsed ones too, for staff)."""
    query = select(Provider).order_by(Provider.name)
    if not everyone:
        query = query.where(listed(today))
    if kind:
        query = query.where(Provider.kind == _kind(kind))
    if search:
        needle = f"%{search.strip().lower()}%"
        query = query.where(
            or_(func.lower(Provider.name).like(needle), Provider.normalized_name.like(needle))
        )
    return list(session.scalars(query))


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def import_csv(
    session: Session,
    path: Path,
    now: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Idempotent: a provider already present is updated, never duplicated.
    `on_progress(done, total)` follows each row."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    if rows and "name" not in rows[0]:
        raise UserError(
            f"{path}: the header must include 'name' (columns: {', '.join(CSV_COLUMNS)})"
        )
    return _import_rows(session, rows, now, on_progress)


def _import_rows(
    session: Session,
    rows: Sequence[dict[str, str]],
    now: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    for line, row in enumerate(rows, start=2):
        if on_progress is not None:
            on_progress(line - 2, len(rows))
        name = (row.get("name") or "").strip()
        if not name:
            report.skipped.append((line, "no name"))
            continue
        try:
            email = clean_email(row.get("email") or "")
            kind = _kind(row.get("kind"))
        except UserError as exc:
            report.skipped.append((line, str(exc)))
            continue
        existing = find_provider(session, name)
        if existing is None:
            add_provider(
                session,
                name,
                email,
                now,
                kind.value,
                row.get("contact_name"),
                row.get("phone"),
                row.get("address"),
                row.get("website"),
            )
            report.added.append(name)
            continue
        changed = _update(existing, email, kind, row)
        (report.updated.append(name) if changed else report.skipped.append((line, "unchanged")))
    if on_progress is not None:
        on_progress(len(rows), len(rows))
    return report


def _update(provider: Provider, email: str, kind: ProviderKind, row: dict[str, str]) -> bool:
    wanted = {
        "contact_email": email,
        "kind": kind,
        "contact_name": (row.get("contact_name") or "").strip() or provider.contact_name,
        "contact_phone": (row.get("phone") or "").strip() or provider.contact_phone,
        "address": (row.get("address") or "").strip() or provider.address,
        "website": (row.get("website") or "").strip() or provider.website,
    }
    changed = False
    for attribute, value in wanted.items():
        if getattr(provider, attribute) != value:
            setattr(provider, attribute, value)
            changed = True
    return changed
