"""Faults on real servers, processes stopped for real: Dovecot killed in the middle of a
poll, the SMTP server refusing for ten minutes (of the office's clock), PostgreSQL
restarted in the middle of a transaction, `pdu mail watch` killed with SIGKILL again and
again while replies and submissions arrive. After each, `ledger.check`: every message has
one outcome and a folder, every state change happened once, every email arrived once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from mailbox.imap import ImapMailbox
from pathlib import Path

import pytest
from sqlalchemy import func, select

from devmail import client as mail_client
from flows import jobs
from models.enums import OutboxStatus
from models.messages import OutboxMessage
from models.services.email import receive
from models.settings import get_settings
from models.uow import UnitOfWork
from tests.e2e import ledger
from tests.e2e.forms import preapproval
from tests.inbound_support import form_json, new_message

COMMANDS = ["APPROVE", "DENY the provider is a vendor", "APPROVE 6", "INFO Which days?"]


def open_cases(office, count: int) -> list:  # type: ignore[no-untyped-def]
    """`count` requests in review, and Rita's task email about each (oldest first)."""
    for n in range(count):
        form = preapproval(office.applicant, activity__title=f"Reading Institute, part {n}")
        assert jobs.intake("preapproval", form).ok
    while jobs.send().sent:  # the outbox sends 500 a batch; the full-size run queues more
        pass
    tasks = [m for m in office.inbox(office.staff("rita")) if "Review" in str(m["Subject"])]
    assert len(tasks) == count
    return tasks


def rita_answers(office, tasks) -> None:  # type: ignore[no-untyped-def]
    for task, command in zip(tasks, COMMANDS, strict=False):
        office.reply(task, office.staff("rita"), command)
    office.server.wait_for(office.system, min(len(tasks), len(COMMANDS)))


def untouched_deadline() -> tuple[int, object]:
    """(task id, due date) of the newest open task, which nobody answers in these tests:
    a fault must not move it."""
    return max(ledger.deadlines().items())


def test_dovecot_killed_in_the_middle_of_a_poll_then_restarted_loses_and_repeats_nothing(
    office, monkeypatch
):
    tasks = open_cases(office, 5)
    rita_answers(office, tasks[:4])
    before = untouched_deadline()
    real_fetch = ImapMailbox.fetch
    fetched: list[int] = []

    def fetch_with_a_crash(self, uid):  # type: ignore[no-untyped-def]
        fetched.append(uid)
        if len(fetched) == 3:  # two messages done and filed, the third being read
            office.server.dovecot.stop()
        return real_fetch(self, uid)

    monkeypatch.setattr(ImapMailbox, "fetch", fetch_with_a_crash)
    with pytest.raises(Exception) as cut:
        jobs.poll()
    assert not isinstance(cut.value, AssertionError)
    office.server.dovecot.start()
    monkeypatch.setattr(ImapMailbox, "fetch", real_fetch)

    office.cycle()

    figures = ledger.check(office.server, office.system)
    assert figures.outcomes == {"applied approve": 2, "applied deny": 1, "applied info": 1}
    assert ledger.deadlines()[before[0]] == before[1]


def test_an_smtp_server_refusing_for_ten_minutes_delays_every_email_and_duplicates_none(office):
    tasks = open_cases(office, 3)
    before = untouched_deadline()
    rita_answers(office, tasks[:2])  # in the office's inbox before the SMTP server balks
    delivered = len(office.inbox(office.applicant))  # the acknowledgments
    office.server.refuse(451)
    try:
        start = office.now()
        for minute in range(0, 11):  # the sender flow runs every minute
            office.at((start + timedelta(minutes=minute)).isoformat())
            office.cycle()
        assert len(office.inbox(office.applicant)) == delivered
    finally:
        office.server.accept()
    office.at((office.now() + timedelta(hours=3)).isoformat())  # past every backoff
    office.cycle()

    figures = ledger.check(office.server, office.system)
    assert figures.outcomes == {"applied approve": 1, "applied deny": 1}
    assert ledger.deadlines()[before[0]] == before[1]


