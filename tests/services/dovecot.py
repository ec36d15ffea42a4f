"""Dovecot 2.3 in the foreground for tests: IMAP and LMTP on loopback, a mailbox per address.

No address is registered: a static passdb (one shared password) and a static userdb with
a home per full address (`%d/%n`) give every address its own Maildir on first use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from devmail import free_port

PASSWORD = "test-password"

HOST = "127.0.0.1"
DOVECOT = "/usr/sbin/dovecot"
LMTP = "/usr/lib/dovecot/lmtp"
_PACKAGES = "dovecot-imapd dovecot-lmtpd"


class ServiceUnavailable(RuntimeError):
    """A binary a test server needs is missing: the message names the Debian package."""


def wait_for_greeting(
    port: int, prefix: bytes, deadline: float, alive: Callable[[], bool] = lambda: True
) -> None:
    """Until a connection on `port` is greeted with `prefix` (the server is really serving)."""
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not alive():
            raise TimeoutError(f"the server exited before greeting on port {port}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as conn:
                if conn.recv(200).startswith(prefix):
                    return
        except OSError as exc:
            last_error = exc
        time.sleep(0.02)
    raise TimeoutError(f"no {prefix!r} greeting on port {port}: {last_error}")


def require_dovecot(binary: str = DOVECOT, lmtp: str = LMTP) -> str:
    if not os.path.exists(binary):
        raise ServiceUnavailable(f"{binary} not found: apt-get install {_PACKAGES}")
    if not os.path.exists(lmtp):
        raise ServiceUnavailable(f"{lmtp} not found: apt-get install dovecot-lmtpd")
    return binary


def _config(root: Path, imap_port: int, lmtp_port: int, password: str) -> str:
    # One setting per line: Dovecot's parser is line-based.
    return f"""\
instance_name = pdu-test-{imap_port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = {HOST}
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
mail_uid = nobody
mail_gid = nogroup
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 100
recipient_delimiter = +
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%d/%n allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# Mode 0 keeps auth away from anvil's penalty table: otherwise one failed login from
# 127.0.0.1 delays every later login (of any test) by seconds.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {lmtp_port}
  }}
}}
"""


def _signal_group(pgid: int, signum: int) -> None:
    # start_new_session made the master's pid the group id of every Dovecot process.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


class Dovecot:
    """One Dovecot instance; `stop()` then `start()` keeps its ports and mail."""

    def __init__(self, password: str = PASSWORD) -> None:
        self.binary = require_dovecot()
        self.password = password
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pdu-dovecot-"))
        # mail_uid = nobody: every parent of the mail directory must be reachable by nobody.
        self.root.chmod(0o755)
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir()
        shutil.chown(self.root / "mail", "nobody", "nogroup")
        self.config = self.root / "dovecot.conf"
        self.config.write_text(_config(self.root, self.imap_port, self.lmtp_port, password))
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 15.0) -> float:
        """Start (no-op when running); returns the seconds until IMAP and LMTP greet."""
        if self.running:
            return 0.0
        began = time.monotonic()
        with (self.root / "stderr.log").open("ab") as errors:  # before logging starts
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # its own process group, so a kill reaches the children
            )
        deadline = began + timeout
        try:
            wait_for_greeting(self.imap_port, b"* OK", deadline, lambda: self.running)
            wait_for_greeting(self.lmtp_port, b"220", deadline, lambda: self.running)
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(f"Dovecot did not start: {exc}\n{self.log_tail()}") from exc
        self.start_seconds = time.monotonic() - began
        return self.start_seconds

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and its IMAP/LMTP processes (connected clients are cut off)."""
        process, self.process = self.process, None
        if process is None:
            return
        # The whole group: the master leaves busy imap processes (and their clients) alive.
        _signal_group(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
        _signal_group(process.pid, signal.SIGKILL)  # whatever outlived the master
        process.wait(timeout)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:]) or "(Dovecot logged nothing)"

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
