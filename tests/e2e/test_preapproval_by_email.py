"""The whole life of a pre-approval request, by real email (Dovecot IMAP + SMTP)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from flows import jobs
from tests.e2e.forms import preapproval

PDU = str(Path(sys.executable).parent / "pdu")
PROOF_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def case_json(reference: str) -> dict:
    done = subprocess.run(
        [PDU, "case", "show", reference, "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_request_info_answer_approve_proof_accept_ends_with_a_certificate(office):
    jane = office.applicant
    rita, sam = office.staff("rita"), office.staff("sam")
    result = jobs.intake("preapproval", preapproval(jane))
    assert result.ok and result.created
    ref = result.reference
    office.cycle()

    ack = office.last(jane, "[" + ref + "]")
    assert "December 2, 2026" in ack.get_body(("plain",)).get_content()  # 7 business days
    task = office.last(rita, "Review")
    assert ref in task["Subject"]
    assert task["Reply-To"].startswith("pdu+")

    office.at("2026-11-23T16:00:00Z")
    office.reply(task, rita, "INFO Which of the three days are in person?")
    office.cycle()
    assert case_json(ref)["status"] == "awaiting_applicant"
    question = office.last(jane, "question")
    assert "Which of the three days are in person?" in question.get_body(("plain",)).get_content()

    office.at("2026-11-24T16:00:00Z")
    office.reply(question, jane, "All three days are in person in Billings.")
    office.cycle()
    view = case_json(ref)
    assert view["status"] == "in_review"
    # one business day paused (Mon 16:00 MST to Tue 16:00 MST): due moves to Thursday 12-03
    assert view["due_at"] == "2026-12-03T17:00:00-07:00"
    forwarded = office.last(rita, "answered")
    assert "All three days are in person" in forwarded.get_body(("plain",)).get_content()

    office.at("2026-11-25T16:00:00Z")
    office.reply(forwarded, rita, "Approve 6.\n\nOnly the in-person sessions count.")
    office.cycle()
    view = case_json(ref)
    assert (view["status"], view["hours_granted"]) == ("awaiting_proof", 6)
    approval = office.last(jane, "Pre-approved")

    office.at("2026-12-10T16:00:00Z")
    office.reply(
        approval,
        jane,
        "Here is my certificate of attendance.",
        files=[("attendance.pdf", "application/pdf", PROOF_PDF)],
    )
    office.cycle()
    assert case_json(ref)["status"] == "proof_review"
    proof_task = office.last(rita, "proof")

    office.at("2026-12-11T16:00:00Z")
    office.reply(proof_task, rita, "ACCEPT")
    office.cycle()
    view = case_json(ref)
    assert view["status"] == "completed"
    [certificate] = view["certificates"]
    assert certificate["hours"] == 6

    issued = office.last(jane, "certificate")
    [(name, pdf)] = [(p.get_filename(), p.get_content()) for p in issued.iter_attachments()]
    assert name.endswith(".pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Jane Okafor" in text
    assert certificate["number"] in text
    assert "6" in text
    actions = [entry["action"] for entry in view["timeline"]]
    assert actions[:4] == ["submitted", "triage_review", "assigned", "request_info"]
    assert "certificate_issued" in actions
    assert sam not in {entry["actor"] for entry in view["timeline"]}
