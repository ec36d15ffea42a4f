"""The educator's pages over real HTTP (uvicorn on loopback), SQLite and PostgreSQL: sign in
by link, their requests, answering and proof by upload, certificates, progress, and never
anybody else's."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import insert, select

from models import clock
from models.certificates import Certificate
from models.enums import CertificateStatus
from models.messages import Attachment
from models.people import Person
from models.uow import UnitOfWork
from tests.educator_support import JANE, PDF_BYTES, ZIP_BYTES, decide, submit
from tests.educator_web_support import ask_for_link, open_link, outbox_link, sign_in
from tests.web_support import csrf_of, issue_certificates, pdu, running_web, seed_office


@pytest.fixture
def office(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_office(monkeypatch)


@pytest.fixture
def web(office: None) -> Iterator[str]:
    with running_web() as server:
        yield server.url


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=20)


def later(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    monkeypatch.setenv("PDU_NOW", (clock.now() + timedelta(**delta)).isoformat())


def test_signed_out_pages_send_the_browser_to_the_sign_in_page(web):
    with client(web) as http:
        for path in ("/me/home", "/me/certificates", "/me/progress", "/me/requests/PA-2026-00001"):
            answer = http.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/me?next=")


def test_an_educator_signs_in_by_link_sees_their_request_and_signs_out(web):
    reference = submit()
    with client(web) as http:
        sent = ask_for_link(http, JANE)
        assert "We sent a sign-in link to <strong>jane@school.example</strong>" in sent.text
        answer = open_link(http, outbox_link(JANE))
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert "pdu_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        home = http.get("/me/home")
        assert reference in home.text and "Being reviewed by OPI" in home.text
        assert "Signed in as <strong>jane@school.example</strong>" in home.text
        token = csrf_of(home.text)
        assert http.post("/me/sign-out", data={"csrf_token": token}).status_code == 303
        assert http.get("/me/home").status_code == 303


def test_a_link_used_twice_expired_or_superseded_signs_nobody_in(web, monkeypatch):
    with client(web) as http:
        sign_in(http, JANE)
        used = outbox_link(JANE)
    with client(web) as http:
        again = open_link(http, used)
        assert again.status_code == 410 and "already used" in again.text
        assert http.get("/me/home").status_code == 303
        ask_for_link(http, JANE)
        older = outbox_link(JANE)
        ask_for_link(http, JANE)
        superseded = open_link(http, older)
        assert superseded.status_code == 410 and "newer sign-in link" in superseded.text
        newest = outbox_link(JANE)
        later(monkeypatch, minutes=16)
        expired = open_link(http, newest)
        assert expired.status_code == 410 and "expired" in expired.text
        assert http.get("/me/home").status_code == 303


def test_a_known_and_an_unknown_address_get_the_same_page_in_the_same_time(web, monkeypatch):
    submit()  # Jane is known; the others are not
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    pages = {}
    with client(web) as http:
        for round_ in range(6):
            later(monkeypatch, minutes=16)  # a fresh throttle window each round
            for kind, email in (("known", JANE), ("unknown", f"nobody{round_}@school.example")):
                token = csrf_of(http.get("/me").text)
                started = time.perf_counter()
                answer = http.post("/me", data={"csrf_token": token, "email": email})
                timings[kind].append(time.perf_counter() - started)
                pages[kind] = answer.text.replace(email, "ADDRESS")
    assert pages["known"] == pages["unknown"]
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    assert abs(known - unknown) < max(0.025, 0.5 * min(known, unknown)), timings


def test_too_many_links_for_one_address_are_refused_with_a_wait(web):
    with client(web) as http:
        for _ in range(3):
            assert ask_for_link(http, JANE).status_code == 200
        refused = ask_for_link(http, JANE)
        assert refused.status_code == 429 and "wait 15 minutes" in refused.text
        assert int(refused.headers["retry-after"]) == 900


def test_answering_a_question_on_the_page_reaches_the_reviewer_and_restarts_the_clock(web):
    reference = submit()
    decide(reference, "INFO", "Which day did you attend?")
    with client(web) as http:
        sign_in(http, JANE)
        page = http.get(f"/me/requests/{reference}")
        assert "Which day did you attend?" in page.text and "Waiting for your answer" in page.text
        sent = http.post(
            f"/me/requests/{reference}/reply",
            data={"csrf_token": csrf_of(page.text), "answer": "All three days."},
        )
        assert sent.status_code == 303
        done = http.get(sent.headers["location"])
        assert "Your answer was sent to the reviewer" in done.text
        assert "Being reviewed by OPI" in done.text and "All three days." in done.text
    shown = json.loads(pdu("case", "show", reference, "--json"))
    assert shown["status"] == "in_review"
    assert shown["timeline"][-1]["action"] == "applicant_replied"


def test_proof_uploads_are_checked_by_content_and_caps_and_lose_any_path(web, monkeypatch):
    reference = submit()
    decide(reference, "APPROVE", "18")
    with client(web) as http:
        sign_in(http, JANE)
        token = csrf_of(http.get(f"/me/requests/{reference}").text)
        url = f"/me/requests/{reference}/reply"
        lying = http.post(url, data={"csrf_token": token},
                          files={"files": ("proof.pdf", ZIP_BYTES, "application/pdf")})  # fmt: skip
        assert lying.status_code == 422 and "not a PDF, JPEG or PNG" in lying.text
        big = PDF_BYTES + b"0" * (10 * 2**20)
        over = http.post(url, data={"csrf_token": token},
                         files={"files": ("big.pdf", big, "application/pdf")})  # fmt: skip
        assert over.status_code == 422 and "larger than 10 MB" in over.text
        assert "Approved: waiting for your proof" in over.text
        pathy = ("../../etc/cert.pdf", PDF_BYTES, "text/plain")
        good = http.post(url, data={"csrf_token": token}, files={"files": pathy})
        assert good.status_code == 303
        assert "Proof received: being checked" in http.get(good.headers["location"]).text
    with UnitOfWork() as work:
        names = work.session.scalars(select(Attachment.filename)).all()
    assert names == ["cert.pdf"]


def test_a_post_without_the_csrf_token_changes_nothing(web):
    reference = submit()
    with client(web) as http:
        sign_in(http, JANE)
        refused = http.post(f"/me/requests/{reference}/withdraw", data={})
        assert refused.status_code == 403
    assert json.loads(pdu("case", "show", reference, "--json"))["status"] == "in_review"


def test_withdrawing_asks_first_then_closes_the_request(web):
    reference = submit()
    with client(web) as http:
        sign_in(http, JANE)
        confirm = http.get(f"/me/requests/{reference}/withdraw")
        assert "Yes, withdraw it" in confirm.text
        done = http.post(f"/me/requests/{reference}/withdraw",
                         data={"csrf_token": csrf_of(confirm.text)})  # fmt: skip
        assert "Your request is withdrawn" in http.get(done.headers["location"]).text
    assert json.loads(pdu("case", "show", reference, "--json"))["status"] == "withdrawn"


def test_another_educators_request_certificate_and_license_are_404_and_show_nothing(web, tmp_path):
    theirs = submit("ann@school.example", educator__first_name="Annabel",
                    activity__title="Annabel's Private Workshop")  # fmt: skip
    issued = issue_certificates(tmp_path)  # Maria 123456, Tom 234567
    tom = next(c for c in issued if c["email"] == "tom@school.example")
    with client(web) as http:
        sign_in(http, "maria@school.example")
        token = csrf_of(http.get("/me/home").text)
        for path in (
            f"/me/requests/{theirs}", f"/me/requests/{theirs}/withdraw",
            f"/me/certificates/{tom['number']}.pdf",
            f"/me/certificates/{tom['number']}/credential.json",
            "/me/progress?license=234567",
        ):  # fmt: skip
            answer = http.get(path)
            assert answer.status_code == 404, path
            shown = answer.text.replace(path, "")
            assert "Annabel" not in shown and "Tom" not in shown and "234567" not in shown
        for path in (f"/me/requests/{theirs}/withdraw", f"/me/requests/{theirs}/reply"):
            assert http.post(path, data={"csrf_token": token, "answer": "x"}).status_code == 404
        mine = http.get("/me/certificates").text
        assert tom["number"] not in mine and "Montana Literacy Summit 2026" in mine
    assert json.loads(pdu("case", "show", theirs, "--json"))["status"] == "in_review"


def test_certificates_download_as_pdf_and_credential_and_progress_is_the_transcript(web, tmp_path):
    [maria, _] = issue_certificates(tmp_path)
    transcript = json.loads(pdu("certificate", "transcript", "123456", "--json"))
    with client(web) as http:
        sign_in(http, "maria@school.example")
        listing = http.get("/me/certificates").text
        assert f"/verify/{maria['verification_code']}" in listing
        pdf = http.get(f"/me/certificates/{maria['number']}.pdf")
        assert pdf.content.startswith(b"%PDF-") and pdf.headers["content-type"] == "application/pdf"
        credential = http.get(f"/me/certificates/{maria['number']}/credential.json").json()
        assert credential["id"].endswith(maria["verification_code"])
        progress = http.get("/me/progress").text
        assert f'<strong id="progress-total">{transcript["total"]}</strong> of 60' in progress
        assert f'<progress id="progress-bar" max="60" value="{transcript["total"]}">' in progress


def test_a_new_request_from_the_portal_has_the_name_and_address_filled_in(web):
    submit()
    with client(web) as http:
        sign_in(http, JANE)
        form = http.get("/me/new-request").text
    assert 'value="jane@school.example"' in form and 'value="Jane"' in form
    assert 'value="Okafor"' in form and 'action="/apply/pre-approval"' in form


def test_many_certificates_are_listed_25_a_page_newest_first(web):
    with UnitOfWork() as work:
        work.session.add(person := Person(email="pat@school.example", first_name="Pat",
                                          last_name="Many", created_at=clock.now()))  # fmt: skip
        work.session.flush()
        work.session.execute(insert(Certificate), [
            {"number": f"PDU-2025-{i:06d}", "verification_code": f"PAGE-{i:04d}-CODE",
             "person_id": person.id, "holder_name": "Pat Many", "activity_title": f"Workshop {i}",
             "provider_name": "Provider 1", "start_date": date(2025, 1, 1) + timedelta(days=i),
             "end_date": date(2025, 1, 1) + timedelta(days=i), "hours": Decimal(2),
             "issued_at": clock.now(), "status": CertificateStatus.VALID}
            for i in range(1, 28)
        ])  # fmt: skip
        work.commit()
    with client(web) as http:
        sign_in(http, "pat@school.example")
        first = http.get("/me/certificates").text
        second = http.get("/me/certificates?page=2").text
        beyond = http.get("/me/certificates?page=99").text
    shown = re.findall(r"<dd>(PDU-2025-\d{6})</dd>", first)
    assert shown == [f"PDU-2025-{i:06d}" for i in range(27, 2, -1)]  # 25, newest first
    assert "27 certificates, newest first" in first and "Page 1 of 2" in first
    assert 'href="/me/certificates?page=2" rel="next"' in first
    assert re.findall(r"<dd>(PDU-2025-\d{6})</dd>", second) == [
        "PDU-2025-000002", "PDU-2025-000001"
    ]
    assert 'href="/me/certificates?page=1" rel="prev"' in second
    assert re.findall(r"<dd>(PDU-2025-\d{6})</dd>", beyond) == re.findall(
        r"<dd>(PDU-2025-\d{6})</dd>", second
    )
