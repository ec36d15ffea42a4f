"""The IMAP adapter against real Dovecot: listing and fetching by UID, filing, IDLE, purges,
TLS settings and reconnecting with backoff."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from mailbox.imap import ImapConfigError, ImapMailbox, MessageGone, connect_with_backoff
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientError, LoginError

from tests.services.mailserver import MailServer

Opener = Callable[..., ImapMailbox]


def raw_message(subject: str = "Hello", **headers: str) -> bytes:
    lines = [
        "From: jane@school.example",
        "To: pdu@opi.example",
        f"Subject: {subject}",
        f"Message-ID: <{uuid.uuid4().hex}@school.example>",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
        "",
        "Body line.",
        "",
    ]
    return "\r\n".join(lines).encode()  # CRLF, as on the wire: RFC822.SIZE counts CRLF


@pytest.fixture
def address() -> str:
    return f"pdu-{uuid.uuid4().hex[:8]}@opi.example"


@pytest.fixture
def open_box(mail_server: MailServer, address: str) -> Iterator[Opener]:
    """Connected adapters on `address`'s mailbox, closed after the test."""
    opened: list[ImapMailbox] = []

    def factory(**kwargs: Any) -> ImapMailbox:
        settings: dict[str, Any] = {
            "host": mail_server.host,
            "port": mail_server.imap_port,
            "user": address,
            "password": mail_server.password,
            "timeout": 10.0,
        }
        settings.update(kwargs)
        box = ImapMailbox(**settings).connect()
        opened.append(box)
        return box

    yield factory
    for box in opened:
        box.close()


