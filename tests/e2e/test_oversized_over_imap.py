"""A 50 MB message in the real mailbox: refused by the size the IMAP server reports,
never downloaded, filed into Quarantine, and the reply behind it still acted on."""

from __future__ import annotations

from email.utils import make_msgid
from mailbox.imap import ImapMailbox

from sqlalchemy import select

from flows import jobs
from models.messages import InboundMessage
from models.uow import UnitOfWork
from tests.e2e import ledger
from tests.e2e.forms import preapproval

FIFTY_MB = (b"x" * 998 + b"\r\n") * (50 * 2**20 // 1000)


def test_a_fifty_megabyte_message_is_refused_by_its_size_without_being_downloaded(
    office, monkeypatch
):
    jobs.intake("preapproval", preapproval(office.applicant))
    office.cycle()
    task = office.last(office.staff("rita"), "Review")
    rita = office.staff("rita")
    head = (
        f"From: {rita}\r\nTo: {task['Reply-To']}\r\nSubject: Re: {task['Subject']}\r\n"
        f"Message-ID: {make_msgid(domain='opi.example')}\r\n"
        f"In-Reply-To: {task['Message-ID']}\r\n\r\nAPPROVE\r\n"
    )
    office.server.append(office.system, head.encode() + FIFTY_MB)
    office.reply(task, rita, "DENY not a structured activity")
    office.server.wait_for(office.system, 2)
    fetched: list[int] = []
    real_fetch = ImapMailbox.fetch

    def counted_fetch(self, uid):  # type: ignore[no-untyped-def]
        fetched.append(uid)
        return real_fetch(self, uid)

    monkeypatch.setattr(ImapMailbox, "fetch", counted_fetch)
    sent_before = len(office.inbox(rita))

    office.cycle()

    with UnitOfWork() as work:
        rows = work.session.execute(
            select(
                InboundMessage.outcome,
                InboundMessage.reason,
                InboundMessage.filed_to,
                InboundMessage.raw.is_(None),
                InboundMessage.size,
            ).order_by(InboundMessage.id)
        ).all()
    assert [tuple(r[:4]) for r in rows] == [
        ("refused", "too_large", "Quarantine", True),
        ("applied", "deny", "Processed", False),
    ]
    assert rows[0].size > 50 * 10**6
    assert len(fetched) == 1  # only the reply was downloaded
    assert len(office.inbox(rita)) == sent_before  # nobody answered about the big one
    ledger.check(office.server, office.system)
