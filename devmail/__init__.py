"""The embedded development mail server: SMTP (aiosmtpd) and IMAP (pymap) on loopback,
every address a mailbox, one shared password. For `pdu demo` and `pdu serve --dev-mail`.

The server runs as its own process (`devmail/server.py`, Python's isolated mode) because
pymap's Maildir backend needs the standard library's `mailbox`, which the project's own
package shadows in our processes. This module only starts, watches and stops it.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from devmail.child_process import ChildProcess

SERVER = Path(__file__).resolve().parent / "server.py"
HOST = "127.0.0.1"
DEFAULT_PASSWORD = "pdu-demo"
# Ports a person can type into a mail client; any free port when they are taken.
PREFERRED_IMAP_PORT = 1143
PREFERRED_SMTP_PORT = 1025


class DevMailError(RuntimeError):
    """The development mail server did not start; the message carries its log."""


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as probe:
        # As the servers do: a port whose old connections linger in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port(preferred: int = 0, host: str = HOST, avoid: set[int] | None = None) -> int:
    """`preferred` when it is free (and not in `avoid`), else any free port."""
    if preferred and preferred not in (avoid or set()) and port_is_free(preferred, host):
        return preferred
    while True:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        if port not in (avoid or set()):
            return port


def wait_for_greeting(
    port: int, prefix: bytes, deadline: float, process: subprocess.Popen[bytes]
) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevMailError(f"the mail server exited with code {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=2) as conn:
                if conn.recv(200).startswith(prefix):
                    return
        except OSError as exc:
            last = exc
        time.sleep(0.05)
    raise DevMailError(f"no {prefix.decode()!r} greeting on port {port} ({last})")


@dataclass(frozen=True)
class Endpoints:
    """What a mail client (or the `PDU_IMAP_*`/`PDU_SMTP_*` settings) needs."""

    host: str
    imap_port: int
    smtp_port: int
    password: str

    def settings_env(self, system_address: str) -> dict[str, str]:
        """The settings that point the office at this server, for `system_address`."""
        return {
            "PDU_MAIL_ADDRESS": system_address,
            "PDU_IMAP_HOST": self.host,
            "PDU_IMAP_PORT": str(self.imap_port),
            "PDU_IMAP_USER": system_address,
            "PDU_IMAP_PASSWORD": self.password,
            "PDU_IMAP_SECURITY": "none",
            "PDU_IMAP_AUTH": "password",
            "PDU_SMTP_HOST": self.host,
            "PDU_SMTP_PORT": str(self.smtp_port),
            "PDU_SMTP_USER": "",
            "PDU_SMTP_PASSWORD": "",
            "PDU_SMTP_SECURITY": "none",
            "PDU_SMTP_AUTH": "password",
        }

    def as_dict(self) -> dict[str, str]:
        """For a script (`pdu serve --json`): where to connect, and the one password."""
        return {
            "imap": f"{self.host}:{self.imap_port}",
            "smtp": f"{self.host}:{self.smtp_port}",
            "password": self.password,
        }

    def describe(self) -> list[str]:
        return [
            f"IMAP  {self.host}:{self.imap_port}  (no TLS; user: the full address)",
            f"SMTP  {self.host}:{self.smtp_port}  (no TLS; no login needed)",
            f"password for every address: {self.password}",
        ]


class DevMail(ChildProcess):
    """One development mail server process; a context manager.

    `root` keeps the accounts and Maildirs, so a restart on the same root keeps the mail.
    """

    LABEL = "the mail server"

    def __init__(
        self,
        root: Path,
        *,
        password: str = DEFAULT_PASSWORD,
        accounts: list[str] | None = None,
        imap_port: int = PREFERRED_IMAP_PORT,
        smtp_port: int = PREFERRED_SMTP_PORT,
    ) -> None:
        self.root = Path(root).resolve()
        self.password = password
        self.accounts = list(accounts or [])
        imap = free_port(imap_port)
        self.endpoints = Endpoints(HOST, imap, free_port(smtp_port, avoid={imap}), password)
        self.log = self.root / "devmail.log"
        self.process = None

    def start(self, timeout: float = 30.0) -> Endpoints:
        if self.process is not None:
            return self.endpoints
        if importlib.util.find_spec("pymap") is None:
            raise DevMailError(
                "pymap is not installed in this environment: `bash scripts/bootstrap.sh` "
                "installs the pinned dependencies"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        e = self.endpoints
        argv = [
            sys.executable,
            "-I",  # isolated: no project root on sys.path, so `mailbox` is the stdlib's
            str(SERVER),
            "--root",
            str(self.root),
            "--host",
            e.host,
            "--imap-port",
            str(e.imap_port),
            "--smtp-port",
            str(e.smtp_port),
            "--password",
            self.password,
        ]
        for address in self.accounts:
            argv += ["--account", address]
        process = self.spawn(argv, cwd=self.root)
        deadline = time.monotonic() + timeout
        try:
            wait_for_greeting(e.smtp_port, b"220", deadline, process)
            wait_for_greeting(e.imap_port, b"* OK", deadline, process)
        except DevMailError as exc:
            self.stop()
            raise DevMailError(
                f"the development mail server did not start: {exc}; its log ({self.log}) ends:\n"
                f"{self.log_tail()}"
            ) from None
        return e

    def __enter__(self) -> Endpoints:
        return self.start()
