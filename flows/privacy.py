"""No email address reaches Prefect's database from a flow run, even in an error.

Our own log lines redact addresses where they write them, and SQL errors leave out the
statement's values; but an error's own text can still quote one (PostgreSQL's `DETAIL:
Key (email)=(jane@…) already exists`, a library's message), and Prefect keeps both the
logged traceback and the failed run's message. Every flow's body runs in `private_run`:
each log handler of the process redacts addresses in the message and the traceback
before writing or shipping it, and a failure whose message quotes an address is raised
again with the address redacted (the original stays chained to it, so the traceback in
the log, redacted too, still shows where it came from).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from mailbox.addresses import redact_text

import flows  # noqa: F401  (the project root first: our `mailbox`)


class RedactAddresses(logging.Filter):
    """Rewrites a record's message and traceback text with addresses redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed logging call: the handler reports it as usual
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


class RedactedFailure(RuntimeError):
    """A flow's error whose message quoted an address, with the address redacted."""


def redact_log_handlers() -> None:
    """Give every handler configured in this process (Prefect's API and console handlers
    among them) the filter, once."""
    handlers = set(logging.getLogger().handlers)
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            handlers.update(logger.handlers)
    for handler in handlers:
        if not any(isinstance(f, RedactAddresses) for f in handler.filters):
            handler.addFilter(RedactAddresses())


@contextmanager
def private_run() -> Iterator[None]:
    """A flow's body runs in this: see the module's docstring."""
    redact_log_handlers()
    try:
        yield
    except Exception as exc:
        text = str(exc)
        if redact_text(text) == text:
            raise
        raise RedactedFailure(f"{type(exc).__name__}: {redact_text(text)}") from exc
