"""The migration sample imported as a new office would, with the real mail servers: a dry
run, the import, then an imported certificate verified by `pdu certificate verify`, on its
public page and on its holder's /me page, a transcript mixing imported and newly issued
certificates, and a provider signing in under its old username after the set-password email
read from its mailbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from tests.integration.test_legacy_import import FILES, SAMPLE, SAMPLE_ROWS
from tests.integration.test_portal_accounts import choose_password
from tests.portal_support import educator_cookie, portal_client, sign_in
from tests.web_support import pdu, running_web


def sample_for(office, directory: Path) -> Path:  # type: ignore[no-untyped-def]
    """The sample with every address in this test's own mail domain."""
    for name in FILES:
        text = (SAMPLE / name).read_text(encoding="utf-8")
        (directory / name).write_text(
            re.sub(r"@(\w+)\.example", rf"@\1.{office.domain}", text), encoding="utf-8"
        )
    return directory


def test_the_migration_sample_imported_as_a_new_office_would(office, tmp_path):
    sample = sample_for(office, tmp_path)
    dry = json.loads(pdu("import", "legacy", str(sample), "--json"))
    assert (dry["new"], dry["problems"]) == (SAMPLE_ROWS, [])
    done = json.loads(pdu("import", "legacy", str(sample), "--execute", "--json"))
    assert done["executed"] and done["emails"] == 4
    office.cycle()  # the outbox sends the set-password and task emails

    # An imported certificate verifies, marked imported.
    verified = json.loads(pdu("certificate", "verify", "BSL-2025-0415", "--json"))
    assert (verified["answer"], verified["imported"]) == ("valid", True)
    assert (verified["holder"], verified["hours"]) == ("Jane Doe", 12)

    # A new certificate for the same license, issued here by an imported provider.
    event = json.loads(pdu(
        "provider", "event", "add", "--provider", "MTP-00107", "--title", "Winter Literacy Lab",
        "--start", "2026-11-18", "--end", "2026-11-19", "--hours", "6", "--location", "Billings",
        "--json",
    ))  # fmt: skip
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "first_name,last_name,email,license_number,hours\n"
        f"Jane,Doe,jane.doe@school.{office.domain},MT48213,6\n"
    )
    pdu("provider", "issue", str(event["event_id"]), str(roster))
    transcript = json.loads(pdu("certificate", "transcript", "MT48213", "--json"))
    assert [c["number"] for c in transcript["certificates"]] == [
        "PDU-2026-000001", "BSL-2025-0415", "MCPS-88112", "OPI-2023-1187"
    ]  # fmt: skip
    assert transcript["total"] == 39 and transcript["remaining"] == 21

    listed = {c["number"]: c for c in json.loads(pdu("certificate", "list", "--json"))}
    code = listed["BSL-2025-0415"]["verification_code"]
    assert listed["BSL-2025-0415"]["imported"] and not listed["PDU-2026-000001"]["imported"]
    with running_web() as site:
        page = httpx.get(f"{site.url}/verify/{code}", timeout=20)
        assert page.status_code == 200
        assert "Valid" in page.text and "Jane Doe" in page.text
        assert "Trauma-Informed Classrooms" in page.text
        assert "earlier records system" in page.text and "credential.json" not in page.text

        # Jane's own certificates page lists it, without a PDF to download.
        jane = educator_cookie(f"jane.doe@school.{office.domain}")
        with portal_client(site.url, cookie=jane) as http:
            mine = http.get("/me/certificates").text
        assert "BSL-2025-0415" in mine and "Issued by the Office's earlier system" in mine
        assert "/me/certificates/BSL-2025-0415.pdf" not in mine
        assert "/me/certificates/PDU-2026-000001.pdf" in mine

        # Ray signs in under the old system's username, from the email in his mailbox.
        mail = office.last(f"ray.ortiz@mcps.{office.domain}")
        body = str(mail.get_body(("plain",)).get_content())
        assert "ray.ortiz_mcps" in body
        found = re.search(r"/account/setup\?code=[a-z2-7]{26}", body)
        assert found, body
        with portal_client(site.url) as http:
            chosen = choose_password(http, found[0])
            assert chosen.headers["location"] == "/provider/sign-in?notice=password-set"
            assert sign_in(http, "ray.ortiz_mcps").status_code == 303
            account = http.get("/provider/account")
            assert account.status_code == 200 and "ray.ortiz_mcps" in account.text
            assert "Missoula County Public Schools" in account.text
