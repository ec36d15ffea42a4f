"""`pdu mail ingest`, `pdu submit` and `pdu schema` as an operator runs them: a real
process on the test's database (PDU_DATABASE_URL and PDU_NOW come from the environment).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.forms import preapproval
from tests.inbound_support import JANE, RITA, Desk, reply

PDU = str(Path(sys.executable).parent / "pdu")


def pdu(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PDU, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def desk(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Desk:
    return Desk(monkeypatch)


def test_mail_ingest_prints_the_outcome_and_reason_then_says_duplicate_the_second_time(
    desk, tmp_path
):
    reference = desk.submit()
    eml = tmp_path / "approve.eml"
    eml.write_bytes(reply(desk.last("review_task", RITA), RITA, "APPROVE 12").as_bytes())

    first = pdu("mail", "ingest", eml)
    second = pdu("mail", "ingest", eml)

    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines()[0] == f"applied approve {reference}"
    assert second.returncode == 0
    assert second.stdout.splitlines()[0] == (
        f"applied approve {reference} (duplicate: already processed)"
    )
    assert desk.status(reference) == "awaiting_proof"
    assert desk.inbound_count() == 1


def test_mail_ingest_of_a_refused_message_names_the_reason(desk, tmp_path):
    reference = desk.submit()
    eml = tmp_path / "forged.eml"
    eml.write_bytes(
        reply(desk.last("review_task", RITA), "mallory@evil.example", "APPROVE").as_bytes()
    )

    done = pdu("mail", "ingest", eml)

    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == f"refused sender_mismatch {reference}"
    assert desk.status(reference) == "in_review"


def test_mail_ingest_of_a_missing_file_is_one_plain_line_and_exit_code_two(desk, tmp_path):
    done = pdu("mail", "ingest", tmp_path / "nowhere.eml")

    assert done.returncode == 2
    assert done.stderr.startswith("pdu: cannot read")
    assert "Traceback" not in done.stderr
    assert desk.inbound_count() == 0


def test_submit_prints_the_new_reference(desk, tmp_path):
    form = tmp_path / "form.json"
    form.write_text(json.dumps(preapproval(JANE)))

    done = pdu("submit", "preapproval", form)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "PA-2026-00001\n"
    assert desk.status("PA-2026-00001") == "in_review"


def test_submit_with_json_prints_reference_and_status(desk, tmp_path):
    form = tmp_path / "form.json"
    form.write_text(json.dumps(preapproval(JANE)))

    done = pdu("submit", "preapproval", form, "--json")

    assert done.returncode == 0
    printed = json.loads(done.stdout)
    assert (printed["reference"], printed["status"]) == ("PA-2026-00001", "in_review")


def test_submitting_the_same_file_twice_makes_one_case(desk, tmp_path):
    form = tmp_path / "form.json"
    form.write_text(json.dumps(preapproval(JANE)))

    first = pdu("submit", "preapproval", form, "--json")
    second = pdu("submit", "preapproval", form, "--json")

    assert (first.returncode, second.returncode) == (0, 0)
    assert json.loads(first.stdout)["reference"] == json.loads(second.stdout)["reference"]
    assert desk.case_count() == 1
    assert pdu("submit", "preapproval", form).stdout.startswith("PA-2026-00001 (already")


def test_an_invalid_form_lists_every_problem_in_plain_words_with_exit_code_two(desk, tmp_path):
    data = preapproval("not-an-address", activity__hours=-3, activity__start_date="someday")
    data["educator"].pop("last_name")
    form = tmp_path / "form.json"
    form.write_text(json.dumps(data))

    done = pdu("submit", "preapproval", form)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "pdu: the form has 4 problem(s):"
    assert lines[1:] == [
        "  - Educator last name: is required",
        "  - Educator email: must be an email address like name@example.org",
        "  - Activity start date: must be a date like 2026-12-07",
        "  - Activity hours: must be more than 0",
    ]
    assert desk.case_count() == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"educator": ', "is not valid JSON"),
        ("[1, 2]", "must hold one JSON object"),
    ],
)
def test_a_file_that_is_not_a_form_is_one_plain_line_with_exit_code_two(
    desk, tmp_path, content, words
):
    form = tmp_path / "form.json"
    form.write_text(content)

    done = pdu("submit", "preapproval", form)

    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_schema_prints_a_json_schema_with_the_educator_and_the_activity():
    done = pdu("schema", "preapproval")

    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["type"] == "object"
    assert {"educator", "activity"} <= set(schema["properties"])
    assert {"educator", "activity"} <= set(schema.get("required", []))
