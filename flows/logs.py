"""Logging for every `pdu` command and the services they run: each line has an ISO 8601
timestamp (UTC) and a level; PDU_LOG_FORMAT=json writes one JSON object a line
(python-json-logger) for a log collector; addresses are redacted in both (flows/privacy.py).

PDU_LOG_LEVEL and PDU_LOG_FORMAT are read from the environment here, not through Settings:
logging is set up before the settings are loaded, so a bad setting can itself be logged.
"""

from __future__ import annotations

import logging
import os
import time

from flows.privacy import RedactAddresses
from models.settings import SettingsError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class IsoFormatter(logging.Formatter):
    """`2026-12-03T09:20:01.123Z INFO pdu: …`: UTC, so lines from several machines sort."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,  # ISO 8601 UTC, the `timestamp` key
    )


def chosen(value: str | None, variable: str, choices: tuple[str, ...], default: str) -> str:
    picked = (value or os.environ.get(variable) or default).strip()
    key = picked.upper() if choices is LEVELS else picked.lower()
    if key not in choices:
        raise SettingsError(f"{variable}={picked}: choose one of {', '.join(choices)}")
    return key


class PduHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours on the root logger: replaced, not stacked, when logging is configured again."""


def configure_logging(level: str | None = None, log_format: str | None = None) -> None:
    """One handler on the root logger, to stderr. `level`/`log_format` (from the command
    line) win over PDU_LOG_LEVEL/PDU_LOG_FORMAT; the default is WARNING, as text."""
    name = chosen(level, "PDU_LOG_LEVEL", LEVELS, "WARNING")
    style = chosen(log_format, "PDU_LOG_FORMAT", FORMATS, "text")
    handler = PduHandler()
    handler.setFormatter(json_formatter() if style == "json" else IsoFormatter(TEXT_FORMAT))
    handler.addFilter(RedactAddresses())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, PduHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(name)
