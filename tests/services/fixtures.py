"""Pytest plugin: real servers for the session, started the first time a test asks.

Nothing is skipped when a server cannot run: the test fails, naming the Debian package.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services.mailserver import MailServer
from tests.services.postgres import Postgres


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """Dovecot (IMAP, LMTP) behind an SMTP front; any address is a mailbox, one password.

    A test that stops Dovecot brings it back (`with mail_server.imap_stopped(): ...`).
    """
    server = MailServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """A PostgreSQL 15 cluster on loopback, trust auth; `url(dbname)` for SQLAlchemy."""
    server = Postgres()
    try:
        server.start()
        yield server
    finally:
        server.close()
