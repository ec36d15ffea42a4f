"""A local server started as a child process (the development mail server, the local
Prefect server): in a process group of its own, its output appended to a log file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any


class ChildProcess:
    """Start, stop and read the log of one child process; subclasses name it and enter
    (start) as a context manager, leaving stops it."""

    LABEL = "the server"  # in messages: "(the mail server logged nothing)"
    STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL, and after SIGKILL
    TAIL_LINES = 20

    log: Path
    process: subprocess.Popen[bytes] | None = None

    def spawn(self, argv: list[str], **popen: Any) -> subprocess.Popen[bytes]:
        """Start `argv` with its output in the log. Its own session and group: Ctrl-C in
        the terminal is ours to pass on, and stopping it reaches its own children."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **popen,
            )
        return self.process

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM to the whole group, SIGKILL if it is still there after `timeout`."""
        process, self.process = self.process, None
        if process is None:
            return
        timeout = self.STOP_TIMEOUT if timeout is None else timeout
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    def log_tail(self, lines: int | None = None) -> str:
        if not self.log.exists():
            return f"({self.LABEL} logged nothing)"
        kept = self.log.read_text(errors="replace").splitlines()
        return "\n".join(kept[-(lines or self.TAIL_LINES) :])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
