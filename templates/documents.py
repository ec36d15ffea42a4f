"""PDF documents other than certificates (WeasyPrint): the provider's annual report, and a
plain page of HTML (the demo's certificate of attendance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from weasyprint import CSS, HTML

from templates.render import TEMPLATES_DIR, environment

REPORT_DIR = TEMPLATES_DIR / "report"


def annual_report_pdf(report: Any, timezone: str, format_label: Callable[[str], str]) -> bytes:
    """`report` is `models.services.provider_events.AnnualReport`: what the template shows."""
    html = (
        environment()
        .get_template("report/provider_annual.html.j2")
        .render(report=report, timezone=timezone, format_label=format_label)
    )
    stylesheet = CSS(filename=str(REPORT_DIR / "provider_annual.css"))
    pdf = HTML(string=html, base_url=str(REPORT_DIR)).write_pdf(
        stylesheets=[stylesheet], pdf_variant="pdf/a-3b"
    )
    assert isinstance(pdf, bytes)
    return pdf


def plain_pdf(html: str) -> bytes:
    return bytes(HTML(string=html).write_pdf())
