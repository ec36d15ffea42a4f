"""The Learning Opportunities Portal: listing an approved opportunity, withdrawing it, and
finding listings (the public page, its iCalendar feed and `pdu directory opportunities`).

Shown: what OPI approved, not withdrawn, and not ended (a dated listing until its last day
has passed in Montana; the catalog's until withdrawn). Everything reads the `opportunities`
table, written in the approval's own transaction, so a withdrawal or a revision shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, joinedload

from models.cases import Case
from models.enums import CaseKind, ProviderKind, ProviderStatus
from models.opportunities import FORMATS, Opportunity, last_day, listing_key, search_text
from models.provider_requests import OpportunityRequest, when_text
from models.providers import Provider
from models.services.context import ServiceContext
from models.services.errors import NotFound, UserError
from models.services.paging import page_of
from models.services.timeline import Actor, record_action

PAGE_SIZE = 50
MAX_WORDS = 8


def list_opportunity(
    ctx: ServiceContext, case: Case, form: OpportunityRequest, provider: Provider
) -> Opportunity:
    """The approved request on the portal: a new listing, or the revision of the provider's
    listing with the same title (same UID, next sequence, listed again if withdrawn)."""
    key = listing_key(provider.id, form.title)
    listed = ctx.session.scalar(select(Opportunity).where(Opportunity.key == key))
    if listed is None:
        listed = Opportunity(key=key, provider_id=provider.id, sequence=0, listed_at=ctx.now)
        ctx.session.add(listed)
    else:
        listed.sequence += 1
    listed.case_id = case.id
    listed.title = " ".join(form.title.split())
    listed.description = form.description
    listed.audience = form.audience
    listed.format = form.format
    listed.start_date, listed.end_date = form.start_date, form.end_date
    listed.last_day = last_day(form.start_date, form.end_date)
    listed.location = form.location
    listed.hours = form.hours
    listed.cost, listed.website = form.cost, form.website
    listed.contact_name, listed.contact_email = form.contact_name, form.contact_email
    listed.contact_phone = form.contact_phone
    listed.search = search_text(
        form.title, form.description, form.audience, form.location, provider.name
    )
    listed.updated_at = ctx.now
    listed.withdrawn_at = listed.withdrawn_reason = None
    return listed


def withdraw_opportunity(ctx: ServiceContext, reference: str, actor: Actor, reason: str) -> str:
    """Take the listing approved by case `reference` off the portal; its title."""
    if not reason.strip():
        raise UserError("say why the opportunity is withdrawn (it is kept on the case)")
    case = ctx.session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    if case is None or case.kind is not CaseKind.OPPORTUNITY:
        raise NotFound(f"no opportunity request {reference}")
    listed = ctx.session.scalar(select(Opportunity).where(Opportunity.case_id == case.id))
    if listed is None or listed.withdrawn_at is not None:
        raise UserError(f"{case.reference} is not listed on the portal now")
    listed.withdrawn_at, listed.withdrawn_reason = ctx.now, reason.strip()
    listed.updated_at = ctx.now
    record_action(case, "opportunity_withdrawn", actor, ctx.now, reason.strip())
    return listed.title


# --- Finding listings ---------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What the portal's visitor asked for; every field already checked (`Search.of`)."""

    words: tuple[str, ...] = ()
    format: str = ""
    month: date | None = None  # the first day of a month: dated listings that overlap it
    kind: str = ""

    @classmethod
    def of(cls, q: str = "", format: str = "", month: str = "", kind: str = "") -> Search:
        """Unknown values are ignored, never an error: a stale link still shows the portal."""
        words = tuple(" ".join(q.split()).casefold().split(" ")[:MAX_WORDS]) if q.strip() else ()
        first: date | None = None
        try:
            year, number = (int(part) for part in month.split("-"))
            first = date(year, number, 1) if 2000 <= year <= 2100 else None
        except ValueError:
            first = None
        return cls(
            words=tuple(w[:60] for w in words),
            format=format if format in FORMATS else "",
            month=first,
            kind=kind if kind in {k.value for k in ProviderKind} else "",
        )

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Page:
    rows: list[Opportunity]
    total: int
    number: int
    pages: int


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


LISTED = [status for status in ProviderStatus if status.is_listed]


def _listed(search: Search) -> Select[tuple[Opportunity]]:
    """Not withdrawn, matching the search; the caller adds dated (not ended) or undated."""
    query = select(Opportunity).where(
        Opportunity.withdrawn_at.is_(None),
        # A suspended or withdrawn provider leaves the portal with the directory. Asked as
        # "not one of the few unlisted" so that the planner keeps walking the listing's
        # own index (dates, titles) and stops at a page: "in the listed ones" made SQLite
        # read every listing by provider and sort them (40-110 ms a page at 10,000).
        Opportunity.provider_id.not_in(
            select(Provider.id).where(Provider.status.not_in(LISTED))
        ),
    )
    for word in search.words:
        query = query.where(Opportunity.search.like(f"%{_escaped(word)}%", escape="\\"))
    if search.format:
        query = query.where(Opportunity.format == search.format)
    if search.kind:
        query = query.join(Provider, Provider.id == Opportunity.provider_id).where(
            Provider.kind == search.kind
        )
    return query


