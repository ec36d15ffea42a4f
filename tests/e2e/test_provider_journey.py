"""A provider's whole journey in a real browser (Playwright driving Debian's Chromium,
SQLite), with real mail (Dovecot mailboxes behind SMTP) and the reviewer's real email:

the registration is approved by Rita's `APPROVE` reply; the welcome email is read from the
manager's own mailbox and its link opened; a password chosen (a common one refused first);
sign in; report an event; revise it; a roster with two bad lines, its problems seen, fixed,
uploaded again; the progress page followed to the end; every attendee's mailbox receives
their certificate; the ZIP downloaded and each PDF's text read back; a user invited, who
chooses a password from their own mailbox and signs in; the organisation's email changed,
confirmed from the new address's mailbox, the old one told; the manager enrols TOTP (codes
computed with pyotp) and signs in with it.

Every page visited is checked by axe-core at desktop and phone widths (no serious or
critical violation, nothing wider than a phone) and photographed; `WEB_SCREENSHOTS=docs`
copies the desktop photographs that docs/provider-portal.md and README.md show.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page, Route, expect

from devmail import client as mail_client
from flows import jobs
from models import clock
from models.settings import reset_settings
from templates.pdf import extract_text
from tests.e2e.forms import provider
from tests.e2e.test_web_browser import DESKTOP, PHONE, SQLITE, check_accessibility
from tests.provider_portal_support import HEADER
from tests.web_support import running_web

PASSWORD = "bitterroot valley in june"
LINK = re.compile(r"http://\S+/account/setup\?code=[a-z2-7]{26}")
# The desktop photographs the docs show (WEB_SCREENSHOTS=docs refreshes them).
DOCUMENTED = {
    "sign-in", "account", "events-past", "event", "roster-problems", "batch-done", "users",
    "reports", "share", "two-factor", "confirm-email",
}  # fmt: skip


class Checked:
    """Each page visited: axe-core at both widths, no sideways scrolling on a phone, a
    photograph of each."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page, self.shots = page, shots
        self.problems: list[str] = []

    def __call__(self, name: str) -> None:
        for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            self.problems += [f"{name} ({width}): {p}" for p in check_accessibility(self.page)]
            if width == "phone":
                overflow = self.page.evaluate("document.documentElement.scrollWidth - innerWidth")
                if overflow > 0:
                    self.problems.append(f"{name} is {overflow}px wider than a phone")
            self.page.screenshot(path=self.shots / f"portal-{name}-{width}.png", full_page=True)
        self.page.set_viewport_size(DESKTOP)

    def keep(self) -> None:
        """Copy the documented desktop photographs to $WEB_SCREENSHOTS, when set."""
        target = os.environ.get("WEB_SCREENSHOTS")
        for name in DOCUMENTED if target else ():
            shutil.copy(self.shots / f"portal-{name}-desktop.png", Path(target or "."))


def approve_registration(office, manager: str) -> str:  # type: ignore[no-untyped-def]
    """The registration by the form, Rita's APPROVE by email: the welcome email's text."""
    result = jobs.intake("provider", provider(manager))
    assert result.ok, result.problems
    office.cycle()
    task = office.last(office.staff("rita"), result.reference)
    office.reply(task, office.staff("rita"), "APPROVE")
    office.cycle()
    return text_of(office.last(manager, "approved PDU provider"))


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    return str(message.get_body(("plain",)).get_content())


def choose_password(page: Page, password: str) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Type the new password again").fill(password)
    page.get_by_role("button", name="Save the password").click()


def sign_in(page: Page, username: str) -> None:
    page.goto("/provider/sign-in")
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".notice")).to_contain_text("You have signed out")


def without_refresh(route: Route) -> None:
    """The batch page without its Refresh header: axe needs a page that stays put."""
    answer = route.fetch()
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "refresh"}
    route.fulfill(response=answer, headers=headers)


def roster(tmp_path: Path, name: str, lines: str) -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + lines).encode("utf-8-sig"))  # as Excel saves "CSV UTF-8"
    return path


ATTENDEES = {  # mailbox name: the name as the certificate prints it (spaces dropped)
    "maria": "MariaRunningCrane", "khai": "NguyễnThịMinhKhai", "sasha": "АлександраКузнецова",
}  # fmt: skip


