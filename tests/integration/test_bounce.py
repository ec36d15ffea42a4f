"""A delivery failure marks the applicant's address and tells the admins, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from flows import jobs
from models.messages import OutboxMessage
from models.people import Person
from models.services.staff import add_staff
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval

DSN = Path(__file__).parents[1] / "fixtures" / "email" / "dsn_bounce.eml"


def test_a_bounce_marks_the_address_and_notifies_admins_with_the_open_case(uow, monkeypatch):
    monkeypatch.setenv("PDU_NOW", "2026-11-20T16:00:00Z")
    with uow() as work:
        now = datetime(2026, 11, 1, tzinfo=UTC)
        add_staff(work.session, "rita@opi.example", "Rita", "reviewer", now)
        add_staff(work.session, "ada@opi.example", "Ada Admin", "admin", now)
        work.commit()
    reference = jobs.intake("preapproval", preapproval("nobody@school.example")).reference
    result = jobs.ingest(DSN.read_bytes())
    assert (result.outcome.value, result.reason) == ("bounce", "bounced")
    assert jobs.ingest(DSN.read_bytes()).duplicate  # the same report again changes nothing
    with UnitOfWork() as work:
        person = work.session.scalar(select(Person).where(Person.email == "nobody@school.example"))
        assert person.email_bounced_at == datetime(2026, 11, 20, 16, tzinfo=UTC)
        [notice] = work.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "bounce_notice")
        ).all()
        assert notice.to_addresses == ["ada@opi.example"]
        assert reference in notice.body_text and "nobody@school.example" in notice.subject
        # nobody answers the bounce itself
        assert all(
            "MAILER-DAEMON" not in " ".join(m.to_addresses)
            for m in work.session.scalars(select(OutboxMessage))
        )
