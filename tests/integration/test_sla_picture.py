"""The SLA as a picture: the last 60 business days of on-time share, decisions and queue
(`pdu status --svg FILE`; the daily artifact embeds the same drawing)."""

from __future__ import annotations

import contextlib
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from flows.cli import main
from models import clock
from models.services import review
from models.services.context import ServiceContext
from models.services.status import sla_history
from models.uow import UnitOfWork
from tests.integration.test_status import RITA, act, mst, office, submit  # noqa: F401

SVG = "{http://www.w3.org/2000/svg}"


def test_the_history_counts_each_days_decisions_on_time_and_the_queue(office) -> None:  # noqa: F811
    quick = submit(office, mst("2026-11-20T09:00:00"), "a@school.example")
    late = submit(office, mst("2026-11-20T09:00:00"), "b@school.example")
    act(office, mst("2026-11-23T09:00:00"), quick, review.approve, RITA, Decimal(6))
    act(office, mst("2026-12-04T09:00:00"), late, review.approve, RITA, Decimal(6))
    office(mst("2026-12-04T16:00:00"))
    with UnitOfWork() as work:
        points = sla_history(ServiceContext.of(work, clock.now()))
    assert len(points) == 60 and points[-1].day == date(2026, 12, 4)
    by_day = {p.day: p for p in points}
    assert (by_day[date(2026, 11, 20)].decided, by_day[date(2026, 11, 20)].queue) == (0, 2)
    monday = by_day[date(2026, 11, 23)]
    assert (monday.decided, monday.on_time) == (1, 1)
    friday = by_day[date(2026, 12, 4)]
    assert (friday.decided, friday.on_time) == (1, 0)
    assert date(2026, 11, 26) not in by_day  # Thanksgiving is not a business day


def test_pdu_status_svg_writes_the_picture(office, tmp_path: Path) -> None:  # noqa: F811
    submit(office, mst("2026-11-20T09:00:00"), "a@school.example")
    path = tmp_path / "sla.svg"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["status", "--svg", str(path)]) == 0
    drawing = ElementTree.parse(path).getroot()
    assert drawing.tag == f"{SVG}svg"
    texts = " ".join(t.text or "" for t in drawing.iter(f"{SVG}text"))
    assert "The last 60 business days" in texts and "Queue at the day's end" in texts
    assert drawing.findall(f".//{SVG}polyline")  # the queue line
