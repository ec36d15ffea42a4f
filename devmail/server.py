"""The development mail server process: aiosmtpd (SMTP) delivering into Maildirs that pymap
serves over IMAP. Every address is a mailbox with one shared password.

Run by `devmail.DevMail` as `python -I devmail/server.py ...`: isolated mode keeps the
project root off `sys.path`, so `mailbox` here is the standard library's, which pymap's
Maildir backend needs (the project's own `mailbox` package shadows it in our processes).
So this file imports only the standard library, aiosmtpd and pymap, never the project.
"""

from __future__ import annotations

import argparse
import mailbox
import os
import socket
import sys
import tempfile
import threading
import time
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pysasl.hashing import BuiltinHash

PASSWD = "pymap-etc-passwd"
SHADOW = "pymap-etc-shadow"
# pymap's default is 500,000 PBKDF2 rounds (~0.3 s of CPU per login); a development
# server whose password is printed on the screen gains nothing from that.
HASH_ROUNDS = 1000


def mailbox_name(address: str) -> str:
    """`Pdu+token@OPI.example` → `pdu@opi.example`: plus-addresses share the mailbox."""
    local, _, domain = parseaddr(address)[1].strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}@{domain}" if local else domain


class Accounts:
    """pymap's passwd/shadow files: an account (and its Maildir) per address, on first use.

    pymap reads both files at every login, so an account added here can log in at once;
    files are replaced atomically because pymap may be reading them.
    """

    def __init__(self, root: str, password: str) -> None:
        self.root = root
        self.hashed = BuiltinHash(rounds=HASH_ROUNDS).hash(password)
        self._lock = threading.Lock()
        self._known = self._read_names()

    def _read_names(self) -> set[str]:
        path = os.path.join(self.root, PASSWD)
        if not os.path.exists(path):
            return set()
        with open(path, encoding="utf-8") as lines:
            return {line.split(":", 1)[0] for line in lines if line.strip()}

    def home(self, name: str) -> str:
        return os.path.join(self.root, "mail", name)

    def ensure(self, name: str) -> str:
        """The Maildir of `name` (a lowercased address), creating the account if new."""
        with self._lock:
            if name not in self._known:
                mailbox.Maildir(self.home(name), create=True)
                self._known.add(name)
                self._write(PASSWD, [f"{n}::::{n}:mail/{n}:" for n in sorted(self._known)])
                self._write(SHADOW, [f"{n}:{self.hashed}:::::::" for n in sorted(self._known)])
        return self.home(name)

    def _write(self, filename: str, lines: list[str]) -> None:
        with tempfile.NamedTemporaryFile(
            "w", dir=self.root, delete=False, encoding="utf-8", newline=""
        ) as out:
            out.write("".join(f"{line}\r\n" for line in lines))
        os.replace(out.name, os.path.join(self.root, filename))


class MaildirDelivery:
    """aiosmtpd handler: each recipient's copy goes into its Maildir's `new/` (as an MDA
    would), with Return-Path and Delivered-To; pymap picks it up at the next poll or IDLE."""

    def __init__(self, accounts: Accounts, password: str) -> None:
        self.accounts = accounts
        self.password = password

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if "@" not in address:
            return "550 5.1.3 A full address is needed"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        for recipient in envelope.rcpt_tos:
            trace = (
                f"Return-Path: <{envelope.mail_from or ''}>\r\n"
                f"Delivered-To: {recipient}\r\n".encode()
            )
            inbox = mailbox.Maildir(self.accounts.ensure(mailbox_name(recipient)), create=True)
            inbox.add(trace + content)
        subject = BytesHeaderParser().parsebytes(content).get("Subject", "")
        print(f"devmail: {len(envelope.rcpt_tos)} delivery(ies): {subject}", flush=True)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """Optional AUTH (PLAIN, LOGIN) for mail clients that insist: the shared password."""
        if isinstance(data, LoginPassword) and data.password.decode() == self.password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def serve_imap(host: str, port: int, root: str) -> None:
    """pymap's own entry point, in the foreground; returns on SIGINT or SIGTERM."""
    from pymap.main import main as pymap_main

    sys.argv = ["pymap", "--host", host, "--port", str(port), "maildir", root]
    pymap_main()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="directory for accounts and Maildirs")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--imap-port", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--account", action="append", default=[], help="create up front")
    args = parser.parse_args(argv)

    os.makedirs(os.path.join(args.root, "mail"), exist_ok=True)
    # pymap greets with the FQDN, looked up at every connection: a slow resolver would
    # delay each login by seconds.
    os.environ.setdefault("FQDN", "localhost")
    accounts = Accounts(args.root, args.password)
    for address in args.account:
        accounts.ensure(mailbox_name(address))
    handler = MaildirDelivery(accounts, args.password)
    smtp = Controller(
        handler,
        hostname=args.host,
        port=args.smtp_port,
        server_hostname="localhost",  # skips a getfqdn() lookup
        enable_SMTPUTF8=True,
        auth_require_tls=False,
        authenticator=handler.authenticate,
    )
    smtp.start()
    began = time.monotonic()
    print(
        f"devmail: SMTP on {args.host}:{args.smtp_port}, IMAP on {args.host}:{args.imap_port}",
        flush=True,
    )
    try:
        serve_imap(args.host, args.imap_port, args.root)
    finally:
        smtp.stop()
        print(f"devmail: stopped after {time.monotonic() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    sys.exit(main())
