"""What a provider does in the portal, as use cases on SQLite and PostgreSQL: revise and
cancel events (history kept), list them, upload rosters issued as batches whose progress
lives in the database, add one attendee, download PDFs and a ZIP; always scoped to the
provider acted for."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from models.accounts import ProviderAccount
from models.batches import BatchStatus, IssuanceBatch
from models.enums import Channel, StaffRole
from models.events import EventRevision, ProviderEvent
from models.messages import OutboxMessage
from models.services import batches
from models.services import provider_events as event_service
from models.services.certificate_files import event_certificates_zip, provider_certificate
from models.services.context import ServiceContext
from models.services.directory import add_provider
from models.services.errors import Conflict, NotFound, UserError
from models.services.event_changes import cancel_event, event_history, revise_event
from models.services.event_listing import Section, events_page
from models.services.issuing import InProcess
from models.services.staff import add_staff
from models.uow import UnitOfWork
from templates.pdf import extract_text
from tests import factories

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Monday, Nov 23, 2026, 9:00 in Montana
HEADER = "first_name,last_name,email,license_number,hours\n"
ROSTER = (
    HEADER + "Maria,Running Crane,maria@school.example,123456,12\n"
    "Nguyễn Thị,Minh Khai,khai@school.example,234567,6.5\n"
    "Александра,Кузнецова,sasha@school.example,456789,2\n"
).encode()

Factory = Callable[[], UnitOfWork]


class Office:
    def __init__(self, uow: Factory) -> None:
        with uow() as work:
            ctx = ServiceContext.of(work, NOW)
            add_staff(work.session, "ada@opi.example", "Ada Admin", StaffRole.ADMIN, NOW)
            ours = add_provider(work.session, "Big Sky Learning", "info@bigsky.example", NOW)
            theirs = add_provider(work.session, "Other Collaborative", "x@other.example", NOW)
            manager = factories.person(work.session, "tom@bigsky.example", NOW, first_name="Tom")
            work.session.add(
                ProviderAccount(
                    username="TBaker", provider_id=ours.id, person_id=manager.id,
                    is_manager=True, created_at=NOW,
                )
            )  # fmt: skip
            self.event = self._event(ctx, ours.number, "Literacy Summit", date(2026, 11, 19))
            self.other_event = self._event(ctx, theirs.number, "Their Summit", date(2026, 11, 19))
            work.commit()
            self.provider_id, self.other_id, self.manager_id = ours.id, theirs.id, manager.id

    @staticmethod
    def _event(ctx: ServiceContext, provider: str, title: str, start: date) -> int:
        return event_service.add_event(
            ctx, provider, title=title, start=start, end=start + timedelta(days=1),
            hours="12", locations=["Helena, MT"], description="Structured literacy.",
        ).id  # fmt: skip

    def requester(self) -> batches.Requester:
        return batches.Requester("TBaker", self.manager_id, Channel.WEB)


@pytest.fixture
def office(uow: Factory, monkeypatch: pytest.MonkeyPatch) -> Office:
    monkeypatch.setenv("PDU_PUBLIC_URL", "https://pdu.opi.example")
    return Office(uow)


def revise(uow: Factory, office: Office, provider_id: int | None = None, **changes: object):  # type: ignore[no-untyped-def]
    with uow() as work:
        event = work.session.get(ProviderEvent, office.event)
        assert event is not None
        fields: dict[str, object] = {
            "title": event.title, "start": event.start_date, "end": event.end_date,
            "hours": event.hours, "locations": event.locations,
            "description": event.description, "schedule": event.schedule,
        } | changes  # fmt: skip
        revision = revise_event(
            ServiceContext.of(work, NOW), office.event,
            provider_id=office.provider_id if provider_id is None else provider_id,
            changed_by="TBaker", channel=Channel.WEB, **fields,  # type: ignore[arg-type]
        )  # fmt: skip
        work.commit()
        return revision


def upload(uow: Factory, office: Office, content: bytes = ROSTER, **kw: object):  # type: ignore[no-untyped-def]
    return batches.upload_roster(
        uow,
        office.provider_id,
        office.event,
        content,
        NOW,
        office.requester(),
        **kw,  # type: ignore[arg-type]
    )


def run_all(uow: Factory) -> int:
    return batches.run_queued(uow, clock=lambda: NOW, pool=InProcess())


def test_a_revision_changes_the_event_and_its_history_says_what_who_and_when(
    uow: Factory, office: Office
) -> None:
    revise(uow, office, title="Literacy Summit 2026", hours=Decimal("14"), locations=["Butte, MT"])
    assert revise(uow, office) is None  # nothing differs: nothing recorded
    with uow() as work:
        event = work.session.get(ProviderEvent, office.event)
        assert event is not None
        assert (event.title, event.hours, event.locations) == (
            "Literacy Summit 2026",
            Decimal("14"),
            ["Butte, MT"],
        )
        history = [
            (r.action, r.changes, r.changed_by, r.channel, r.changed_at)
            for r in event_history(ServiceContext.of(work, NOW), office.event, office.provider_id)
        ]
    assert history == [
        (
            "revised",
            {
                "title": ["Literacy Summit", "Literacy Summit 2026"],
                "hours": ["12", "14"],
                "locations": ["Helena, MT", "Butte, MT"],
            },
            "TBaker",
            Channel.WEB,
            NOW,
        )
    ]


def test_hours_cannot_drop_below_what_attendees_were_already_given(
    uow: Factory, office: Office
) -> None:
    upload(uow, office)
    run_all(uow)
    with pytest.raises(Conflict, match=r"up to 12 hours"):
        revise(uow, office, hours=Decimal("10"))
    revise(uow, office, hours=Decimal("13"))  # more is fine
    with uow() as work:
        event = work.session.get(ProviderEvent, office.event)
        assert event is not None and event.hours == Decimal("13")


def test_a_start_moved_before_the_day_it_was_reported_flags_the_event_late(
    uow: Factory, office: Office
) -> None:
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        event = Office._event(ctx, "MTP-00001", "Coming up", date(2026, 12, 10))
        work.commit()
    office.event = event
    revise(uow, office, start=date(2026, 12, 11), end=date(2026, 12, 12))
    with uow() as work:
        assert work.session.get(ProviderEvent, event).reported_late is False  # type: ignore[union-attr]
    revise(uow, office, start=date(2026, 11, 20), end=date(2026, 11, 21))
    with uow() as work:
        assert work.session.get(ProviderEvent, event).reported_late is True  # type: ignore[union-attr]


def test_an_event_without_certificates_is_cancelled_and_one_with_them_is_not(
    uow: Factory, office: Office
) -> None:
    upload(uow, office)
    run_all(uow)
    with uow() as work, pytest.raises(Conflict, match=r"cannot be cancelled"):
        cancel_event(
            ServiceContext.of(work, NOW), office.event, provider_id=office.provider_id,
            changed_by="TBaker", channel=Channel.WEB,
        )  # fmt: skip
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        fresh = Office._event(ctx, "MTP-00001", "Fresh", date(2026, 11, 19))
        work.commit()
    with uow() as work:
        cancel_event(
            ServiceContext.of(work, NOW), fresh, provider_id=office.provider_id,
            changed_by="TBaker", channel=Channel.WEB,
        )  # fmt: skip
        work.commit()
    office.event = fresh
    with pytest.raises(UserError, match=r"was cancelled"):
        upload(uow, office)
    with pytest.raises(Conflict, match=r"was cancelled"):
        revise(uow, office, title="Renamed")
    with uow() as work:
        actions = [r.action for r in work.session.scalars(
            select(EventRevision).where(EventRevision.event_id == fresh)
        )]  # fmt: skip
    assert actions == ["cancelled"]


def test_events_are_listed_upcoming_past_and_self_paced_with_the_number_issued(
    uow: Factory, office: Office
) -> None:
    upload(uow, office)
    run_all(uow)
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        soon = Office._event(ctx, "MTP-00001", "Soon", date(2026, 12, 1))
        course = event_service.add_event(
            ctx, "MTP-00001", title="Self-paced course", start=date(2026, 9, 1),
            end=date(2027, 8, 31), hours="3", format="self_paced",
        ).id  # fmt: skip
        work.commit()
    with uow() as work:
        today = ServiceContext.of(work, NOW).today
        pages = {s: events_page(work.session, office.provider_id, s, today) for s in Section}
    assert [(r.id, r.issued) for r in pages[Section.PAST].rows] == [(office.event, 3)]
    assert [r.id for r in pages[Section.UPCOMING].rows] == [soon]
    assert [r.id for r in pages[Section.SELF_PACED].rows] == [course]
    assert office.other_event not in [r.id for p in pages.values() for r in p.rows]


def test_an_upload_is_a_batch_whose_progress_is_in_the_database_and_the_uploader_is_emailed(
    uow: Factory, office: Office
) -> None:
    result = upload(uow, office)
    assert result.batch_id is not None and result.queued == 3
    with uow() as work:
        before = batches.progress(work.session, result.batch_id, office.provider_id)
    assert (before.status, before.queued, before.pending, before.issued) == (
        BatchStatus.QUEUED,
        3,
        3,
        0,
    )
    assert run_all(uow) == 1
    with uow() as work:
        after = batches.progress(work.session, result.batch_id, office.provider_id)
        mails = list(work.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        work.session.expunge_all()
    assert (after.status, after.issued, after.failed, after.pending, after.percent) == (
        BatchStatus.DONE,
        3,
        0,
        0,
        100,
    )
    assert [m.template for m in mails] == ["certificate_awarded"] * 3 + ["roster_issued"]
    assert mails[-1].to_addresses == ["tom@bigsky.example"]
    assert "3 certificate(s) were issued" in mails[-1].body_text
    assert run_all(uow) == 0  # nothing left: no second email


def test_a_roster_with_problems_changes_nothing_unless_the_valid_rows_are_asked_for(
    uow: Factory, office: Office
) -> None:
    bad = ROSTER + b"Bad,Row,not-an-address,111111,3\nNo,Hours,no@school.example,222222,\n"
    result = upload(uow, office, bad)
    assert [str(p) for p in result.roster.problems] == [
        "line 5: email 'not-an-address' is not a valid address",
        "line 6: hours is empty",
    ]
    assert result.batch_id is None
    with uow() as work:
        assert work.session.scalars(select(IssuanceBatch)).all() == []
    valid = upload(uow, office, bad, skip_invalid=True)
    assert valid.queued == 3
    run_all(uow)
    with uow() as work:
        done = batches.progress(work.session, valid.batch_id, office.provider_id)  # type: ignore[arg-type]
    assert (done.issued, done.rejected) == (3, 2)


def test_the_same_person_is_never_issued_twice_whoever_uploads(
    uow: Factory, office: Office
) -> None:
    upload(uow, office)
    run_all(uow)
    again = upload(uow, office)  # another user of the provider, the same file
    assert again.queued == 0 and again.batch_id is None
    assert next(s.reason for s in again.roster.skipped).startswith("already issued (PDU-2026-")
    by_cli = event_service.accept_roster(uow, office.event, ROSTER, NOW)
    assert by_cli.queued == 0 and len(by_cli.roster.skipped) == 3


def test_one_attendee_added_by_hand_goes_through_the_roster_checks(
    uow: Factory, office: Office
) -> None:
    wrong = batches.one_attendee_roster("Ann", "Lee", "ann@school", "555555", "20")
    problems = [p.message for p in upload(uow, office, wrong).roster.problems]
    assert problems == [
        "email 'ann@school' is not a valid address; hours 20 is more than the event's 12"
    ]
    right = batches.one_attendee_roster("=Ann", "Lee", "ann@school.example", "555555", "2")
    assert upload(uow, office, right).queued == 1
    run_all(uow)


def test_another_providers_ids_are_not_found_and_change_nothing(
    uow: Factory, office: Office
) -> None:
    upload(uow, office)
    run_all(uow)
    theirs = Office.__new__(Office)
    theirs.event, theirs.provider_id, theirs.manager_id = (
        office.other_event,
        office.provider_id,
        office.manager_id,
    )
    with pytest.raises(NotFound):
        revise(uow, theirs, title="Hijacked")
    with pytest.raises(NotFound):
        upload(uow, theirs)
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        number = work.session.scalars(select(ProviderEvent.id)).first()
        batch_id = work.session.scalars(select(IssuanceBatch.id)).one()
        for attempt in (
            lambda: cancel_event(ctx, office.other_event, provider_id=office.provider_id,
                                 changed_by="TBaker", channel=Channel.WEB),
            lambda: event_history(ctx, office.other_event, office.provider_id),
            lambda: event_certificates_zip(ctx, office.other_id, office.event),
            lambda: batches.progress(work.session, batch_id, office.other_id),
            lambda: provider_certificate(ctx, office.other_id, "PDU-2026-000001"),
        ):  # fmt: skip
            with pytest.raises(NotFound):
                attempt()
        assert number is not None
    with uow() as work:
        other = work.session.get(ProviderEvent, office.other_event)
        assert other is not None and other.title == "Their Summit" and other.cancelled_at is None
        assert (
            work.session.scalars(
                select(EventRevision).where(EventRevision.event_id == office.other_event)
            ).all()
            == []
        )


def test_the_zip_holds_each_valid_certificate_and_each_pdf_names_its_holder(
    uow: Factory, office: Office
) -> None:
    upload(uow, office)
    run_all(uow)
    with uow() as work:
        ctx = ServiceContext.of(work, NOW)
        name, spool, count = event_certificates_zip(ctx, office.provider_id, office.event)
        one = provider_certificate(ctx, office.provider_id, "pdu-2026-000001")
    assert (name, count) == (f"event-{office.event}-certificates.zip", 3)
    with zipfile.ZipFile(spool) as archive:
        texts = {n: extract_text(archive.read(n)) for n in archive.namelist()}
    assert sorted(texts) == ["PDU-2026-000001.pdf", "PDU-2026-000002.pdf", "PDU-2026-000003.pdf"]
    joined = "".join("".join(t.split()) for t in texts.values())
    for holder in ("MariaRunningCrane", "NguyễnThịMinhKhai", "АлександраКузнецова"):
        assert holder in joined
    assert one.filename == "PDU-2026-000001.pdf"
    assert PdfReader(io.BytesIO(one.content)).pages


def test_a_formula_in_a_name_is_neutralised_in_the_annual_report_csv(
    uow: Factory, office: Office
) -> None:
    content = (HEADER + '"=HYPERLINK(""http://x.example"",""a"")",+Lee,lee@school.example,1,2\n'
               "@Sam,-Poe,sam@school.example,2,2\n").encode()  # fmt: skip
    upload(uow, office, content)
    run_all(uow)
    with uow() as work:
        report = event_service.annual_report(work.session, "MTP-00001", 2026, NOW)
        csv_text = event_service.report_csv(report).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'@Sam -Poe" in csv_text
    assert ",=" not in csv_text and ",@" not in csv_text and ",+" not in csv_text
