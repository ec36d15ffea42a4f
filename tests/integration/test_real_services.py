"""The test servers themselves: real Dovecot, the SMTP front that delivers into it, and
PostgreSQL 15 all start, serve, and come back after a stop."""

from __future__ import annotations

import smtplib
import socket
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import psycopg
import pytest

from tests.services.dovecot import ServiceUnavailable, require_dovecot
from tests.services.mailserver import MailServer
from tests.services.postgres import Postgres, PostgresUnavailable


def unique(local: str, domain: str = "school.example") -> str:
    return f"{local}-{uuid.uuid4().hex[:8]}@{domain}"


def message(to: str, subject: str = "Hello") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "sender@elsewhere.example"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="elsewhere.example")
    mail.set_content("Hello from the test.\n")
    return mail


def send(server: MailServer, mail: EmailMessage) -> None:
    with smtplib.SMTP(server.host, server.smtp_port, timeout=10) as client:
        client.send_message(mail)


def test_dovecot_greets_on_its_imap_port(mail_server: MailServer) -> None:
    with socket.create_connection((mail_server.host, mail_server.imap_port), timeout=5) as conn:
        assert conn.recv(200).startswith(b"* OK")


def test_a_message_sent_to_the_smtp_front_lands_in_each_recipients_own_mailbox(
    mail_server: MailServer,
) -> None:
    jane, john, bystander = unique("jane"), unique("john"), unique("bystander")
    mail = message(f"{jane}, {john}")
    send(mail_server, mail)
    for address in (jane, john):
        [raw] = mail_server.wait_for(address, 1)
        assert mail["Message-ID"].encode() in raw
    assert mail_server.messages(bystander) == []
    assert mail["Message-ID"] in mail_server.received


def test_a_plus_address_lands_in_the_base_mailbox(mail_server: MailServer) -> None:
    base = unique("pdu", "opi.example")
    local, _, domain = base.partition("@")
    send(mail_server, message(f"{local}+token123@{domain}"))
    [raw] = mail_server.wait_for(base, 1)
    assert f"{local}+token123@{domain}".encode() in raw
    assert mail_server.folders(base) == ["INBOX"]


def test_append_and_folders_reach_the_real_mailbox(mail_server: MailServer) -> None:
    address = unique("archivist")
    raw = message(address).as_bytes().replace(b"\n", b"\r\n")
    mail_server.append(address, raw, folder="Processed")
    assert mail_server.folders(address) == ["INBOX", "Processed"]
    assert mail_server.messages(address, "Processed") == [raw]
    assert mail_server.messages(address, "Missing") == []


def test_the_smtp_front_refuses_with_4xx_until_told_to_accept(mail_server: MailServer) -> None:
    address = unique("greylisted")
    mail_server.refuse(451)
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(mail_server, message(address))
        assert refused.value.recipients[address][0] == 451
    finally:
        mail_server.accept()
    send(mail_server, message(address))
    assert len(mail_server.wait_for(address, 1)) == 1


def test_dovecot_comes_back_on_the_same_port_with_the_same_mail(mail_server: MailServer) -> None:
    address = unique("survivor")
    send(mail_server, message(address))
    mail_server.wait_for(address, 1)
    with mail_server.imap_stopped(), pytest.raises(OSError):
        socket.create_connection((mail_server.host, mail_server.imap_port), timeout=2)
    assert len(mail_server.messages(address)) == 1


def test_postgresql_accepts_a_connection(postgres_server: Postgres) -> None:
    with postgres_server.connect() as connection:
        row = connection.execute("SHOW server_version").fetchone()
    assert row is not None and str(row[0]).startswith("15.")
    assert (
        postgres_server.url("x")
        == f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/x"
    )


def test_a_database_can_be_created_and_dropped(postgres_server: Postgres) -> None:
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    postgres_server.create_database(name)
    with postgres_server.connect(name) as connection:
        connection.execute("CREATE TABLE t (id int)")
    postgres_server.drop_database(name)
    with pytest.raises(psycopg.OperationalError):
        postgres_server.connect(name).close()


def test_postgresql_restart_keeps_its_databases(postgres_server: Postgres) -> None:
    name = f"durable_{uuid.uuid4().hex[:8]}"
    postgres_server.create_database(name)
    postgres_server.restart()
    with postgres_server.connect(name) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    postgres_server.drop_database(name)


def test_a_missing_dovecot_names_the_debian_packages(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable, match="apt-get install dovecot-imapd dovecot-lmtpd"):
        require_dovecot(binary=str(tmp_path / "dovecot"))
    with pytest.raises(ServiceUnavailable, match="apt-get install dovecot-lmtpd"):
        require_dovecot(lmtp=str(tmp_path / "lmtp"))


def test_a_missing_postgresql_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(PostgresUnavailable, match="apt-get install postgresql-15"):
        Postgres(bin_dir=tmp_path)
