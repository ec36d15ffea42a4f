"""A provider's standing: suspended or withdrawn providers leave the directory, the page and
triage and stop reporting and issuing; a must-reapply one works until its date and its new
registration keeps its number."""

from __future__ import annotations

import contextlib
import io
import json

import httpx
import pytest
from sqlalchemy import select

from flows import jobs
from flows.cli import main
from models.messages import OutboxMessage
from models.providers import Provider
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval, provider
from tests.web_support import issue_certificates, pdu, running_web, seed_office


@pytest.fixture
def office(database_url, monkeypatch):
    seed_office(monkeypatch)  # Monday 2026-11-23; Billings Public Schools is MTP-00001
    return monkeypatch


def refused(*args: str, code: int = 2) -> str:
    """`pdu ARGS` that must fail with the usual one line and exit `code`; the line."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        exit_code = main(list(args))
    assert exit_code == code, args
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pdu: "), lines
    return lines[0]


def told(template: str = "provider_status") -> list[tuple[list[str], str]]:
    with UnitOfWork() as work:
        rows = work.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
        return [(r.to_addresses, r.subject) for r in rows]


def numbers(*extra: str) -> list[str]:
    return [r["number"] for r in json.loads(pdu("directory", "list", "--json", *extra))]


def test_a_suspended_provider_leaves_directory_page_and_triage_and_stops_issuing(office, tmp_path):
    [issued, _] = issue_certificates(tmp_path)  # before: a valid certificate
    change = json.loads(
        pdu("directory", "set-status", "MTP-00001", "suspended", "--reason", "audit", "--json")
    )
    assert change["status"] == "suspended" and change["told"] == "pd@billings.example"
    [(to, subject)] = told()
    assert to == ["pd@billings.example"] and "approval suspended" in subject
    assert "MTP-00001" not in numbers()
    assert "MTP-00001" in numbers("--all")
    with running_web() as server:
        page = httpx.get(f"{server.url}/providers", timeout=20).text
    assert "Billings Public Schools" not in page and "2 approved providers." in page
    # Triage no longer redirects to it: the request goes to review.
    form = preapproval(employer="Lame Deer Public Schools")
    form["activity"]["provider"] = "Billings Public Schools"
    result = jobs.intake("preapproval", form)
    assert result.status == "in_review"
    line = refused(
        "provider", "event", "add", "--provider", "MTP-00001", "--title", "More",
        "--start", "2026-12-01", "--end", "2026-12-01", "--hours", "3", "--location", "Billings",
    )  # fmt: skip
    assert "is suspended: it cannot report events or issue certificates" in line
    event_id = json.loads(pdu("provider", "event", "list", "--json"))[0]["event_id"]
    roster = tmp_path / "more.csv"
    roster.write_text(
        "first_name,last_name,email,license_number,hours\nAl,Ng,al@school.example,345678,2\n"
    )
    assert "is suspended" in refused("provider", "issue", str(event_id), str(roster))
    verified = json.loads(pdu("certificate", "verify", issued["number"], "--json"))
    assert verified["status"] == "valid"  # issued before: still valid
    pdu("directory", "set-status", "MTP-00001", "approved", "--reason", "audit passed")
    assert "MTP-00001" in numbers()


def test_withdrawn_providers_drop_from_the_opportunity_listing_too(office):
    pdu("directory", "set-status", "Montana State University", "withdrawn", "--reason", "closed")
    assert numbers() == ["MTP-00001", "MTP-00003"]
    assert "approval withdrawn" in told()[0][1]


def test_must_reapply_works_until_its_date_and_the_new_registration_keeps_the_number(
    office, monkeypatch
):
    pdu(
        "directory", "set-status", "MTP-00001", "must_reapply", "--until", "2026-12-31",
        "--reason", "every provider reapplies under the new process",
    )  # fmt: skip
    [(to, subject)] = told()
    assert to == ["pd@billings.example"]
    assert "please reapply" in subject
    assert "MTP-00001" in numbers()
    event = ["provider", "event", "add", "--provider", "MTP-00001", "--title", "Winter PD"]
    dates = ["--start", "2027-01-05", "--end", "2027-01-05", "--hours", "3", "--location", "B"]
    pdu(*event, *dates)  # still working
    # The registration under the new process: matched to its entry, reviewed, same number.
    form = provider("pat.lee@billings.example", "Billings Public Schools")
    result = jobs.intake("provider", form)
    assert result.status == "in_review"
    pdu("case", "decide", result.reference, "approve", "--as", "rita@opi.example")
    with UnitOfWork() as work:
        rows = work.session.scalars(select(Provider).where(Provider.name.like("Billings%"))).all()
        assert [(p.number, p.status.value, p.status_until) for p in rows] == [
            ("MTP-00001", "approved", None)
        ]
    assert told("provider_welcome")
    # A provider that let its date pass without reapplying stops working.
    pdu("directory", "set-status", "MTP-00002", "must_reapply", "--until", "2026-11-30",
        "--reason", "reapply")  # fmt: skip
    monkeypatch.setenv("PDU_NOW", "2026-12-01T09:00:00-07:00")
    line = refused("provider", "event", "add", "--provider", "MTP-00002", "--title", "X", *dates)
    assert "past its reapplication date (2026-11-30)" in line
    assert "MTP-00002" not in numbers()


def test_edit_changes_details_and_refuses_a_name_another_entry_has(office):
    done = pdu(
        "directory", "edit", "MTP-00003", "--name", "Montana Council of School Leaders",
        "--contact", "Dana Hill", "--email", "Dana@MCA.example", "--json",
    )  # fmt: skip
    assert json.loads(done)["changed"] == ["name", "contact_email", "contact_name"]
    row = next(
        r for r in json.loads(pdu("directory", "list", "--json")) if r["number"] == "MTP-00003"
    )
    assert (row["name"], row["contact"]) == (
        "Montana Council of School Leaders",
        "dana@mca.example",
    )
    assert "already in the directory as MTP-00002" in refused(
        "directory", "edit", "MTP-00003", "--name", "Montana State University"
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("MTP-00999", "suspended", "--reason", "x"), "no provider 'MTP-00999'"),
        (("MTP-00001", "paused", "--reason", "x"), "unknown provider status 'paused'"),
        (("MTP-00001", "must_reapply", "--reason", "x"), "needs --until DATE"),
        (("MTP-00001", "suspended", "--until", "2027-01-01", "--reason", "x"), "must_reapply only"),
        (("MTP-00001", "must_reapply", "--until", "soon", "--reason", "x"), "not a date like"),
        (("MTP-00001", "approved", "--reason", "x"), "already approved"),  # refused: exit 4
        (("MTP-00001", "suspended", "--reason", " "), "needs a reason"),
    ],
)
def test_bad_status_arguments_are_one_plain_line(office, args, words):
    code = 4 if words.startswith("already") else 2  # a conflict with what is recorded
    assert words in refused("directory", "set-status", *args, code=code)
    assert told() == []
