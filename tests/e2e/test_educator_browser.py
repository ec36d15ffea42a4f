"""Educators and the Learning Opportunities Portal in a real browser (Playwright, Debian's
Chromium) against uvicorn on loopback, with real mail: Dovecot mailboxes behind SMTP.

Jane signs in with the link from her own mailbox, answers Rita's question on the page (Rita's
mailbox receives it), uploads her proof, Rita accepts it by email, and the certificate is
under Jane's certificates; her renewal bar says what `pdu certificate transcript` says.
Every new page passes axe-core at desktop and phone widths (`WEB_SCREENSHOTS=docs` keeps
the photographs, as for tests/e2e/test_web_browser.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from flows import jobs
from models.settings import reset_settings
from tests.e2e.forms import preapproval
from tests.e2e.test_web_browser import DESKTOP, SQLITE, axe_every_page
from tests.educator_support import PDF_BYTES, submit
from tests.educator_support import decide as decide_now
from tests.educator_web_support import outbox_link
from tests.opportunity_support import approved_opportunity, decide, submit_opportunity
from tests.web_support import (
    ROOT,
    issue_certificates,
    pdu,
    running_web,
    seed_office,
)
from web.server import WebServer

LINK = re.compile(r"(https?://\S+/me/sign-in/[A-Za-z0-9_-]+)")


def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:
    with running_web() as server:
        monkeypatch.setenv("PDU_PUBLIC_URL", server.url)  # what the emailed links open
        reset_settings()
        yield server


@pytest.fixture
def mail_site(office, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:  # type: ignore[no-untyped-def]
    pdu("directory", "import", str(ROOT / "scripts" / "sample-directory.csv"))
    yield from serve(monkeypatch)


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(("plain",)).get_content()


def reply_as_rita(office, reference: str, command: str) -> None:  # type: ignore[no-untyped-def]
    rita = office.staff("rita")
    office.reply(office.last(rita, reference), rita, command)
    office.cycle()


@SQLITE
def test_jane_signs_in_from_her_mailbox_answers_sends_proof_and_finds_her_certificate(
    office, mail_site: WebServer, browser: Browser, tmp_path: Path
) -> None:
    jane, rita = office.applicant, office.staff("rita")
    reference = jobs.intake("preapproval", preapproval(jane)).reference
    assert reference
    office.cycle()
    reply_as_rita(office, reference, "INFO Which of the three days did you attend?")

    context = browser.new_context(viewport=DESKTOP, base_url=mail_site.url)
    page = context.new_page()
    page.goto("/me")
    page.get_by_label("Your email address").fill(jane)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    office.cycle()
    link = LINK.search(text_of(office.last(jane, "sign-in link")))
    assert link and link[1].startswith(mail_site.url)
    page.goto(link[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    expect(page.locator("main")).to_contain_text(reference)
    expect(page.locator("main")).to_contain_text("Waiting for your answer")

    page.get_by_role("link", name="Answer OPI's question").click()
    expect(page.locator(".question")).to_have_text("Which of the three days did you attend?")
    page.get_by_label("Your answer").fill("All three, December 7 to 9.")
    page.get_by_role("button", name="Send your answer").click()
    expect(page.locator(".success")).to_contain_text("Your answer was sent to the reviewer")
    office.cycle()
    assert "All three, December 7 to 9." in text_of(office.last(rita, "answered"))

    reply_as_rita(office, reference, "APPROVE 18")
    page.reload()
    expect(page.locator(".status")).to_contain_text("Approved: waiting for your proof")
    proof = tmp_path / "attendance.pdf"
    proof.write_bytes(PDF_BYTES)
    page.get_by_label("Proof of completion").set_input_files(str(proof))
    page.get_by_role("button", name="Send proof").click()
    expect(page.locator(".success")).to_contain_text("Your proof of completion was sent")
    office.cycle()
    assert "attendance.pdf" in text_of(office.last(rita, reference))
    reply_as_rita(office, reference, "ACCEPT")

    page.get_by_role("link", name="Your certificates").click()
    certificate = page.locator(".certificates li").first
    expect(certificate).to_contain_text("Trauma-Informed Classrooms Institute")
    expect(certificate).to_contain_text("Valid")
    transcript = json.loads(pdu("certificate", "transcript", "MT-48213", "--json"))
    page.get_by_role("link", name="Renewal progress").click()
    expect(page.locator("#progress-total")).to_have_text(str(transcript["total"]))
    assert page.locator("progress").get_attribute("value") == str(transcript["total"]) == "18"
    context.close()


@SQLITE
def test_the_portal_calendar_shows_an_approved_opportunity_and_not_a_rejected_one(
    office, mail_site: WebServer, browser: Browser
) -> None:
    approved_opportunity(title="Rural Literacy Coaching Institute")
    decide(submit_opportunity(title="Smart Tablets for Every Classroom"), "DENY")
    page = browser.new_page(base_url=mail_site.url)
    page.goto("/")
    page.get_by_role("link", name="Learning opportunities").click()
    calendar = page.locator("section", has=page.get_by_role("heading", name="Calendar"))
    expect(calendar).to_contain_text("Rural Literacy Coaching Institute")
    expect(page.locator("main")).not_to_contain_text("Smart Tablets")
    page.close()


@pytest.fixture
def site(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:
    seed_office(monkeypatch)
    yield from serve(monkeypatch)


def educator_pages(page: Page, tmp_path: Path) -> Iterator[str]:
    """Every new page in each state worth seeing; yields its screenshot name."""
    approved_opportunity()
    approved_opportunity(
        title="Teaching Montana History Online", format="self_paced", start_date=None,
        end_date=None, location=None, hours="6.5",
    )  # fmt: skip
    page.goto("/opportunities")
    yield "opportunities"
    page.get_by_role("link", name="Catalog (1)").click()
    yield "opportunities-catalog"
    issue_certificates(tmp_path)  # Maria's, by a roster
    maria = {"educator__first_name": "Maria", "educator__last_name": "Running Crane"}
    reference = submit("maria@school.example", educator__license_number="123456", **maria)
    page.goto("/me")
    yield "me-sign-in"
    page.get_by_label("Your email address").fill("maria@school.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    yield "me-link-sent"
    page.goto(f"/me/sign-in/{outbox_link('maria@school.example')}")
    yield "me-link"
    page.get_by_role("button", name="Sign in").click()
    decide_now(reference, "INFO", "Which of the three days did you attend?")
    page.goto("/me/home")
    yield "me-requests"
    page.goto(f"/me/requests/{reference}")
    yield "me-request-question"
    page.goto(f"/me/requests/{reference}/withdraw")
    yield "me-withdraw"
    page.goto("/me/certificates")
    yield "me-certificates"
    page.goto("/me/progress")
    yield "me-progress"
    page.goto("/me/new-request")
    yield "me-new-request"


@SQLITE
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_educator_page_passes_axe_and_is_photographed(
    browser: Browser, site: WebServer, tmp_path: Path, width: str
) -> None:
    axe_every_page(browser, site.url, width, educator_pages, tmp_path)