def _dated(today: date, search: Search) -> Select[tuple[Opportunity]]:
    """The calendar's listings: dated, and their last day not past."""
    return _listed(search).where(Opportunity.last_day >= today)


def _undated(search: Search) -> Select[tuple[Opportunity]]:
    """The catalog's: self-paced or by contract (no dates, so they never end). Asked by
    `last_day` (None exactly when there are no dates): by `start_date`, SQLite would read
    the calendar's index and sort, rather than walk the titles' index and stop at 50."""
    return _listed(search).where(Opportunity.last_day.is_(None))


def _month_end(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _page(session: Session, query: Select[tuple[Opportunity]], number: int, total: int) -> Page:
    """One page of `query`, which finds `total` listings (counted once, by `counts`)."""
    number, pages = page_of(total, PAGE_SIZE, number)
    rows = session.scalars(
        query.options(joinedload(Opportunity.provider))
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return Page(list(rows), total, number, pages)


def _calendar(today: date, search: Search) -> Select[tuple[Opportunity]]:
    query = _dated(today, search)
    if search.month is not None:
        query = query.where(
            and_(
                Opportunity.start_date < _month_end(search.month),
                Opportunity.last_day >= search.month,
            )
        )
    return query


def portal_page(
    session: Session, today: date, search: Search, view: str, number: int = 1
) -> tuple[Page, int, int]:
    """One page of the calendar (dated, upcoming first, those under way first of all) or
    of the catalog (self-paced and by contract, by title), and how many each finds."""
    dated, undated = counts(session, today, search)
    if view == "calendar":
        # The index's own order (start, last day), so a page is read without sorting.
        query = _calendar(today, search).order_by(
            Opportunity.start_date, Opportunity.last_day, Opportunity.id
        )
        return _page(session, query, number, dated), dated, undated
    query = _undated(search).order_by(Opportunity.title, Opportunity.id)
    return _page(session, query, number, undated), dated, undated


def _count(session: Session, query: Select[tuple[Opportunity]]) -> int:
    """Selecting no column of the rows, so that an index can answer it."""
    return session.scalar(query.with_only_columns(func.count(Opportunity.id))) or 0


def counts(session: Session, today: date, search: Search) -> tuple[int, int]:
    """How many the calendar and the catalog find."""
    return _count(session, _calendar(today, search)), _count(session, _undated(search))


def calendar_feed(session: Session, today: date) -> list[Opportunity]:
    """Every dated listing not ended, for the iCalendar feed."""
    query = _dated(today, Search())
    return list(
        session.scalars(
            query.options(joinedload(Opportunity.provider)).order_by(
                Opportunity.start_date, Opportunity.id
            )
        )
    )


def listing_row(listed: Opportunity, reference: str | None = None) -> dict[str, Any]:
    """One listing as `pdu directory opportunities --json` prints it."""
    return {
        "reference": reference,
        "provider": listed.provider.name,
        "provider_number": listed.provider.number,
        "title": listed.title,
        "listing": listed.listing,
        "when": when_of(listed),
        "start_date": listed.start_date.isoformat() if listed.start_date else None,
        "end_date": listed.end_date.isoformat() if listed.end_date else None,
        "format": listed.format,
        "location": listed.location,
        "hours": float(listed.hours) if listed.hours is not None else None,
        "audience": listed.audience,
        "cost": listed.cost,
        "website": listed.website,
        "description": listed.description,
        "contact_name": listed.contact_name,
        "contact_email": listed.contact_email,
        "contact_phone": listed.contact_phone,
        "uid": listed.uid,
        "approved_at": listed.updated_at.isoformat(),
    }


def when_of(listed: Opportunity) -> str:
    """The dates in words, as the approval email words them."""
    return when_text(listed.format, listed.start_date, listed.end_date)


def shared_opportunities(session: Session, today: date) -> list[dict[str, Any]]:
    """Everything the portal shows now: calendar (dated) first by date, then the catalog."""
    references: dict[int, str] = {
        listed_id: reference
        for listed_id, reference in session.execute(
            select(Opportunity.id, Case.reference).join(Case, Case.id == Opportunity.case_id)
        )
    }
    dated = _dated(today, Search()).order_by(Opportunity.start_date, Opportunity.last_day)
    undated = _undated(Search()).order_by(Opportunity.title)
    rows = [
        *session.scalars(dated.options(joinedload(Opportunity.provider))),
        *session.scalars(undated.options(joinedload(Opportunity.provider))),
    ]
    return [listing_row(listed, references.get(listed.id)) for listed in rows]
