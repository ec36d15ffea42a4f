"""IMAP IDLE: a reply that lands while the watcher waits is acted on without a new poll."""

from __future__ import annotations

import threading

from sqlalchemy import select

from flows import jobs
from models.messages import InboundMessage
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval


def test_the_watcher_wakes_on_new_mail_instead_of_waiting_out_its_idle(office):
    result = jobs.intake("preapproval", preapproval(office.applicant))
    office.cycle()
    task = office.last(office.staff("rita"), "Review")
    watcher = threading.Thread(target=jobs.watch, kwargs={"cycles": 2, "idle_seconds": 300})
    watcher.start()
    office.reply(task, office.staff("rita"), "DENY not a structured learning activity")
    # IDLE wakes on the arrival: far sooner than the 300 s the watcher would otherwise wait
    watcher.join(timeout=60)
    assert not watcher.is_alive()
    with UnitOfWork() as work:
        outcome = work.session.scalar(select(InboundMessage.reason))
    assert outcome == "deny"
    assert result.reference
