"""The SMTP adapter against the real SMTP front (aiosmtpd delivering into Dovecot)."""

from __future__ import annotations

import base64
import logging
import ssl
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from mailbox.smtp import (
    PermanentSendError,
    SmtpConfigError,
    SmtpSender,
    TemporarySendError,
    xoauth2_base64,
)
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from devmail import HOST, free_port
from tests.services.mailserver import MailServer


def unique(local: str) -> str:
    return f"{local}-{uuid.uuid4().hex[:8]}@school.example"


def message(to: str = "", cc: str = "", bcc: str = "") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "pdu@opi.example"
    for name, value in (("To", to), ("Cc", cc), ("Bcc", bcc)):
        if value:
            mail[name] = value
    mail["Subject"] = "[PA-2026-00042] Your request"
    mail["Message-ID"] = make_msgid(domain="opi.example")
    mail.set_content("Hello.\n")
    return mail


@pytest.fixture
def sender(mail_server: MailServer) -> Iterator[SmtpSender]:
    with SmtpSender(mail_server.host, mail_server.smtp_port, timeout=10) as smtp:
        yield smtp


@pytest.fixture
def refusing(mail_server: MailServer) -> Iterator[MailServer]:
    """The session's server, put back to accepting whatever the test does."""
    try:
        yield mail_server
    finally:
        mail_server.accept()


def test_a_sent_message_lands_in_every_recipients_mailbox_without_its_bcc(
    mail_server: MailServer, sender: SmtpSender
) -> None:
    to, cc, bcc = unique("jane"), unique("rita"), unique("audit")
    mail = message(to=to, cc=cc, bcc=bcc)
    sender.send(mail)
    for address in (to, cc, bcc):
        [raw] = mail_server.wait_for(address, 1)
        assert mail["Message-ID"].encode() in raw
        assert b"Bcc:" not in raw
    assert mail["Message-ID"] in mail_server.received


def test_one_connection_serves_several_sends(mail_server: MailServer, sender: SmtpSender) -> None:
    address = unique("batch")
    for _ in range(3):
        sender.send(message(to=address))
    assert len(mail_server.wait_for(address, 3)) == 3
    assert sender.connections == 1


def test_a_dropped_connection_is_reopened_for_the_next_send(
    mail_server: MailServer, sender: SmtpSender
) -> None:
    address = unique("reconnect")
    sender.send(message(to=address))
    mail_server.smtp.stop()  # the server goes away under the open connection
    mail_server.smtp.start()
    sender.send(message(to=address))
    assert len(mail_server.wait_for(address, 2)) == 2
    assert (sender.connections, sender.noops) == (2, 1)  # the socket had news: NOOP failed


def test_a_connection_in_use_is_reused_without_a_noop_and_one_idle_a_while_is_asked_first(
    mail_server: MailServer,
) -> None:
    now = [1000.0]
    address = unique("noop")
    with SmtpSender(
        mail_server.host, mail_server.smtp_port, timeout=10, monotonic=lambda: now[0]
    ) as sender:
        for _ in range(3):
            sender.send(message(to=address))
            now[0] += 5
        assert (sender.connections, sender.noops) == (1, 0)
        now[0] += 60  # idle long enough for a firewall to have dropped it silently
        sender.send(message(to=address))
        assert (sender.connections, sender.noops) == (1, 1)
    assert len(mail_server.wait_for(address, 4)) == 4


def test_a_refusing_server_raises_a_temporary_error_and_a_retry_succeeds(
    refusing: MailServer, sender: SmtpSender
) -> None:
    address = unique("greylisted")
    mail = message(to=address)
    refusing.refuse(451)
    with pytest.raises(TemporarySendError) as caught:
        sender.send(mail)
    assert caught.value.code == 451
    refusing.accept()
    sender.send(mail)  # the same connection, the same message
    assert len(refusing.wait_for(address, 1)) == 1


def test_a_5xx_refusal_raises_a_permanent_error(refusing: MailServer, sender: SmtpSender) -> None:
    refusing.refuse(550)
    with pytest.raises(PermanentSendError) as caught:
        sender.send(message(to=unique("gone")))
    assert caught.value.code == 550
    assert not isinstance(caught.value, TemporarySendError)


QUOTA = (
    "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
    "process message due to a permanent exception with message Cannot submit message."
)


def test_microsoft_365s_daily_quota_refusal_is_temporary_and_the_same_email_goes_later(
    refusing: MailServer, sender: SmtpSender
) -> None:
    """Past 10,000 recipients in 24 hours Exchange Online answers 554 to every email: the
    mailbox is over its quota, the email is fine, and goes when the day rolls over."""
    address = unique("quota")
    mail = message(to=address)
    refusing.answer_data(QUOTA)
    with pytest.raises(TemporarySendError) as caught:
        sender.send(mail)
    assert caught.value.code == 554
    refusing.accept()
    sender.send(mail)
    assert len(refusing.wait_for(address, 1)) == 1


