"""`pdu status`: the review queue per assignee and the seven-business-day SLA (no Prefect)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.cli_support import print_result, print_table, uow
from models import clock
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.status import office_status, queue_table, sla_lines


def register(commands: Any) -> None:
    status = commands.add_parser(
        "status", help="the review queue per assignee and the seven-business-day SLA"
    )
    status.add_argument("--json", action="store_true")
    status.add_argument(
        "--days", type=int, default=30, help="the SLA covers decisions of this many days (30)"
    )
    status.add_argument(
        "--svg", type=Path, metavar="FILE", help="also draw the last 60 business days as SVG"
    )
    status.set_defaults(handler=show_status)


def show_status(args: argparse.Namespace) -> int:
    if args.svg:
        write_sla_svg(args.svg)
    return print_status(args.days, as_json=args.json)


def write_sla_svg(path: Path) -> None:
    from models.services.status import sla_picture

    with uow() as work:
        svg = sla_picture(ServiceContext.of(work, clock.now()))
    try:
        path.write_text(svg, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


def print_status(days: int, *, as_json: bool = False) -> int:
    """`pdu status`, also shown at the end of `pdu demo`."""
    if days < 1:
        raise UserError("--days must be at least 1")
    with uow() as work:
        status = office_status(ServiceContext.of(work, clock.now()), days)
    return print_result(as_json, status.as_dict(), lambda: _print_status(status))


def _print_status(status: Any) -> None:
    local = status.at.astimezone(ZoneInfo(status.timezone))
    print(f"Review queue, {local:%a %d %b %Y %H:%M %Z}")
    rows = queue_table(status)
    print_table([k.upper() for k in rows[0]], [list(r.values()) for r in rows])
    print(
        f"(due soon: within {status.due_soon_business_days} business days; waiting on "
        "applicant: the clock is stopped)"
    )
    print(
        f"\nDecisions of the last {status.window_days} days "
        f"(promise: {status.promise_business_days} business days)"
    )
    for line in sla_lines(status):
        print(f"  {line}")