def good_lines(domain: str) -> str:
    return (
        f"Maria,Running Crane,maria@{domain},123456,12\n"
        f"Nguyễn Thị,Minh Khai,khai@{domain},234567,6.5\n"
        f"Александра,Кузнецова,sasha@{domain},456789,2\n"
    )


def bad_lines(domain: str) -> str:
    return f"Tom,Little Bear,not-an-address,345678,3\nAnn,Lee,ann@{domain},567890,40\n"


def get_in(office, page: Page, check: Checked, manager: str) -> None:  # type: ignore[no-untyped-def]
    """Approved by email; the welcome email's link from the real mailbox; a password."""
    welcome = approve_registration(office, manager)
    assert "Username: JDoe" in welcome
    link = LINK.search(welcome)
    assert link, welcome
    page.goto(link[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(page.get_by_label("Username")).to_have_value("JDoe")
    check("choose-password")
    choose_password(page, "password1234")
    expect(page.locator(".error-summary")).to_contain_text("most common")
    check("choose-password-error")
    choose_password(page, PASSWORD)
    expect(page.locator(".notice")).to_contain_text("Your password is saved")
    check("sign-in")
    page.goto(link[0])
    expect(page.locator(".notice")).to_contain_text("already been used")
    check("link-used")
    page.goto("/provider/forgot-password")
    check("forgot-password")
    page.goto("/provider/forgot-username")
    check("forgot-username")

    sign_in(page, "jdoe")  # any case
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")
    expect(page.locator(".account-bar")).to_contain_text("acting for Big Sky")
    check("events")


def report_and_revise(page: Page, check: Checked) -> None:
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
    expect(page.get_by_text("by JDoe")).to_be_visible()


def issue_roster(office, page: Page, check: Checked, tmp_path: Path, manager: str) -> None:  # type: ignore[no-untyped-def]
    domain = f"school.{office.domain}"
    wrong = roster(tmp_path, "roster.csv", good_lines(domain) + bad_lines(domain))
    page.get_by_label("Attendee roster (CSV)").set_input_files(wrong)
    page.get_by_role("button", name="Check and issue").click()
    expect(page.get_by_text("the roster has 2 problems")).to_be_visible()
    expect(page.get_by_text("Line 5: email 'not-an-address' is not a valid")).to_be_visible()
    expect(page.get_by_text("Line 6: hours 40 is more than the event's 12")).to_be_visible()
    check("roster-problems")

    page.get_by_label("Corrected roster (CSV)").set_input_files(
        roster(tmp_path, "roster-fixed.csv", good_lines(domain))
    )
    page.get_by_role("button", name="Check and issue").click()
    expect(page.get_by_role("heading", name="Issuing certificates for")).to_be_visible()
    page.route("**/provider/batches/*", without_refresh)
    page.reload()
    check("batch")
    page.unroute("**/provider/batches/*")
    page.reload()  # the page refreshes itself until the batch is done
    expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=120_000)
    expect(page.locator("#batch-issued")).to_have_text("3")
    check("batch-done")

    jobs.send()
    for person in ATTENDEES:
        [award] = office.inbox(f"{person}@{domain}")
        [(name, pdf)] = mail_client.attachments(award)
        assert name.endswith(".pdf") and pdf.startswith(b"%PDF")
    told = office.last(manager, "certificate(s) issued for event")
    assert "3 certificate(s) issued" in str(told["Subject"])

    page.get_by_role("link", name="Back to Winter Literacy Coaching Institute").click()
    expect(page.locator("#issued-count")).to_have_text("3")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download every certificate (ZIP)").click()
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as z:
        texts = ["".join(extract_text(z.read(n)).split()) for n in sorted(z.namelist())]
    assert len(texts) == len(ATTENDEES)
    for holder in ATTENDEES.values():
        [text] = [t for t in texts if holder in t]
        assert "WinterLiteracyCoachingInstitute" in text


def other_pages(page: Page, check: Checked) -> None:
    """The rest of a provider's pages: past events, the annual report, sharing."""
    page.goto("/provider/events?list=past")
    check("events-past")
    page.get_by_role("link", name="Winter Literacy Coaching Institute").first.click()
    page.get_by_role("link", name="Share it on the Learning Opportunities Portal").click()
    check("share")
    page.goto("/provider/opportunities")
    check("opportunities")
    page.goto("/provider/reports")
    check("reports")


def invite_a_user(office, browser: Browser, page: Page, check: Checked, base_url: str) -> None:  # type: ignore[no-untyped-def]
    lee = f"ann.lee@bigsky.{office.domain}"
    page.goto("/provider/users")
    check("users")
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Email").fill(lee)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".notice")).to_contain_text("The invitation is sent")
    expect(page.get_by_role("cell", name="ALee", exact=True)).to_be_visible()

    jobs.send()
    invitation = text_of(office.last(lee, "Choose your password"))
    link = LINK.search(invitation)
    assert link and "ALee" in invitation, invitation
    context = browser.new_context(viewport=DESKTOP, base_url=base_url, bypass_csp=True)
    theirs = context.new_page()
    theirs.goto(link[0])
    expect(theirs.get_by_label("Username")).to_have_value("ALee")
    choose_password(theirs, PASSWORD)
    sign_in(theirs, "ALee")
    expect(theirs.get_by_role("heading", level=1)).to_have_text("Your events")
    theirs.goto("/provider/events?list=past")  # the organisation's events are theirs too
    expect(theirs.get_by_role("link", name="Winter Literacy Coaching Institute")).to_be_visible()
    context.close()


def change_organisation_email(office, page: Page, check: Checked, manager: str) -> None:  # type: ignore[no-untyped-def]
    """Confirmed from the new address's mailbox; the old one (the manager's) is told."""
    new = f"learning@bigsky.{office.domain}"
    page.goto("/provider/users")
    page.get_by_role("link", name="Change the organisation's email address").click()
    check("email-change")
    page.get_by_label("New email address").fill(new)
    page.get_by_role("button", name="Send the confirmation link").click()
    expect(page.get_by_text(f"We have sent a link to {new}")).to_be_visible()
    jobs.send()
    link = re.search(r"http://\S+/provider/confirm-email\?code=\S+", text_of(
        office.last(new, "Confirm your new email address")))  # fmt: skip
    assert link
    page.goto(link[0])
    check("confirm-email")
    page.get_by_role("button", name="Change the address").click()
    expect(page.locator(".notice")).to_contain_text("The organisation's email address is changed")
    jobs.send()
    told = text_of(office.last(manager, "has changed"))
    assert f"from: {manager}" in told and f"to:   {new}" in told


def second_factor(office, page: Page, check: Checked, manager: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/provider/account")
    check("account")
    page.get_by_role("link", name="Set up a second factor").click()
    check("two-factor")
    totp = pyotp.TOTP(page.locator("#secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill(totp.at(clock.now()))
    page.get_by_role("button", name="Turn on the second factor").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    check("recovery-codes")
    page.goto("/provider/account")
    expect(page.locator("dd").nth(3)).to_contain_text("On")
    sign_out(page)
    page.goto("/provider/account")
    expect(page).to_have_url(re.compile(r"/provider/sign-in\?next="))

    office.at((clock.now() + timedelta(seconds=30)).isoformat())  # the next TOTP step
    sign_in(page, manager)  # the address works as well as the username
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    check("second-factor")
    wrong = "123456" if totp.at(clock.now()) != "123456" else "654321"
    page.get_by_label("Code", exact=True).fill(wrong)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("not right")
    page.get_by_label("Code", exact=True).fill(totp.at(clock.now()))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")


@SQLITE
def test_a_provider_approved_by_email_issues_certificates_and_manages_users_in_the_browser(
    office, browser: Browser, tmp_path: Path
) -> None:
    manager = f"jdoe@bigsky.{office.domain}"
    with running_web() as site:
        office.monkeypatch.setenv("PDU_PUBLIC_URL", site.url)  # what the emailed links open
        reset_settings()
        context = browser.new_context(  # the CSP would refuse axe's injected script
            viewport=DESKTOP, base_url=site.url, bypass_csp=True, accept_downloads=True
        )
        page = context.new_page()
        check = Checked(page, tmp_path)
        get_in(office, page, check, manager)
        report_and_revise(page, check)
        issue_roster(office, page, check, tmp_path, manager)
        other_pages(page, check)
        invite_a_user(office, browser, page, check, site.url)
        change_organisation_email(office, page, check, manager)
        second_factor(office, page, check, manager)
        context.close()
    assert check.problems == []
    check.keep()
