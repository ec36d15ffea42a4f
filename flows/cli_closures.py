"""`pdu closure`: days the office is closed beyond the legal holidays (deadlines move)."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli_support import parse_day, print_result, print_table, uow
from models import clock
from models.enums import Channel
from models.services.timeline import Actor

CLI = Actor.system(Channel.CLI)


def register(commands: Any) -> None:
    closure = commands.add_parser("closure", help="office closures (deadlines move)")
    sub = closure.add_subparsers(dest="closure_command", required=True)
    add = sub.add_parser("add", help="close the office on a day or days (due dates move)")
    add.add_argument("day", help="YYYY-MM-DD")
    add.add_argument("--to", help="last day closed (YYYY-MM-DD; default: the same day)")
    add.add_argument("--reason", required=True)
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=closure_add)
    lst = sub.add_parser("list", help="closures from today on (--all: every one)")
    lst.add_argument("--all", action="store_true")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=closure_list)
    remove = sub.add_parser("remove", help="open again; due dates move back")
    remove.add_argument("day", help="YYYY-MM-DD")
    remove.add_argument("--to", help="last day (YYYY-MM-DD; default: the same day)")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(handler=closure_remove)


def _report(args: argparse.Namespace, verb: str, report: Any, tz: Any) -> int:
    moved = [
        {
            "reference": m.reference,
            "due_before": m.before.astimezone(tz).isoformat(),
            "due_after": m.after.astimezone(tz).isoformat(),
        }
        for m in report.moved
    ]
    days = [d.isoformat() for d in report.days]
    lines = [
        f"{verb} {', '.join(days)}; {len(moved)} due date(s) moved",
        *(f"  {m['reference']}  {m['due_before']} -> {m['due_after']}" for m in moved),
    ]
    return print_result(args.json, {"days": days, "moved": moved}, "\n".join(lines))


def _span(args: argparse.Namespace) -> tuple[Any, Any]:
    return parse_day(args.day, "DATE"), parse_day(args.to, "--to") if args.to else None


def closure_add(args: argparse.Namespace) -> int:
    from models.services.closures import add_closure
    from models.services.context import ServiceContext

    first, last = _span(args)
    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        report = add_closure(ctx, first, last, args.reason, CLI)
        work.commit()
        return _report(args, "closed", report, ctx.tz)


def closure_remove(args: argparse.Namespace) -> int:
    from models.services.closures import remove_closure
    from models.services.context import ServiceContext

    first, last = _span(args)
    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        report = remove_closure(ctx, first, last, CLI)
        work.commit()
        return _report(args, "open again", report, ctx.tz)


def closure_list(args: argparse.Namespace) -> int:
    from models.services.closures import list_closures
    from models.services.context import ServiceContext

    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        rows = [
            {"day": c.day.isoformat(), "reason": c.reason}
            for c in list_closures(ctx, None if args.all else ctx.today)
        ]
    return print_result(
        args.json,
        rows,
        lambda: print_table(["DAY", "REASON"], [[r["day"], r["reason"]] for r in rows]),
    )
