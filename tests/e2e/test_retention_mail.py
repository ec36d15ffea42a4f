"""Purging a case reaches into the real mailbox (Dovecot): its messages leave the Processed
and Quarantine folders, other cases' messages stay.
"""

from __future__ import annotations

from email import message_from_bytes

from sqlalchemy import select

from flows import cli, jobs
from models.cases import Case
from models.messages import InboundMessage
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

FOLDERS = ("Processed", "Quarantine")


def message_ids_in(office, folder: str) -> list[str]:
    return [
        str(message_from_bytes(raw)["Message-ID"]).strip()
        for raw in office.server.messages(office.system, folder)
    ]


def inbound_of(reference: str) -> dict[str, str | None]:
    """Message-ID -> IMAP folder it was filed to, for the case's inbound messages."""
    with UnitOfWork() as work:
        rows = work.session.execute(
            select(InboundMessage.message_id, InboundMessage.filed_to)
            .join(Case, Case.id == InboundMessage.case_id)
            .where(Case.reference == reference)
        )
        return {message_id: folder for message_id, folder in rows}


def test_purging_a_case_deletes_its_messages_from_the_processed_and_quarantine_folders(
    office, capsys
):
    jane, bob, rita = office.applicant, f"bob@school.{office.domain}", office.staff("rita")
    office.at("2021-11-15T16:00:00Z")
    dates = {"activity__start_date": "2021-12-06", "activity__end_date": "2021-12-08"}
    old = jobs.intake("preapproval", preapproval(jane, **dates)).reference
    live = jobs.intake(
        "preapproval",
        preapproval(bob, educator__first_name="Bob", educator__last_name="Lindqvist", **dates),
    ).reference
    office.cycle()

    office.at("2021-11-16T16:00:00Z")
    office.reply(office.last(rita, f"[{old}]"), rita, "DENY the provider sells a product")
    office.reply(office.last(rita, f"[{live}]"), rita, "INFO Which days are in person?")
    office.cycle()
    office.reply(office.last(jane, f"[{old}]"), jane, "Can I still come?")  # closed: quarantined
    office.cycle()

    filed = inbound_of(old)
    assert sorted(filed.values()) == ["Processed", "Quarantine"]
    for message_id, folder in filed.items():
        assert message_id in message_ids_in(office, folder)
    [(live_message, _)] = inbound_of(live).items()

    office.at("2026-11-17T16:00:00Z")  # five years and a day after the denial
    assert cli.main(["purge", "--execute", "--approval", "RDA-2026-07", "--json"]) == 0
    assert '"imap_messages": 2' in capsys.readouterr().out

    remaining = {folder: message_ids_in(office, folder) for folder in FOLDERS}
    assert not set(filed) & {m for ids in remaining.values() for m in ids}
    assert live_message in remaining["Processed"]
    for folder in FOLDERS:
        for raw in office.server.messages(office.system, folder):
            assert b"Okafor" not in raw and jane.encode() not in raw
    assert cli.main(["case", "show", old]) == 0
    assert "purged" in capsys.readouterr().out

    assert cli.main(["purge", "--execute", "--approval", "RDA-2026-07", "--json"]) == 0
    assert '"imap_messages"' not in capsys.readouterr().out  # nothing left to do
