"""`pdu demo`, run for real as a user runs it, and the development mail server under it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import smtplib
import socket
import sqlite3
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient.exceptions import LoginError
from pypdf import PdfReader

from devmail import DevMail
from devmail.client import Person

PDU = str(Path(sys.executable).parent / "pdu")


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def run_demo(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`pdu demo` from another directory, with settings that must not leak into it."""
    env = dict(os.environ)
    env["PDU_DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:9/not-this-one"
    env["PDU_IMAP_PORT"] = "9"
    env["PREFECT_API_URL"] = "http://127.0.0.1:9/api"
    directory = tmp_path / "demo"
    done = subprocess.run(
        [PDU, "--debug", "demo", "--dir", str(directory), "--no-keep-running", *extra],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done, directory


def value_after(output: str, prefix: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(prefix))
    return line.split()[-1]


def assert_the_story_was_told(out: str) -> None:
    for line in (
        "PA-2026-00003 (redirected)",
        "PA-2026-00001 is now awaiting applicant",
        "PR-2026-00001 is now completed",
        "account MRivera",
        "PA-2026-00001 is now in review",
        "PA-2026-00001 is now awaiting proof",
        "deadlines-sweep: reminder 1",
        "deadlines-sweep: escalation 1",
        "copied to the supervisor: sam@opi.example",
        "deadlines-sweep: reassignment 1",
        "ada@opi.example reads “[PA-2026-00002] Overdue task reassigned to sam@opi.example”",
        "+ attendance.pdf",
        "PA-2026-00001 is now proof review",
        "PA-2026-00001 is now completed",
        "attached: PDU certificate PDU-2026-000001.pdf",
    ):
        assert line in out, line


@pytest.mark.slow
def test_the_demo_takes_a_request_from_submission_to_certificate_by_email_with_prefect(
    tmp_path,
):
    done, directory = run_demo(tmp_path)
    out = done.stdout
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert "prefect: server up; flows run as Prefect flow runs" in out
    assert_the_story_was_told(out)

    certificate = Path(value_after(out, "Certificate PDF:"))
    assert certificate.is_relative_to(directory) and certificate.exists()
    text = "".join(page.extract_text() for page in PdfReader(certificate).pages)
    assert "Jane Okafor" in text and "PDU-2026-000001" in text

    show = out.split("$ pdu case show PA-2026-00001", 1)[1].split("$ pdu status", 1)[0]
    assert "status            completed" in show
    assert "hours granted     6" in show
    for action in ("request_info", "applicant_replied", "approve", "accept_proof"):
        assert action in show, action
    status = out.split("$ pdu status", 1)[1]
    assert "sam@opi.example   supervisor  1     1" in status
    assert "review: 2 decided, 2 within 7 business days (100%)" in status

    ui = next(line for line in out.splitlines() if line.startswith("Prefect UI:")).split()[2]
    assert ui.startswith("http://127.0.0.1:")
    imap_line = next(line for line in out.splitlines() if line.strip().startswith("IMAP "))
    imap_port = int(imap_line.split()[1].rpartition(":")[2])
    assert "password for every address: pdu-demo" in out
    assert "logins: pdu@opi.example, rita@opi.example, sam@opi.example" in out

    # What an admin finds in the Prefect UI: runs named after what they did, artifacts.
    with contextlib.closing(sqlite3.connect(directory / "prefect" / "prefect.db")) as db:
        runs = {name: state for name, state in db.execute("SELECT name, state_type FROM flow_run")}
        artifacts = {key for (key,) in db.execute("SELECT key FROM artifact")}
    assert set(runs.values()) == {"COMPLETED"}
    for name in (
        "intake-PA-2026-00001",
        "intake-PR-2026-00001",
        "poll-2026-11-23T09:00",
        "sweep-2026-12-02T17:05",
        "poll-2026-12-11T09:00",
    ):
        assert name in runs, name
    assert {"review-queue", "sla-summary", "mailbox-poll"} <= artifacts

    # Everything it started stopped with it.
    assert not port_open(imap_port)
    assert not port_open(int(ui.rpartition(":")[2]))


def test_the_demo_without_prefect_tells_the_same_story_by_email(tmp_path):
    done, directory = run_demo(tmp_path, "--without-prefect", "--json")
    story = done.stderr  # with --json the story goes to stderr, the result to stdout
    assert_the_story_was_told(story)
    assert "Prefect UI:" not in story
    assert "Certificate PDF:" in story
    result = json.loads(done.stdout)
    assert (result["event"], result["prefect_ui"]) == ("done", None)
    assert result["directory"] == str(directory)
    assert Path(result["certificate_pdf"]).read_bytes().startswith(b"%PDF")
    assert result["references"]["jane"] == "PA-2026-00001"
    # The certificate's QR code opens the demo's own web front, which stops with it.
    qr_line = next(line for line in story.splitlines() if line.startswith("Its QR code"))
    qr = qr_line.split()[4]
    assert result["verify_url"] == qr
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/verify/[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", qr), qr
    assert not port_open(int(qr.split(":")[2].split("/")[0]))


def test_the_demo_never_wipes_a_directory_it_did_not_make(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    done = subprocess.run(
        [PDU, "demo", "--dir", str(precious), "--no-keep-running"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2
    assert "is not empty and not a demo directory" in done.stderr
    assert (precious / "thesis.txt").read_text() == "do not delete"


def test_the_dev_mail_server_gives_any_address_a_mailbox_and_plus_addresses_share_one(tmp_path):
    with DevMail(tmp_path / "mail", accounts=["pdu@opi.example"]) as mail:
        message = EmailMessage()
        message["From"] = "Jane Okafor <jane@school.example>"
        message["To"] = "pdu+ab12cd@opi.example, newcomer@district.example"
        message["Subject"] = "[PA-2026-00001] Re: question"
        message.set_content("All three days.")
        with smtplib.SMTP(mail.host, mail.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
        [system] = Person(mail, "pdu@opi.example").inbox()
        [newcomer] = Person(mail, "newcomer@district.example").inbox()
        assert system["Delivered-To"] == "pdu+ab12cd@opi.example"
        assert system["Return-Path"] == "<jane@school.example>"
        assert str(newcomer["Subject"]) == "[PA-2026-00001] Re: question"
        with pytest.raises(LoginError):  # no mail yet, no account: nothing to read
            Person(mail, "nobody@x.example").inbox()