def flags(mail_server: MailServer, address: str, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
    with mail_server.client(address) as client:
        client.select_folder(folder, readonly=True)
        return [data[b"FLAGS"] for data in client.fetch(client.search(), ["FLAGS"]).values()]


def test_appended_messages_are_listed_by_uid_with_their_size_before_download(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    first, second = raw_message("one"), raw_message("two", X_Padding="x" * 500)
    mail_server.append(address, first)
    mail_server.append(address, second)
    box = open_box()
    box.select("INBOX")
    pending = box.pending(0)
    assert [size for _uid, size in pending] == [len(first), len(second)]
    assert pending[0][0] < pending[1][0]


def test_pending_lists_only_uids_above_the_given_one(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    for n in range(3):
        mail_server.append(address, raw_message(f"m{n}"))
    box = open_box()
    box.select("INBOX")
    uids = [uid for uid, _size in box.pending(0)]
    assert [uid for uid, _size in box.pending(uids[0])] == uids[1:]
    assert box.pending(uids[-1]) == []  # `n:*` would match the last UID: filtered out
    assert box.pending(0, limit=2) == box.pending(0)[:2]  # a poll's batch: the oldest first


def test_fetch_by_uid_returns_the_raw_message_without_marking_it_seen(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    raw = raw_message()
    mail_server.append(address, raw)
    box = open_box()
    box.select("INBOX")
    [(uid, _size)] = box.pending(0)
    assert box.fetch(uid) == raw
    assert b"\\Seen" not in flags(mail_server, address)[0]


def test_fetch_of_a_uid_that_is_gone_says_so(address: str, open_box: Opener) -> None:
    box = open_box()
    box.select("INBOX")
    with pytest.raises(MessageGone):
        box.fetch(4242)


def test_select_returns_the_uidvalidity_other_clients_see(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    mail_server.append(address, raw_message())
    uidvalidity = open_box().select("INBOX")
    with mail_server.client(address) as client:
        assert client.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"] == uidvalidity
    assert open_box().select("INBOX") == uidvalidity


def test_ensure_folders_creates_missing_folders_and_tolerates_existing_ones(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    box = open_box()
    box.ensure_folders("Processed", "Quarantine")
    box.ensure_folders("Processed", "Quarantine")
    assert mail_server.folders(address) == ["INBOX", "Processed", "Quarantine"]


@pytest.mark.parametrize(
    "disabled",
    [(), ("MOVE",), ("MOVE", "UIDPLUS")],
    ids=["move", "copy-then-uid-expunge", "copy-then-expunge"],
)
def test_move_files_the_message_into_processed_and_out_of_the_inbox(
    mail_server: MailServer, address: str, open_box: Opener, disabled: tuple[str, ...]
) -> None:
    kept, filed = raw_message("kept"), raw_message("filed")
    mail_server.append(address, kept)
    mail_server.append(address, filed)
    box = open_box(disabled_capabilities=disabled)
    box.ensure_folders("Processed")
    box.select("INBOX")
    uid = box.pending(0)[1][0]
    box.move([uid], "Processed")
    assert mail_server.messages(address, "Processed") == [filed]
    assert mail_server.messages(address, "INBOX") == [kept]
    assert [u for u, _size in box.pending(0)] == [box.pending(0)[0][0]]


def test_delete_matching_expunges_only_exact_header_matches(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    purged, similar = raw_message(X_PDU_Case="PA-2026-1"), raw_message(X_PDU_Case="PA-2026-12")
    for raw in (purged, similar):
        mail_server.append(address, raw, folder="Processed")
    box = open_box()
    assert box.delete_matching("Processed", "X-PDU-Case", "PA-2026-1") == 1
    assert mail_server.messages(address, "Processed") == [similar]
    assert box.delete_matching("Missing", "X-PDU-Case", "PA-2026-1") == 0


def test_idle_wait_wakes_when_a_message_is_appended_from_another_connection(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    box = open_box()
    box.select("INBOX")
    later = threading.Timer(0.3, mail_server.append, (address, raw_message()))
    later.start()
    began = time.monotonic()
    try:
        assert box.idle_wait(10) is True
    finally:
        later.join()
    assert time.monotonic() - began < 5
    assert len(box.pending(0)) == 1


def test_idle_wait_returns_false_when_nothing_arrives(open_box: Opener) -> None:
    box = open_box()
    box.select("INBOX")
    assert box.idle_wait(0.3) is False
    assert box.pending(0) == []  # the connection is usable after IDLE


def test_xoauth2_login_uses_the_token_provider(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    # Dovecot checks the bearer token against its passdb: the shared test password.
    box = open_box(password="unused", oauth2_token_provider=lambda: mail_server.password)
    assert box.select("INBOX") > 0


def test_logs_redact_the_address(open_box: Opener, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mailbox.imap")
    box = open_box(user="jane.doe@school.example")
    box.ensure_folders("Processed")
    assert "j***@school.example" in caplog.text
    assert "jane.doe@school.example" not in caplog.text


def test_tls_against_a_plain_imap_port_is_a_clear_config_error(
    mail_server: MailServer, address: str
) -> None:
    box = ImapMailbox(
        mail_server.host, mail_server.imap_port, address, "x", security="tls", timeout=5
    )
    with pytest.raises(ImapConfigError, match=r"TLS handshake.*'starttls' or 'none'"):
        box.connect()


def test_starttls_on_a_server_without_it_is_a_clear_config_error(
    mail_server: MailServer, address: str
) -> None:
    box = ImapMailbox(
        mail_server.host, mail_server.imap_port, address, "x", security="starttls", timeout=5
    )
    with pytest.raises(ImapConfigError, match="does not offer STARTTLS"):
        box.connect()


def test_an_unknown_security_mode_is_refused_before_connecting(address: str) -> None:
    with pytest.raises(ValueError, match="one of none, starttls, tls"):
        ImapMailbox("127.0.0.1", 1, address, "x", security="ssl")


def test_a_connection_cut_mid_session_raises_and_backoff_reconnects(
    mail_server: MailServer, address: str, open_box: Opener
) -> None:
    mail_server.append(address, raw_message())
    box = open_box()
    box.select("INBOX")
    [(uid, _size)] = box.pending(0)
    delays: list[float] = []

    def restart_on_second_wait(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 2:
            mail_server.dovecot.start()

    def reopen() -> ImapMailbox:
        return open_box()

    mail_server.dovecot.stop()
    try:
        with pytest.raises((OSError, IMAPClientError)):
            box.fetch(uid)
        fresh = connect_with_backoff(
            reopen, attempts=5, base_delay=0.5, sleep=restart_on_second_wait
        )
    finally:
        mail_server.dovecot.start()
    assert delays == [0.5, 1.0]  # two refusals, exponential waits, then success
    fresh.select("INBOX")
    assert fresh.fetch(uid).startswith(b"From: jane@school.example")


def test_backoff_gives_up_after_the_last_attempt(mail_server: MailServer) -> None:
    delays: list[float] = []
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise ConnectionRefusedError("nobody listening")

    with pytest.raises(ConnectionRefusedError):
        connect_with_backoff(refused, attempts=4, base_delay=1, sleep=delays.append, max_delay=3)
    assert (len(calls), delays) == (4, [1, 2, 3])


def test_a_rejected_login_is_not_retried(mail_server: MailServer, address: str) -> None:
    delays: list[float] = []

    def wrong_password() -> ImapMailbox:
        return ImapMailbox(
            mail_server.host, mail_server.imap_port, address, "wrong", timeout=5
        ).connect()

    with pytest.raises(LoginError):
        connect_with_backoff(wrong_password, attempts=3, base_delay=1, sleep=delays.append)
    assert delays == []
