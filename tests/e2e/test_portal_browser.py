"""The provider's way in, in a real browser (Playwright driving Debian's Chromium) with real
mail: a registration approved by the reviewer's APPROVE email; the welcome email read from
the manager's own mailbox (Dovecot); its link opened; a password chosen; sign in; sign out;
a second factor enrolled with codes computed by pyotp, and used to sign in. Every page is
checked by axe-core at desktop and phone widths (no serious or critical violation, nothing
wider than a phone).

`WEB_SCREENSHOTS=docs` also copies the screenshots there (docs/portal-*.png).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from flows import jobs
from models import clock
from models.settings import reset_settings
from tests.e2e.forms import provider
from tests.portal_support import probed_web
from tests.web_support import AXE

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
PASSWORD = "bitterroot valley in june"


class Checked:
    """Each page visited: axe-core at both widths, no sideways scrolling on a phone, a
    screenshot of each."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page, self.shots = page, shots
        self.problems: list[str] = []

    def __call__(self, name: str) -> None:
        for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            self.page.add_script_tag(path=str(AXE))
            result = self.page.evaluate(
                "async () => await axe.run(document, {resultTypes: ['violations']})"
            )
            self.problems += [
                f"{name} ({width}): {v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if width == "phone":
                overflow = self.page.evaluate("document.documentElement.scrollWidth - innerWidth")
                assert overflow <= 0, f"{name} is {overflow}px wider than a phone"
            self.page.screenshot(path=self.shots / f"portal-{name}-{width}.png", full_page=True)
        self.page.set_viewport_size(DESKTOP)


def approve_registration(office, manager: str) -> str:  # type: ignore[no-untyped-def]
    result = jobs.intake("provider", provider(manager))
    assert result.ok, result.problems
    office.cycle()
    task = office.last(office.staff("rita"), result.reference)
    office.reply(task, office.staff("rita"), "APPROVE")
    office.cycle()
    welcome = office.last(manager, "approved PDU provider")
    return str(welcome.get_body(("plain",)).get_content())


def sign_in(page: Page, username: str) -> None:
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@SQLITE
def test_a_new_provider_gets_in_from_the_welcome_email_and_sets_up_a_second_factor(
    office, browser: Browser, tmp_path: Path
) -> None:
    with probed_web() as site:
        office.monkeypatch.setenv("PDU_PUBLIC_URL", site.url)
        reset_settings()
        manager = f"jdoe@bigsky.{office.domain}"
        welcome = approve_registration(office, manager)
        assert "Username: JDoe" in welcome
        link = re.search(r"http://\S+/account/setup\?code=[a-z2-7]{26}", welcome)
        assert link, welcome

        context = browser.new_context(viewport=DESKTOP, base_url=site.url, bypass_csp=True)
        page = context.new_page()
        check = Checked(page, tmp_path)
        page.goto(link[0])
        expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
        expect(page.get_by_label("Username")).to_have_value("JDoe")
        check("choose-password")
        page.get_by_label("New password", exact=True).fill("password1234")
        page.get_by_label("Type the new password again").fill("password1234")
        page.get_by_role("button", name="Save the password").click()
        expect(page.locator(".error-summary")).to_contain_text("most common")
        check("choose-password-error")
        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("Type the new password again").fill(PASSWORD)
        page.get_by_role("button", name="Save the password").click()
        expect(page.locator(".notice")).to_contain_text("Your password is saved")
        check("sign-in")
        page.goto(link[0])
        expect(page.locator(".notice")).to_contain_text("already been used")
        check("link-used")

        page.goto("/provider/sign-in?next=/provider/account")
        sign_in(page, "jdoe")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
        expect(page.locator(".account-bar")).to_contain_text("acting for Big Sky")
        check("account")
        page.get_by_role("button", name="Sign out").click()
        expect(page.locator(".notice")).to_contain_text("You have signed out")
        page.goto("/provider/account")
        expect(page).to_have_url(re.compile(r"/provider/sign-in\?next="))

        page.goto("/provider/forgot-password")
        check("forgot-password")
        page.goto("/provider/forgot-username")
        check("forgot-username")

        page.goto("/provider/sign-in?next=/provider/account")
        sign_in(page, manager)  # the address works as well as the username
        page.get_by_role("link", name="Set up a second factor").click()
        check("two-factor")
        secret = page.locator("#secret").inner_text().replace(" ", "")
        totp = pyotp.TOTP(secret)
        page.get_by_label("Code from the app").fill(totp.at(clock.now()))
        page.get_by_role("button", name="Turn on the second factor").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        check("recovery-codes")
        page.goto("/provider/account")
        expect(page.locator("dd").nth(2)).to_contain_text("On")
        page.get_by_role("button", name="Sign out").click()

        office.at((clock.now() + timedelta(seconds=30)).isoformat())  # the next TOTP step
        page.goto("/provider/sign-in?next=/provider/account")
        sign_in(page, "JDoe")
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
        check("second-factor")
        wrong = "123456" if totp.at(clock.now()) != "123456" else "654321"
        page.get_by_label("Code", exact=True).fill(wrong)
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".error-summary")).to_contain_text("not right")
        page.get_by_label("Code", exact=True).fill(totp.at(clock.now()))
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
        context.close()
    assert check.problems == []
    if os.environ.get("WEB_SCREENSHOTS"):
        for shot in tmp_path.glob("portal-*.png"):
            shutil.copy(shot, Path(os.environ["WEB_SCREENSHOTS"]) / shot.name)
