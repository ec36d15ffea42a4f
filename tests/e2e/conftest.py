"""An office wired to the real mail servers: unique addresses per test, staff seeded; and
Debian's Chromium driven by Playwright for the browser tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from devmail import client as mail_client
from flows import jobs
from models.services.staff import add_staff
from models.settings import reset_settings
from models.uow import UnitOfWork
from tests.web_support import CHROMIUM, CHROMIUM_ARGS

_ids = itertools.count(1)


@dataclass
class Office:
    """The system's mailbox, a reviewer, a supervisor, an admin, and the mail servers."""

    server: Any
    domain: str
    monkeypatch: pytest.MonkeyPatch

    @property
    def system(self) -> str:
        return f"pdu@{self.domain}"

    @property
    def applicant(self) -> str:
        """Jane's address, unique to this test (the mail server lives for the session)."""
        return f"jane@school.{self.domain}"

    def staff(self, name: str) -> str:
        return f"{name}@{self.domain}"

    def at(self, instant: str) -> None:
        """Move the clock (PDU_NOW) to an ISO 8601 instant."""
        self.monkeypatch.setenv("PDU_NOW", instant)

    def now(self) -> datetime:
        from models import clock

        return clock.now()

    def cycle(self) -> None:
        """What the scheduled flows do: send what is queued, read the inbox, send again."""
        jobs.send()
        jobs.poll()
        jobs.send()

    def inbox(self, address: str) -> list[Any]:
        return [mail_client.parse(raw) for raw in self.server.messages(address)]

    def last(self, address: str, subject_contains: str = "") -> Any:
        matching = [m for m in self.inbox(address) if subject_contains in str(m["Subject"])]
        assert matching, f"no message for {address} with {subject_contains!r} in the subject"
        return matching[-1]

    def reply(self, original: Any, sender: str, text: str, **kwargs: Any) -> None:
        mail_client.send(
            self.server.smtp_port, mail_client.compose_reply(original, sender, text, **kwargs)
        )


@pytest.fixture
def office(mail_server, database_url, monkeypatch) -> Iterator[Office]:  # type: ignore[no-untyped-def]
    domain = f"opi{next(_ids)}.example"
    monkeypatch.setenv("PDU_MAIL_ADDRESS", f"pdu@{domain}")
    monkeypatch.setenv("PDU_IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("PDU_IMAP_PORT", str(mail_server.imap_port))
    monkeypatch.setenv("PDU_IMAP_USER", f"pdu@{domain}")
    monkeypatch.setenv("PDU_IMAP_PASSWORD", mail_server.password)
    monkeypatch.setenv("PDU_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PDU_SMTP_PORT", str(mail_server.smtp_port))
    monkeypatch.setenv("PDU_NOW", "2026-11-20T16:00:00Z")
    reset_settings()
    now = datetime(2026, 11, 20, 16, tzinfo=UTC)
    with UnitOfWork() as work:
        add_staff(work.session, f"rita@{domain}", "Rita Reviewer", "reviewer", now)
        add_staff(work.session, f"sam@{domain}", "Sam Supervisor", "supervisor", now)
        add_staff(work.session, f"ada@{domain}", "Ada Admin", "admin", now)
        work.commit()
    yield Office(mail_server, domain, monkeypatch)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
