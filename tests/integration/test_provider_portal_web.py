"""The provider portal's pages over real HTTP (uvicorn on loopback), on SQLite and
PostgreSQL: report, revise and cancel an event; upload a roster with bad lines, see them by
line, fix it, watch the batch to the end; download the PDFs, the ZIP and the annual
report; a 20 MB upload refused plainly; and another provider's ids answered 404 on every
route, with nothing changed."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from models.accounts import ProviderAccount
from models.batches import IssuanceBatch
from models.cases import Case
from models.certificates import Certificate
from models.enums import CaseKind, Channel
from models.events import Attendee, EventRevision, ProviderEvent
from models.messages import OutboxMessage
from models.providers import ProviderHistory
from models.uow import UnitOfWork
from templates.pdf import extract_text
from tests.provider_portal_support import HEADER, Side, csrf, seed, sign_in, wait_for_batches
from tests.web_support import running_web

GOOD = (
    "Maria,Running Crane,maria@school.example,123456,12\n"
    "Nguyễn Thị,Minh Khai,khai@school.example,234567,6.5\n"
    "Александра,Кузнецова,sasha@school.example,456789,2\n"
)
BAD = "Tom,Little Bear,not-an-address,345678,3\nAnn,Lee,ann@school.example,567890,40\n"


@pytest.fixture
def sides(database_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Side, Side]:
    monkeypatch.setenv("PDU_PUBLIC_URL", "https://pdu.opi.example")
    return seed(monkeypatch)


@pytest.fixture
def http(sides: tuple[Side, Side]) -> Iterator[httpx.Client]:
    with running_web() as server, httpx.Client(base_url=server.url, timeout=60) as client:
        sign_in(client, sides[0])
        yield client


def upload(http: httpx.Client, event_id: int, text: str, **data: str) -> httpx.Response:
    token = csrf(http, f"/provider/events/{event_id}")
    files = {"roster": ("roster.csv", text.encode("utf-8-sig"), "text/csv")}
    return http.post(
        f"/provider/events/{event_id}/roster", data={"csrf_token": token, **data}, files=files
    )


def test_a_provider_reports_an_event_revises_it_and_sees_its_history(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    token = csrf(http, "/provider/events/new")
    fields = {
        "csrf_token": token, "title": "Coaching Institute", "description": "Coaching.",
        "start": "2026-12-08", "end": "2026-12-09", "hours": "12", "format": "in_person",
        "locations": "Billings, MT", "schedule": "",
    }  # fmt: skip
    missing = http.post("/provider/events", data=fields | {"locations": ""})
    assert missing.status_code == 422 and "needs a location" in missing.text
    assert 'value="Coaching Institute"' in missing.text  # nothing typed is lost
    reported = http.post("/provider/events", data=fields)
    assert reported.status_code == 303
    page = http.get(reported.headers["location"])
    assert "Coaching Institute" in page.text and "The activity is reported." in page.text
    event_id = int(reported.headers["location"].split("/")[-1].split("?")[0])
    assert "Coaching Institute" in http.get("/provider/events?list=upcoming").text
    revised = http.post(
        f"/provider/events/{event_id}/edit",
        data=fields | {"csrf_token": csrf(http), "title": "Coaching Institute II", "hours": "14"},
    )
    assert revised.status_code == 303
    page = http.get(f"/provider/events/{event_id}")
    assert "Revised" in page.text and "by TBaker" in page.text
    assert "“Coaching Institute” to “Coaching Institute II”" in page.text
    cancelled = http.post(f"/provider/events/{event_id}/cancel", data={"csrf_token": csrf(http)})
    assert cancelled.status_code == 303
    assert "Cancelled on" in http.get(f"/provider/events/{event_id}").text


def test_a_roster_with_two_bad_lines_is_refused_by_line_then_fixed_and_issued_to_the_end(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    ours = sides[0]
    refused = upload(http, ours.event_id, HEADER + GOOD + BAD)
    assert refused.status_code == 422
    assert "Nothing was issued: the roster has 2 problems" in refused.text
    assert "Line 5: email &#39;not-an-address&#39; is not a valid address" in refused.text
    assert "Line 6: hours 40 is more than the event&#39;s 12" in refused.text
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(Attendee)) == 0
    accepted = upload(http, ours.event_id, HEADER + GOOD)
    assert accepted.status_code == 303
    progress_url = accepted.headers["location"]
    first = http.get(progress_url)
    assert first.status_code == 200 and "Issuing certificates for" in first.text
    wait_for_batches()
    done = http.get(progress_url)
    assert "Done" in done.text and 'id="batch-issued">3<' in done.text
    assert "Refresh" not in done.headers
    with UnitOfWork() as work:
        mails = [(m.template, m.to_addresses) for m in work.session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.id)
        )]  # fmt: skip
    assert mails[-1] == ("roster_issued", ["tom@bigsky.example"])
    assert sorted(a for t, a in mails if t == "certificate_awarded") == [
        ["khai@school.example"], ["maria@school.example"], ["sasha@school.example"]
    ]  # fmt: skip
    archive = http.get(f"/provider/events/{ours.event_id}/certificates.zip")
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        text = "".join("".join(extract_text(z.read(n)).split()) for n in z.namelist())
    for holder in ("MariaRunningCrane", "NguyễnThịMinhKhai", "АлександраКузнецова"):
        assert holder in text
    one = http.get("/provider/certificates/PDU-2026-000001.pdf")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")
    page = http.get(f"/provider/events/{ours.event_id}")
    assert 'id="issued-count">3<' in page.text
    again = upload(http, ours.event_id, HEADER + GOOD)  # never issued twice
    assert again.status_code == 200 and "already issued" in again.text


def test_the_valid_lines_of_a_roster_with_problems_are_issued_when_asked(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    refused = upload(http, sides[0].event_id, HEADER + GOOD + BAD)
    key = refused.text.split('name="upload" value="')[1].split('"')[0]
    issued = http.post(
        f"/provider/events/{sides[0].event_id}/roster",
        data={"csrf_token": csrf(http), "upload": key, "skip_invalid": "yes"},
    )
    assert issued.status_code == 303
    wait_for_batches()
    with UnitOfWork() as work:
        batch = work.session.scalars(select(IssuanceBatch)).one()
        assert (batch.issued, batch.rejected) == (3, 2)


def test_one_attendee_added_by_hand_is_checked_like_a_roster_line(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    url = f"/provider/events/{sides[0].event_id}/attendees"
    person = {"first_name": "Ann", "last_name": "Lee", "email": "ann@school.example",
              "license_number": "567890", "hours": "40"}  # fmt: skip
    wrong = http.post(url, data={"csrf_token": csrf(http), **person})
    assert wrong.status_code == 422 and "hours 40 is more than the event" in wrong.text
    assert "Line 2" not in wrong.text
    right = http.post(url, data={"csrf_token": csrf(http), **person, "hours": "3"})
    assert right.status_code == 303
    wait_for_batches()


def test_a_20_mb_upload_is_refused_in_plain_words_and_nothing_changes(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    started = time.monotonic()
    answer = upload(http, sides[0].event_id, HEADER + GOOD * 200_000)
    assert answer.status_code == 413
    assert "A roster can be at most 5 MB" in answer.text and "Traceback" not in answer.text
    assert time.monotonic() - started < 30
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(Attendee)) == 0


def test_the_annual_report_downloads_as_csv_and_pdf(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    assert "2026: 1 activity, 0 participants" in http.get("/provider/reports").text
    csv_file = http.get("/provider/reports/2026.csv")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "Big Sky Learning Summit" in csv_file.content.decode("utf-8-sig")
    assert "Other Collaborative" not in csv_file.content.decode("utf-8-sig")
    assert http.get("/provider/reports/2026.pdf").content.startswith(b"%PDF")


def _snapshot() -> tuple[object, ...]:
    with UnitOfWork() as work:
        s = work.session
        events = [
            (e.id, e.title, e.hours, e.cancelled_at)
            for e in s.scalars(select(ProviderEvent).order_by(ProviderEvent.id))
        ]
        return (
            events,
            s.scalar(select(func.count()).select_from(Attendee)),
            s.scalar(select(func.count()).select_from(EventRevision)),
            s.scalar(select(func.count()).select_from(IssuanceBatch)),
            s.scalar(select(func.count()).select_from(Certificate)),
        )


def test_another_providers_ids_are_not_found_on_every_route_and_nothing_changes(
    sides: tuple[Side, Side],
) -> None:
    ours, theirs = sides
    with running_web() as server, httpx.Client(base_url=server.url, timeout=60) as them:
        sign_in(them, theirs)
        assert upload(them, theirs.event_id, HEADER + GOOD).status_code == 303
        wait_for_batches()
        with UnitOfWork() as work:
            batch_id = work.session.scalars(select(IssuanceBatch.id)).one()
            number = work.session.scalars(select(Certificate.number)).first()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            sign_in(http, ours)
            token = csrf(http)
            before = _snapshot()
            e = theirs.event_id
            gets = [
                f"/provider/events/{e}", f"/provider/events/{e}/edit",
                f"/provider/events/{e}/certificates.zip", f"/provider/batches/{batch_id}",
                f"/provider/certificates/{number}.pdf",
            ]  # fmt: skip
            for path in gets:
                assert http.get(path).status_code == 404, path
            fields = {"csrf_token": token, "title": "Hijacked", "start": "2026-11-19",
                      "end": "2026-11-20", "hours": "1", "locations": "X"}  # fmt: skip
            posts = [
                (f"/provider/events/{e}/edit", fields, None),
                (f"/provider/events/{e}/cancel", {"csrf_token": token}, None),
                (f"/provider/events/{e}/attendees", {"csrf_token": token, "first_name": "A",
                 "last_name": "B", "email": "a@b.example", "license_number": "9", "hours": "1"},
                 None),
                (f"/provider/events/{e}/roster", {"csrf_token": token},
                 {"roster": ("r.csv", (HEADER + GOOD).encode(), "text/csv")}),
            ]  # fmt: skip
            for path, data, files in posts:
                assert http.post(path, data=data, files=files).status_code == 404, path
            assert "Other Collaborative" not in http.get("/provider/events?list=past").text
            assert _snapshot() == before


def test_an_event_is_shared_through_the_email_requests_review_and_its_status_is_shown(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    ours, theirs = sides
    form = http.get(f"/provider/events/{ours.event_id}/share")
    assert 'value="tom@bigsky.example"' in form.text  # the signed-in user is the contact
    token = csrf(http, f"/provider/events/{ours.event_id}/share")
    missing = http.post(
        f"/provider/events/{ours.event_id}/share",
        data={"csrf_token": token, "contact_name": "Tom Baker", "contact_email": ""},
    )
    assert missing.status_code == 422 and "Contact email: is missing" in missing.text
    assert "Description: is missing" in missing.text
    shared = http.post(
        f"/provider/events/{ours.event_id}/share",
        data={"csrf_token": token, "contact_name": "Tom Baker", "cost": "Free",
              "contact_email": "tom@bigsky.example", "description": "Literacy for K-3."},
    )  # fmt: skip
    assert shared.status_code == 303
    listing = http.get(shared.headers["location"])
    assert "With OPI for review" in listing.text and "OP-2026-00001" in listing.text
    with UnitOfWork() as work:
        case = work.session.scalars(select(Case)).one()
        assert (case.kind, case.channel, case.triage_rule) == (
            CaseKind.OPPORTUNITY,
            Channel.WEB,
            "sender_confirmed",
        )
        assert case.form["title"] == "Big Sky Learning Summit"
        assert "portal rules:" in " ".join(e.detail for e in case.timeline)
    assert http.get(f"/provider/events/{theirs.event_id}/share").status_code == 404
    stolen = http.post(
        f"/provider/events/{theirs.event_id}/share",
        data={"csrf_token": token, "contact_name": "X", "contact_email": "x@x.example"},
    )
    assert stolen.status_code == 404
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(Case)) == 1


def test_the_manager_invites_a_user_hands_over_the_role_and_the_contact_changes(
    http: httpx.Client, sides: tuple[Side, Side]
) -> None:
    theirs = sides[1]
    token = csrf(http, "/provider/users")
    invited = http.post(
        "/provider/users",
        data={"csrf_token": token, "first_name": "Ann", "last_name": "Lee",
              "email": "ann@bigsky.example"},
    )  # fmt: skip
    assert invited.status_code == 303
    page = http.get("/provider/users?done=invited")
    assert "ALee" in page.text and "no password yet" in page.text
    with UnitOfWork() as work:
        mail = work.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "account_access")
        ).one()
        assert mail.to_addresses == ["ann@bigsky.example"] and "/account/setup?code=" in (
            mail.body_text
        )
    again = http.post(
        "/provider/users",
        data={"csrf_token": token, "first_name": "Ann", "last_name": "Lee",
              "email": "ann@bigsky.example"},
    )  # fmt: skip
    assert again.status_code == 422 and "already has the user ALee" in again.text
    not_yet = http.post("/provider/users/ALee/manager", data={"csrf_token": token})
    assert not_yet.status_code == 422 and "must have signed in" in not_yet.text
    contact = http.post(
        "/provider/contact",
        data={"csrf_token": token, "phone": "406-555-0100", "address": "1 Main St, Helena"},
    )
    assert contact.status_code == 303
    assert 'value="406-555-0100"' in http.get("/provider/users").text
    # Another provider's user is not found from here, and nothing changes.
    assert (
        http.post("/provider/users/EBaker1/remove", data={"csrf_token": token}).status_code == 404
    )
    removed = http.post("/provider/users/ALee/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert "removed" in http.get("/provider/users").text
    with UnitOfWork() as work:
        history = select(ProviderHistory).order_by(ProviderHistory.id)
        actions = [h.action for h in work.session.scalars(history)]
        other = work.session.scalars(
            select(ProviderAccount).where(ProviderAccount.provider_id == theirs.provider_id)
        ).one()
        assert other.disabled_at is None
    assert actions == ["account_invited", "contact_changed", "account_removed"]