def test_a_mailbox_throttled_for_repeated_errors_is_temporary_and_other_5xx_are_not(
    refusing: MailServer, sender: SmtpSender
) -> None:
    refusing.answer_data("550 5.2.252 Sender throttled due to continuous send as denied errors.")
    with pytest.raises(TemporarySendError):
        sender.send(message(to=unique("throttled")))
    for reply in ("554 5.6.0 Corrupt message content", "550 5.7.1 Client host [192.5.2.25]"):
        refusing.answer_data(reply)
        with pytest.raises(PermanentSendError) as caught:
            sender.send(message(to=unique("corrupt")))
        assert not isinstance(caught.value, TemporarySendError)


def test_a_partial_refusal_is_reported_after_the_others_received_it(
    refusing: MailServer, sender: SmtpSender
) -> None:
    accepted, refused = unique("accepted"), unique("refused")
    refusing.refuse(450, [refused])
    with pytest.raises(TemporarySendError, match="1 of 2 recipient") as caught:
        sender.send(message(to=f"{accepted}, {refused}"))
    assert len(refusing.wait_for(accepted, 1)) == 1
    assert (caught.value.accepted, caught.value.refused) == ((accepted,), {refused: 450})


def test_nobody_listening_is_a_temporary_error() -> None:
    with (
        SmtpSender("127.0.0.1", free_port(), timeout=5) as smtp,
        pytest.raises(TemporarySendError, match="cannot connect"),
    ):
        smtp.send(message(to=unique("x")))


def test_a_message_without_recipients_is_a_permanent_error(sender: SmtpSender) -> None:
    with pytest.raises(PermanentSendError, match="no To, Cc or Bcc"):
        sender.send(message())


def test_password_login_authenticates_before_sending(mail_server: MailServer) -> None:
    user = unique("sender")
    with SmtpSender(
        mail_server.host, mail_server.smtp_port, user, mail_server.password, timeout=10
    ) as smtp:
        smtp.send(message(to=unique("x")))
    assert ("PLAIN", user) in mail_server.smtp.relay.logins


def test_a_refused_login_is_a_config_error_that_is_retried(mail_server: MailServer) -> None:
    with (
        SmtpSender(mail_server.host, mail_server.smtp_port, "ops", "wrong", timeout=10) as smtp,
        pytest.raises(SmtpConfigError, match=r"login as .* refused: 535"),
    ):
        smtp.send(message(to=unique("x")))


def test_xoauth2_authenticates_with_the_standard_bearer_string(mail_server: MailServer) -> None:
    user = unique("oauth")
    with SmtpSender(
        mail_server.host,
        mail_server.smtp_port,
        user,
        timeout=10,
        oauth2_token_provider=lambda: mail_server.password,
    ) as smtp:
        smtp.send(message(to=unique("x")))
    assert ("XOAUTH2", user) in mail_server.smtp.relay.logins


def test_the_xoauth2_string_is_base64_of_user_and_bearer_token() -> None:
    encoded = xoauth2_base64("pdu@opi.example", "tok")
    assert base64.b64decode(encoded) == b"user=pdu@opi.example\x01auth=Bearer tok\x01\x01"


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        ("starttls", "does not offer STARTTLS: use security 'tls'"),
        ("tls", "TLS handshake .* use security 'starttls' or 'none'"),
    ],
)
def test_a_tls_mode_the_server_does_not_speak_is_a_clear_config_error(
    mail_server: MailServer, security: str, expected: str
) -> None:
    with (
        SmtpSender(mail_server.host, mail_server.smtp_port, security=security, timeout=5) as smtp,
        pytest.raises(SmtpConfigError, match=expected),
    ):
        smtp.send(message(to=unique("x")))


def test_an_unknown_security_mode_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="one of none, starttls, tls"):
        SmtpSender("127.0.0.1", 25, security="ssl")


def test_logs_redact_recipient_addresses(
    sender: SmtpSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mailbox.smtp")
    sender.send(message(to="jane.doe@school.example"))
    assert "j***@school.example" in caplog.text
    assert "jane.doe@school.example" not in caplog.text


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made now (no file in the repository)."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(HOST))]), False)
        .sign(key, hashes.SHA256())
    )
    cert, key_file = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key_file


class Sink:
    """An SMTP server's handler that keeps what it accepts."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        self.received.append(str(envelope.rcpt_tos[0]))
        return "250 OK"


def test_a_starttls_connection_is_reused_for_a_burst_without_a_noop_an_email(
    tmp_path: Path,
) -> None:
    """TLS 1.3 sends records of its own (session tickets) after the handshake: reuse must
    not take them for a server hanging up, nor ask NOOP before every email."""
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    sink, port = Sink(), free_port()
    controller = Controller(
        sink, hostname=HOST, port=port, tls_context=server_tls, require_starttls=True
    )
    controller.start()
    try:
        with SmtpSender(
            HOST, port, security="starttls", timeout=10, ssl_context=client_tls
        ) as sender:
            for n in range(5):
                sender.send(message(to=f"tls{n}@school.example"))
            assert sender.connections == 1
            assert sender.noops <= 1  # at most the TLS records' one, never one an email
    finally:
        controller.stop()
    assert sink.received == [f"tls{n}@school.example" for n in range(5)]
