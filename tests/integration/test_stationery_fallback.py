"""If stamping the stationery breaks (a WeasyPrint upgrade moving its internals), the
renderer draws each page whole instead: slower, still a correct certificate, and it says so
in the log and in `pdu doctor`."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from templates.pdf import STAMPED, WHOLE_PAGE, CertificateRenderer, check_not_blank
from templates.pdf_text import text_layer
from templates.stationery import Stationery
from tests.integration.test_certificate_pdf import DATA


def broken(*_args: Any, **_kwargs: Any) -> None:
    raise AttributeError("'PDF' object has no attribute 'objects'")  # as an upgrade might


@pytest.mark.parametrize("where", ["capture", "stamp"])
def test_a_broken_stamp_falls_back_to_whole_pages_that_still_read_back(
    where: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(Stationery, where, broken)
    renderer = CertificateRenderer()
    with caplog.at_level(logging.WARNING, logger="templates.pdf"):
        pdf = renderer.render(DATA)
    assert renderer.mode == WHOLE_PAGE
    check_not_blank(pdf, DATA)
    assert "Professional Development Unit Certificate" in text_layer(pdf)  # the stationery
    assert any("drawing each page whole" in r.getMessage() for r in caplog.records)

    second = replace(DATA, holder_name="Tom Little Bear", number="PDU-2027-000043")
    [batch] = renderer.render_many([(second, [])])
    assert isinstance(batch, bytes)
    check_not_blank(batch, second)


def test_a_working_stamp_stays_stamped() -> None:
    renderer = CertificateRenderer()
    check_not_blank(renderer.render(DATA), DATA)
    assert renderer.mode == STAMPED
