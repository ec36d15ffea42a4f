"""The web front over real HTTP: a uvicorn server on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from devmail import free_port
from models import credentials
from models.cases import Case
from models.certificates import Certificate
from models.enums import CertificateStatus
from models.forms import form_fields
from models.services.issuing import issuer_did
from models.settings import get_settings
from models.uow import UnitOfWork
from tests.e2e.forms import PREAPPROVAL, PROVIDER
from tests.web_support import csrf_of, issue_certificates, pdu, running_web, seed_office
from web.security import Limit

PDU = str(Path(sys.executable).parent / "pdu")


@pytest.fixture
def office(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_office(monkeypatch)


@pytest.fixture
def client(office: None) -> Iterator[httpx.Client]:
    with running_web() as server, httpx.Client(base_url=server.url, timeout=20) as http:
        yield http


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON-shaped form as a browser posts it (check boxes "yes", blanks left out)."""
    posted: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            posted |= flat(value, f"{prefix}{key}.")
        elif value is True:
            posted[f"{prefix}{key}"] = "yes"
        elif value not in (None, False):
            posted[f"{prefix}{key}"] = str(value)
    return posted


def post_form(http: httpx.Client, slug: str, posted: dict[str, str]) -> httpx.Response:
    token = csrf_of(http.get(f"/apply/{slug}").text)
    return http.post(f"/apply/{slug}", data={"csrf_token": token, **posted})


def cases() -> list[dict[str, Any]]:
    with UnitOfWork() as work:
        return [
            {"reference": c.reference, "status": c.status.value, "channel": c.channel.value,
             "form": c.form}
            for c in work.session.scalars(select(Case))
        ]  # fmt: skip


def test_the_web_form_has_a_labelled_input_for_every_answer_of_the_model(client):
    for slug, kind in (("pre-approval", "preapproval"), ("provider", "provider")):
        html = client.get(f"/apply/{slug}").text
        names = set(re.findall(r'<(?:input|textarea)[^>]* name="([a-z_.]+)"', html))
        assert names - {"csrf_token", "q"} == {f.path for f in form_fields(kind)}
        ids = re.findall(r'<(?:input|textarea)[^>]* id="(f-[a-z-]+)"', html)
        labelled = set(re.findall(r'<label for="(f-[a-z0-9-]+)"', html))
        assert {i for i in ids} <= labelled | {i.rsplit("-", 1)[0] for i in labelled}


def test_a_mistake_comes_back_in_the_cli_words_beside_its_field_and_creates_nothing(client):
    wrong = flat(PREAPPROVAL) | {"activity.end_date": "2026-12-01", "educator.email": "jane@"}
    answer = post_form(client, "pre-approval", wrong)
    assert answer.status_code == 422
    html = answer.text
    assert "<title>Error: " in html
    for message in (
        "Educator email: must be an email address like name@example.org",
        "Activity end date: must be on or after the start date (2026-12-07)",
    ):
        assert html.count(message) == 2  # in the summary and beside the field
    assert 'value="Trauma-Informed Classrooms Institute"' in html  # nothing typed is lost
    assert cases() == []


def test_a_corrected_form_redirects_to_the_reference_of_the_case_it_created(client):
    answer = post_form(client, "pre-approval", flat(PREAPPROVAL))
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    (case,) = cases()
    assert case["reference"] in page.text and case["channel"] == "web"
    assert case["status"] == "in_review"
    assert case["form"]["educator"]["email"] == "jane@school.example"
    again = client.get(post_form(client, "pre-approval", flat(PREAPPROVAL)).headers["location"])
    assert "nothing new was created" in again.text and len(cases()) == 1


def test_a_course_by_an_approved_provider_is_told_it_needs_no_preapproval(client):
    form = flat(PREAPPROVAL) | {"activity.provider": "Montana State University"}
    page = client.get(post_form(client, "pre-approval", form).headers["location"])
    (case,) = cases()
    assert case["status"] == "redirected" and case["reference"] in page.text
    assert "does not need OPI's pre-approval" in page.text and "whom to ask" in page.text


def test_what_people_type_is_shown_back_escaped_never_run(client):
    typed = {"educator.first_name": "<script>alert(1)</script>", "activity.title": '"><b>x'}
    html = post_form(client, "pre-approval", typed).text
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '"><b>x' not in html


def test_a_provider_registration_by_web_is_a_case_like_by_email(client):
    answer = post_form(client, "provider", flat(PROVIDER) | {"attest_reporting": ""})
    assert "Reporting attestation: OPI approves only organizations that can report" in (answer.text)
    answer = post_form(client, "provider", flat(PROVIDER))
    assert answer.status_code == 303
    (case,) = cases()
    assert case["reference"].startswith("PR-") and case["reference"] in answer.headers["location"]


def test_an_organization_already_approved_is_told_it_needs_no_registration(client):
    form = flat(PROVIDER) | {"organization.name": "Montana State University"}
    page = client.get(post_form(client, "provider", form).headers["location"])
    assert [c["status"] for c in cases()] == ["redirected"]
    assert "already an approved provider" in page.text
    assert "does not need OPI's pre-approval" not in page.text


def test_a_post_without_the_csrf_token_submits_nothing_and_keeps_the_answers(client):
    client.get("/apply/pre-approval")
    answer = client.post("/apply/pre-approval", data=flat(PREAPPROVAL))
    assert answer.status_code == 400
    assert "nothing was submitted" in answer.text
    assert 'value="Trauma-Informed Classrooms Institute"' in answer.text
    assert cases() == []


def test_the_confirmation_page_cannot_be_forged(client):
    answer = client.get("/apply/received?reference=PA-2026-00001&status=in_review&new=1&sig=00")
    assert answer.status_code == 404


