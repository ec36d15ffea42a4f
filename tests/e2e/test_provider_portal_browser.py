"""The provider portal in a real browser (Playwright driving Debian's Chromium, SQLite),
with real mailboxes: a signed-in manager reports an event, revises it, uploads a roster
with two bad lines, sees them, uploads it fixed, watches the progress page to the end;
each attendee's mailbox receives their certificate; the ZIP's PDFs are read back. Every
page passes axe-core at desktop and phone widths.

(Signing in with a password is portal-auth's journey; here the session comes from the
session use case, as the sign-in page would make it.)"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from devmail import client as mail_client
from flows import jobs
from models.settings import reset_settings
from templates.pdf import extract_text
from tests.e2e.test_web_browser import DESKTOP, PHONE, check_accessibility
from tests.provider_portal_support import HEADER, seed, session_for
from tests.web_support import CHROMIUM, CHROMIUM_ARGS, running_web

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def good(domain: str) -> str:
    return (
        f"Maria,Running Crane,maria@{domain},123456,12\n"
        f"Nguyễn Thị,Minh Khai,khai@{domain},234567,6.5\n"
        f"Александра,Кузнецова,sasha@{domain},456789,2\n"
    )


def bad(domain: str) -> str:
    return f"Tom,Little Bear,not-an-address,345678,3\nAnn,Lee,ann@{domain},567890,40\n"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def mail_office(mail_server, database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PDU_MAIL_ADDRESS", "pdu@opi.example")
    monkeypatch.setenv("PDU_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PDU_SMTP_PORT", str(mail_server.smtp_port))
    reset_settings()
    return mail_server


class Checked:
    """Each page visited, checked by axe-core (serious or critical) and, on a phone, for
    sideways scrolling."""

    def __init__(self, page: Page, phone: bool) -> None:
        self.page, self.phone, self.problems = page, phone, []  # type: ignore[var-annotated]

    def __call__(self, name: str) -> None:
        self.problems += check_accessibility(self.page)
        if self.phone:
            overflow = self.page.evaluate("document.documentElement.scrollWidth - innerWidth")
            if overflow > 0:
                self.problems.append(f"{name} is {overflow}px wider than a phone")


def without_refresh(route: Route) -> None:
    answer = route.fetch()
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "refresh"}
    route.fulfill(response=answer, headers=headers)


def roster_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8-sig"))
    return path


@SQLITE
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_manager_reports_revises_and_issues_a_roster_in_the_browser(
    browser: Browser, mail_office, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,  # type: ignore[no-untyped-def]
    width: str,
) -> None:  # fmt: skip
    domain = f"{width}.school.example"  # the mail server lives for the whole session
    manager = f"tom@{width}.bigsky.example"
    ours, _theirs = seed(monkeypatch, (manager, f"eve@{width}.other.example"))
    with running_web() as site:
        monkeypatch.setenv("PDU_PUBLIC_URL", site.url)
        reset_settings()
        context = browser.new_context(  # the CSP would refuse axe's injected script
            viewport=DESKTOP if width == "desktop" else PHONE, base_url=site.url,
            bypass_csp=True, accept_downloads=True,
        )  # fmt: skip
        context.add_cookies([{"name": "pdu_session", "value": session_for(ours), "url": site.url}])
        page = context.new_page()
        check = Checked(page, width == "phone")

        page.goto("/provider/events")
        check("events")
        page.get_by_role("link", name="Report an activity").click()
        check("event-new")
        page.get_by_label("Title").fill("Winter Coaching Institute")
        page.get_by_label("Description").fill("Coaching cycles for K-3 literacy.")
        page.get_by_label("Start date").fill("2026-11-16")
        page.get_by_label("End date").fill("2026-11-17")
        page.get_by_label("PDU hours").fill("12")
        page.get_by_label("Location").fill("Great Falls, MT")
        page.get_by_role("button", name="Report the activity").click()
        expect(page.get_by_text("The activity is reported.")).to_be_visible()
        expect(page.get_by_text("Late: after the activity began")).to_be_visible()
        check("event")

        page.get_by_role("link", name="Revise the event").click()
        check("event-edit")
        page.get_by_label("Title").fill("Winter Literacy Coaching Institute")
        page.get_by_role("button", name="Save the changes").click()
        expect(page.get_by_text("Your changes are saved")).to_be_visible()
        expect(page.get_by_text("by TBaker")).to_be_visible()

        wrong = roster_file(tmp_path, "roster.csv", HEADER + good(domain) + bad(domain))
        page.get_by_label("Attendee roster (CSV)").set_input_files(wrong)
        page.get_by_role("button", name="Check and issue").click()
        expect(page.get_by_text("the roster has 2 problems")).to_be_visible()
        expect(
            page.get_by_text("Line 5: email 'not-an-address' is not a valid address")
        ).to_be_visible()
        expect(page.get_by_text("Line 6: hours 40 is more than the event's 12")).to_be_visible()
        check("roster-problems")

        fixed = roster_file(tmp_path, "roster-fixed.csv", HEADER + good(domain))
        page.get_by_label("Corrected roster (CSV)").set_input_files(fixed)
        page.get_by_role("button", name="Check and issue").click()
        expect(page.get_by_role("heading", name="Issuing certificates for")).to_be_visible()
        page.route("**/provider/batches/*", without_refresh)  # axe needs a page that stays
        page.reload()
        check("batch")
        page.unroute("**/provider/batches/*")
        page.reload()
        expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=120_000)
        expect(page.locator("#batch-issued")).to_have_text("3")
        check("batch-done")

        jobs.send()
        for person in ("maria", "khai", "sasha"):
            [award] = [mail_client.parse(m) for m in mail_office.messages(f"{person}@{domain}")]
            [(name, pdf)] = mail_client.attachments(award)
            assert name.endswith(".pdf") and pdf.startswith(b"%PDF")
        [told] = [mail_client.parse(m) for m in mail_office.messages(manager)]
        assert "3 certificate(s) issued for event" in str(told["Subject"])

        page.get_by_role("link", name="Back to Winter Literacy Coaching Institute").click()
        expect(page.locator("#issued-count")).to_have_text("3")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download every certificate (ZIP)").click()
        with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as z:
            texts = ["".join(extract_text(z.read(n)).split()) for n in sorted(z.namelist())]
        assert len(texts) == 3
        for holder, text in zip(
            ("MariaRunningCrane", "NguyễnThịMinhKhai", "АлександраКузнецова"), texts, strict=True
        ):
            assert holder in text and "WinterLiteracyCoachingInstitute" in text

        page.goto("/provider/events?list=past")
        check("events-past")
        page.goto("/provider/reports")
        check("reports")
        context.close()
    assert check.problems == []