def test_a_recipient_refused_for_a_while_gets_the_email_once_and_the_others_only_once(office):
    """An escalation goes to the reviewer with the supervisor copied. The supervisor's
    server says "try later"; the reviewer's copy is already delivered and must not be
    sent again when the supervisor's is retried."""
    open_cases(office, 1)
    sam = office.staff("sam")
    office.server.refuse(451, [sam])
    try:
        for day in ("2026-12-03", "2026-12-04"):  # past the reminder, then the due date
            office.at(f"{day}T17:00:00Z")
            jobs.sweep()
            office.cycle()
    finally:
        office.server.accept()
    office.at("2026-12-04T20:00:00Z")
    office.cycle()

    ledger.check(office.server, office.system)  # no second copy in Rita's mailbox
    assert office.inbox(sam) != []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_restarted_in_the_middle_of_a_poll_applies_every_reply_once(
    office, postgres_server, monkeypatch
):
    """The transaction acting on the third message dies with the server: that message
    is no one's error (not quarantined), it waits in the inbox for the next poll."""
    tasks = open_cases(office, 4)
    rita_answers(office, tasks[:3])
    before = untouched_deadline()
    real_decide = receive.decide
    decided: list[int] = []

    def decide_with_a_restart(ctx, row, parsed):  # type: ignore[no-untyped-def]
        decided.append(row.id)
        verdict = real_decide(ctx, row, parsed)
        if len(decided) == 3:
            postgres_server.restart()  # before this transaction commits
        return verdict

    monkeypatch.setattr(receive, "decide", decide_with_a_restart)
    with pytest.raises(Exception) as cut:
        jobs.poll()
    assert "OperationalError" in type(cut.value).__name__, cut.value
    monkeypatch.setattr(receive, "decide", real_decide)
    # Filing is batched: the two handled messages wait in the inbox with the third, to be
    # recognised as handled and only filed by the next poll.
    assert len(office.server.messages(office.system, "INBOX")) == 3

    office.cycle()

    figures = ledger.check(office.server, office.system)
    assert figures.outcomes == {"applied approve": 2, "applied deny": 1}
    assert ledger.deadlines()[before[0]] == before[1]


# --- the watcher killed with SIGKILL while mail is in flight -----------------------------

PDU = str(Path(sys.executable).parent / "pdu")
# The 500 replies and 200 submissions, scaled down to run in CI; the full size:
# PDU_FAULT_REPLIES=500 PDU_FAULT_SUBMISSIONS=200 pytest tests/e2e/test_faults.py -k killed
REPLIES = int(os.environ.get("PDU_FAULT_REPLIES", "40"))
SUBMISSIONS = int(os.environ.get("PDU_FAULT_SUBMISSIONS", "20"))


def start_watcher(log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([PDU, "mail", "watch"], stdout=out, stderr=out)


def drained(office) -> bool:  # type: ignore[no-untyped-def]
    """The inbox is empty and nothing in the outbox is due."""
    with office.server.client(office.system) as imap:  # a count: the watcher moves mail meanwhile
        imap.select_folder("INBOX", readonly=True)
        if imap.search("ALL"):
            return False
    with UnitOfWork() as work:
        due = work.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= office.now(),
            )
        )
    return due == 0


@pytest.mark.slow
def test_the_mail_watcher_killed_at_random_points_loses_nothing_and_applies_nothing_twice(
    office, tmp_path
):
    rng = random.Random(20261123)
    tasks = open_cases(office, REPLIES + 1)
    before = untouched_deadline()
    mail = [
        mail_client.compose_reply(task, office.staff("rita"), "APPROVE" if n % 2 else "DENY vendor")
        for n, task in enumerate(tasks[:REPLIES])
    ]
    for n in range(SUBMISSIONS):
        educator = f"educator{n}@school.{office.domain}"
        form = form_json(preapproval(educator, activity__title=f"Summer Institute {n}"))
        mail.append(
            new_message(educator, "My request is attached.", to=office.system, files=[form])
        )
    rng.shuffle(mail)
    log = tmp_path / "watch.log"
    watcher, kills = start_watcher(log), 0
    try:
        for start in range(0, len(mail), 5):
            for message in mail[start : start + 5]:
                mail_client.send(office.server.smtp_port, message)
            time.sleep(rng.uniform(0.05, 1.5))  # somewhere in a poll, a send, or IDLE
            watcher.send_signal(signal.SIGKILL)
            watcher.wait(10)
            kills += 1
            watcher = start_watcher(log)
        deadline = time.monotonic() + 180 + len(mail)  # the full size needs longer
        while not drained(office):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            assert watcher.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
    finally:
        watcher.send_signal(signal.SIGKILL)
        watcher.wait(10)
    # Emails claimed by a killed sender wait out their lease (5 minutes of the office's clock).
    office.at((office.now() + timedelta(minutes=10)).isoformat())
    office.cycle()

    # SMTP cannot be exactly-once across a SIGKILL: killed after the server took an email
    # and before our commit, the sender sends it again, under the same Message-ID. So each
    # kill may leave at most one second copy a connection (most runs: none); anything else
    # is a bug.
    window = kills * get_settings().smtp_connections
    figures = ledger.check(office.server, office.system, max_duplicates=window)
    print(f"{kills} kills: {figures}")
    assert kills == len(range(0, len(mail), 5))
    assert figures.outcomes == {
        "applied approve": REPLIES // 2,
        "applied deny": REPLIES // 2,
        "submission submitted": SUBMISSIONS,
    }
    assert ledger.deadlines()[before[0]] == before[1]
