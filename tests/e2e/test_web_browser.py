"""The web front in a real browser: Playwright driving Debian's Chromium against a uvicorn
server on loopback (SQLite), with the `pdu` command run beside it as a user would; every
page checked by axe-core and photographed at desktop and phone widths.

`WEB_SCREENSHOTS=docs` also copies the screenshots there (how docs/web-*.png are made).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from models.settings import reset_settings
from tests.web_support import (
    AXE,
    issue_certificates,
    pdu,
    running_web,
    seed_office,
)
from web.server import WebServer

# The browser runs on SQLite; the HTTP-level tests (tests/integration/test_web.py) on both.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PDU = str(Path(sys.executable).parent / "pdu")
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def run_pdu(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([PDU, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"pdu {' '.join(args)}: {done.stderr}"
    return done


@pytest.fixture
def site(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:
    seed_office(monkeypatch)
    with running_web() as server:
        monkeypatch.setenv("PDU_PUBLIC_URL", server.url)  # what the QR codes open
        reset_settings()
        yield server


@pytest.fixture
def page(browser: Browser, site: WebServer) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    yield context.new_page()
    context.close()


def field(page: Page, name: str) -> Any:
    return page.locator(f'[name="{name}"]')


def fill_preapproval(page: Page, end_date: str) -> None:
    for name, value in {
        "educator.first_name": "Jane",
        "educator.last_name": "Okafor",
        "educator.email": "jane@school.example",
        "educator.license_number": "MT-48213",
        "employer": "Lame Deer Public Schools",
        "activity.title": "Trauma-Informed Classrooms Institute",
        "activity.provider": "Big Sky Learning Collaborative",
        "activity.description": "Three-day structured institute.\nDay 1: foundations.",
        "activity.start_date": "2026-12-07",
        "activity.end_date": end_date,
        "activity.hours": "18",
        "activity.location": "Billings, MT",
        "activity.alignment": "Planned and structured; extends existing skills.",
    }.items():
        field(page, name).fill(value)
    page.get_by_label("Current: I hold a current Montana educator license").check()
    page.get_by_label("PDU certificate: renewal units for my license").check()
    page.get_by_label("In person").check()


def fill_provider(page: Page, phone: str) -> None:
    for name, value in {
        "organization.name": "Yellowstone Teacher Institute",
        "organization.address": "12 Main St, Livingston, MT 59047",
        "organization.website": "yellowstone-teachers.example",
        "manager.first_name": "John",
        "manager.last_name": "Doe",
        "manager.email": "jdoe@yti.example",
        "manager.phone": phone,
        "description": "Summer institutes on place-based science teaching.",
        "alignment": "ARM 10.55.714(1)(a) and (c): sustained, collaborative.",
        "evidence": "Pre/post classroom observations; published evaluation.",
    }.items():
        field(page, name).fill(value)
    page.get_by_label("Educational organization").check()
    page.get_by_label("Reporting attestation", exact=False).check()
    page.get_by_label("Records attestation", exact=False).check()


def send(page: Page) -> None:
    page.get_by_role("button", name="Send the application").click()


def case_show(reference: str) -> dict[str, Any]:
    return dict(json.loads(run_pdu("case", "show", reference, "--json").stdout))


@SQLITE
def test_an_educator_fixes_a_mistake_and_the_reference_finds_the_case(page: Page) -> None:
    page.goto("/apply/pre-approval")
    fill_preapproval(page, end_date="2026-12-01")
    send(page)
    problem = "Activity end date: must be on or after the start date (2026-12-07)"
    expect(page.locator(".error-summary")).to_contain_text(problem)
    expect(page.locator(".error-summary")).to_be_focused()  # read first by screen readers
    page.get_by_role("link", name=problem).click()
    expect(field(page, "activity.end_date")).to_be_focused()
    beside = page.locator(".field.has-error", has=page.locator("#f-activity-end-date"))
    expect(beside).to_contain_text(problem)
    expect(field(page, "activity.title")).to_have_value("Trauma-Informed Classrooms Institute")
    field(page, "activity.end_date").fill("2026-12-09")
    send(page)
    expect(page.locator("h1")).to_have_text("Application received")
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"PA-2026-\d{5}", reference)
    case = case_show(reference)
    assert (case["kind"], case["status"]) == ("preapproval", "in_review")
    assert case["assignee"] == "rita@opi.example" and case["hours_requested"] in (18, "18")


@SQLITE
def test_an_organization_fixes_its_phone_and_its_registration_is_a_case(page: Page) -> None:
    page.goto("/apply/provider")
    fill_provider(page, phone="555")
    send(page)
    problem = "Account manager phone: must be a phone number like 406-555-0134"
    expect(page.locator(".field.has-error", has=field(page, "manager.phone"))).to_contain_text(
        problem
    )
    field(page, "manager.phone").fill("406-555-0134")
    send(page)
    reference = page.locator(".reference").inner_text()
    assert reference.startswith("PR-2026-")
    case = case_show(reference)
    assert (case["kind"], case["status"]) == ("provider", "in_review")


@SQLITE
def test_the_qr_codes_address_says_valid_then_revoked_after_pdu_revokes_it(
    page: Page, tmp_path: Path
) -> None:
    number = issue_certificates(tmp_path)[0]["number"]
    credential = json.loads(pdu("certificate", "credential", number))
    url = credential["id"]  # the verification URL, as printed in the QR code
    page.goto(url)
    expect(page.locator("h1")).to_contain_text("Valid")
    expect(page.locator(".facts")).to_contain_text("Maria Running Crane")
    run_pdu("certificate", "revoke", number, "--reason", "attendance was not confirmed")
    page.reload()
    expect(page.locator("h1")).to_contain_text("Revoked")
    expect(page.locator(".status")).to_contain_text("attendance was not confirmed")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed credential").click()
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved["id"] == url and saved["proof"]["cryptosuite"] == "eddsa-jcs-2022"


@SQLITE
def test_the_directory_search_answers_as_you_type(page: Page) -> None:
    page.goto("/apply/pre-approval")
    page.get_by_label("Search the approved providers by name").press_sequentially("billings")
    expect(page.locator("#provider-results")).to_contain_text("Billings Public Schools")
    assert page.url.endswith("/apply/pre-approval")  # no page load: the live search
    page.goto("/providers")
    page.get_by_label("Kind").select_option("college_university")
    expect(page.locator("#directory-results")).to_contain_text("1 approved provider matches")
    assert "kind=college_university" in page.url


@SQLITE
def test_the_forms_work_without_javascript(browser: Browser, site: WebServer) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=site.url)
    page = context.new_page()
    page.goto("/apply/pre-approval")
    page.get_by_label("Search the approved providers by name").fill("montana")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#directory-results")).to_contain_text("2 approved providers match")
    page.goto("/apply/pre-approval")
    fill_preapproval(page, end_date="2026-12-09")
    send(page)
    expect(page.locator(".reference")).to_have_text(re.compile(r"PA-2026-\d{5}"))
    context.close()


@SQLITE
def test_the_keyboard_reaches_the_skip_link_first_and_every_field_in_order(page: Page) -> None:
    page.goto("/apply/provider")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    names = []
    for _ in range(12):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.name || document.activeElement.id"))
    assert names.index("organization.name") < names.index("organization.address")


def check_accessibility(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_accessibility_check_finds_serious_problems_when_there_are_some(
    browser: Browser,
) -> None:
    page = browser.new_page()
    page.set_content(
        '<html lang="en"><title>t</title><main><input type="text">'
        '<p style="color:#bbb;background:#fff">faint words</p></main></html>'
    )
    found = " ".join(check_accessibility(page))
    page.close()
    assert "label" in found and "color-contrast" in found


def pages_to_check(page: Page, tmp_path: Path) -> Iterator[str]:
    """Visit every page in each state worth seeing; yield its screenshot name."""
    page.goto("/")
    yield "home"
    page.goto("/apply/pre-approval")
    page.get_by_label("Search the approved providers by name").press_sequentially("mon")
    expect(page.locator("#provider-results")).to_contain_text("Montana")
    yield "apply-preapproval"
    fill_preapproval(page, end_date="2026-12-01")
    send(page)
    yield "apply-preapproval-errors"
    field(page, "activity.end_date").fill("2026-12-09")
    send(page)
    yield "apply-received"
    page.goto("/apply/provider")
    yield "apply-provider"
    page.goto("/providers")
    yield "providers"
    page.goto("/verify")
    yield "verify"
    certificates = issue_certificates(tmp_path)
    page.goto(f"/verify/{certificates[0]['verification_code']}")
    yield "verify-valid"
    pdu("certificate", "reissue", certificates[1]["number"], "--hours", "6", "--reason",
        "hours corrected")  # fmt: skip
    page.goto(f"/verify/{certificates[1]['verification_code']}")
    yield "verify-revoked"
    page.goto("/verify/ABCD-EFGH-JKLM-NPQR")
    yield "verify-unknown"


@SQLITE
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_page_passes_axe_and_is_photographed(
    browser: Browser, site: WebServer, tmp_path: Path, width: str
) -> None:
    context = browser.new_context(  # the CSP would refuse axe's injected script
        viewport=DESKTOP if width == "desktop" else PHONE, base_url=site.url, bypass_csp=True
    )
    page = context.new_page()
    problems: list[str] = []
    shots = tmp_path / "shots"
    for name in pages_to_check(page, tmp_path):
        problems += check_accessibility(page)
        if width == "phone":  # nothing may need sideways scrolling on a phone
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than a phone"
        page.screenshot(path=shots / f"web-{name}-{width}.png", full_page=True)
    context.close()
    assert problems == []
    if os.environ.get("WEB_SCREENSHOTS"):
        for shot in shots.iterdir():
            shutil.copy(shot, Path(os.environ["WEB_SCREENSHOTS"]) / shot.name)