def test_form_posts_beyond_the_limit_are_refused_and_the_answers_kept(office):
    with running_web(form_limit=Limit(2, 600)) as server, httpx.Client(base_url=server.url) as h:
        for _ in range(2):
            assert post_form(h, "pre-approval", {"employer": "Lame Deer"}).status_code == 422
        refused = post_form(h, "pre-approval", flat(PREAPPROVAL))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert 'value="Trauma-Informed Classrooms Institute"' in refused.text
    assert cases() == []


@pytest.fixture
def certificates(office: None, tmp_path: Path) -> list[dict[str, Any]]:
    return issue_certificates(tmp_path)


def test_verify_shows_valid_then_revoked_with_date_reason_and_replacement(client, certificates):
    number, code = certificates[0]["number"], certificates[0]["verification_code"]
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    assert "Valid" in text and "Maria Running Crane" in text and "123456" in text
    assert "Montana Literacy Summit 2026" in text and "November 19–20, 2026" in text
    assert "maria@school.example" not in text  # the email is not on the certificate
    pdu("certificate", "reissue", number, "--name", "Maria Running-Crane")
    text = client.get(f"/verify/{code.lower().replace('-', '')}").text
    assert "Revoked" in text and "November 23, 2026" in text
    new = pdu("certificate", "list", "--json")
    assert "replaced by" in text and re.search(r'<a href="/verify/[A-Z0-9-]+">PDU-', text)
    assert "Maria Running-Crane" in new


def test_the_form_at_verify_leads_to_the_certificate(client, certificates):
    typed = certificates[1]["verification_code"].lower().replace("-", " ")
    page = client.get("/verify", params={"code": typed}, follow_redirects=True)
    assert "Tom Little Bear" in page.text and "6.5" in page.text


def test_a_sequential_certificate_number_opens_nothing_on_the_public_page(client, certificates):
    page = client.get(f"/verify/{certificates[1]['number']}")
    assert page.status_code == 404 and "Tom Little Bear" not in page.text
    assert "The certificate number alone is not enough" in page.text


def test_an_unknown_code_is_a_plain_404_page(client):
    page = client.get("/verify/ABCD-EFGH-JKLM-NPQR")
    assert page.status_code == 404
    assert "No certificate has this code" in page.text


def test_an_overlong_code_is_the_same_404_page(client):
    page = client.get("/verify/" + "A" * 500)
    assert page.status_code == 404 and "No certificate has this code" in page.text


def test_a_disposed_certificate_says_so_and_shows_nothing_else(client, certificates):
    with UnitOfWork() as work:
        work.session.execute(
            update(Certificate)
            .where(Certificate.number == certificates[0]["number"])
            .values(status=CertificateStatus.DISPOSED, holder_name="", license_number=None)
        )
        work.commit()
    page = client.get(f"/verify/{certificates[0]['verification_code']}")
    assert page.status_code == 200
    assert "disposed of under the retention schedule" in page.text
    assert "Montana Literacy Summit" not in page.text and "credential.json" not in page.text
    gone = client.get(f"/verify/{certificates[0]['verification_code']}/credential.json")
    assert gone.status_code == 410


def test_the_signed_credential_downloads_as_json_and_verifies(client, certificates):
    code = certificates[0]["verification_code"]
    answer = client.get(f"/verify/{code}/credential.json")
    assert answer.headers["content-type"] == "application/json"
    assert "attachment" in answer.headers["content-disposition"]
    credential = answer.json()
    assert credentials.verify(credential, {issuer_did(get_settings().secret_key)})
    assert credential["id"].endswith(f"/verify/{code}")


def test_verification_lookups_are_rate_limited_per_address(office):
    with running_web(verify_limit=Limit(3, 600)) as server, httpx.Client(base_url=server.url) as h:
        answers = [h.get(f"/verify/AAAA-BBBB-CCCC-DDD{i}").status_code for i in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_the_directory_searches_by_name_and_filters_by_kind(client):
    every = client.get("/providers").text
    assert "3 approved providers." in every
    assert "Montana State University" in every and "pd@msu.example" in every
    found = client.get("/providers", params={"q": "montana"}).text
    assert "2 approved providers match your search" in found
    schools = client.get("/providers", params={"q": "montana", "kind": "college_university"})
    assert "1 approved provider matches" in schools.text
    assert "Montana Council" not in schools.text
    live = client.get("/providers/results", params={"q": "billings", "compact": "1"}).text
    assert live.startswith("<p><strong>1 approved provider</strong>") and "Pat Lee" in live


def test_pages_use_only_local_assets_and_send_security_headers(client):
    for path in ("/", "/apply/pre-approval", "/apply/provider", "/verify", "/providers"):
        page = client.get(path)
        assert page.status_code == 200
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/static/") for a in assets)
        for asset in assets:
            assert client.get(asset).status_code == 200


def test_an_unknown_page_is_a_404_page_not_a_traceback(client):
    page = client.get("/apply/nothing")
    assert page.status_code == 404 and "Page not found" in page.text
    assert client.get("/providers/results", params={"compact": "maybe"}).status_code == 400


def test_pdu_web_serves_until_stopped_and_refuses_a_taken_port(database_url):
    port = free_port()
    server = subprocess.Popen([PDU, "web", "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith(f"PDU web: http://127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/providers", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "pdu web did not answer"
                time.sleep(0.1)
        assert answer.status_code == 200
        taken = subprocess.run(
            [PDU, "web", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
        assert (taken.returncode, taken.stderr) == (
            2,
            f"pdu: 127.0.0.1:{port} is in use: choose another port (--port)\n",
        )
    finally:
        server.terminate()
        server.wait(10)


def test_the_web_app_does_not_import_prefect():
    code = "import sys, flows.cli, web.server; assert 'prefect' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
