"""Log lines: an ISO timestamp and a level on each, text or one JSON object a line, the level
from --log-level or PDU_LOG_LEVEL, addresses redacted either way."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest

from flows.cli import main
from flows.logs import PduHandler, configure_logging

ISO_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING models\.test: ")


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if isinstance(h, PduHandler)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_a_text_line_starts_with_an_iso_timestamp_and_level_and_hides_the_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging()
    logging.getLogger("models.test").warning("bounce for jane@school.example")
    line = capsys.readouterr().err
    assert ISO_LINE.match(line), line
    assert "jane@school.example" not in line and "j***@school.example" in line


def test_json_format_writes_one_object_a_line_with_timestamp_and_level(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDU_LOG_FORMAT", "json")
    configure_logging()
    logging.getLogger("models.test").warning("bounce for jane@school.example")
    record = json.loads(capsys.readouterr().err)
    assert record["level"] == "WARNING" and record["logger"] == "models.test"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", record["timestamp"])
    assert record["message"] == "bounce for j***@school.example"


def test_the_level_comes_from_the_option_over_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDU_LOG_LEVEL", "error")
    configure_logging()
    logging.getLogger("models.test").warning("hidden")
    assert capsys.readouterr().err == ""
    configure_logging("INFO")
    logging.getLogger("models.test").info("shown")
    assert "INFO models.test: shown" in capsys.readouterr().err
    assert len([h for h in logging.getLogger().handlers if isinstance(h, PduHandler)]) == 1


def test_an_unknown_level_or_format_is_one_line_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDU_LOG_FORMAT", "xml")
    assert main(["secret", "new"]) == 2
    assert capsys.readouterr().err == "pdu: PDU_LOG_FORMAT=xml: choose one of text, json\n"
    assert main(["--log-level", "loud", "secret", "new"]) == 2
