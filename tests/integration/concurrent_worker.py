"""One of the processes of test_sqlite_concurrency, run as `python -m` with its role:

- `poller`: receives N emailed submissions through the gateway (`receive`);
- `sweep`: runs the deadline sweep N times, an hour of the office's clock apart;
- `writer`: submits N forms as the command line and the web form do (`jobs.intake`).

All wait for the file named by their second argument, so that they start together. Any
exception, and any error the services only log (the sweep goes on past a failed task),
ends the process with status 1 and the error on stderr.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path

import flows  # noqa: F401  (our `mailbox` ahead of the standard library's)
from flows import jobs
from models import clock
from models.services.email.receive import receive
from models.uow import UnitOfWork
from tests.e2e.forms import preapproval
from tests.inbound_support import form_json, new_message


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def poller(n: int) -> None:
    for i in range(n):
        address = f"emailed{i}@school.example"
        message = new_message(address, "My form.", files=[form_json(preapproval(address))])
        result = receive(UnitOfWork, message.as_bytes(), now=clock.now())
        assert result.reason == "submitted", result


def sweep(n: int) -> None:
    for i in range(n):
        report = jobs.sweep(clock.now() + timedelta(hours=i))
        assert not report.failed, report


def writer(n: int) -> None:
    for i in range(n):
        result = jobs.intake("preapproval", preapproval(f"typed{i}@school.example"))
        assert result.ok and result.created, result.problems


ROLES = {"poller": poller, "sweep": sweep, "writer": writer}


def main() -> int:
    role, go, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    while not go.exists():
        time.sleep(0.01)
    try:
        ROLES[role](count)
    except BaseException:
        traceback.print_exc()
        return 1
    for record in errors.records:
        print(record, file=sys.stderr)
    return 1 if errors.records else 0


if __name__ == "__main__":
    sys.exit(main())
