"""`pdu staff`: the office's people, their roles, absences and departures."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from flows.cli_support import parse_day, print_result, print_table, uow
from models import clock
from models.enums import Channel, StaffRole
from models.services.timeline import Actor

CLI = Actor.system(Channel.CLI)


def register(commands: Any) -> None:
    staff = commands.add_parser("staff", help="OPI staff").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff.add_parser("add", help="add a reviewer, supervisor or admin")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=staff_add)
    lst = staff.add_parser("list", help="staff with their open, due-soon and overdue tasks")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=staff_list)
    away = staff.add_parser("away", help="away through a date: tasks due before moved")
    away.add_argument("email")
    away.add_argument("--until", required=True, help="last day away (YYYY-MM-DD)")
    away.add_argument("--delegate", help="who takes their tasks (default: their supervisor)")
    away.add_argument("--json", action="store_true")
    away.set_defaults(handler=staff_away)
    back = staff.add_parser("back", help="back at work: new tasks come to them again")
    back.add_argument("email")
    back.add_argument("--json", action="store_true")
    back.set_defaults(handler=staff_back)
    deactivate = staff.add_parser("deactivate", help="leaving: open tasks handed on at once")
    deactivate.add_argument("email")
    deactivate.add_argument("--to", help="who takes every open task (default: routed)")
    deactivate.add_argument("--json", action="store_true")
    deactivate.set_defaults(handler=staff_deactivate)
    activate = staff.add_parser("activate", help="active again")
    activate.add_argument("email")
    activate.add_argument("--json", action="store_true")
    activate.set_defaults(handler=staff_activate)
    change = staff.add_parser("set", help="change a role or supervisor")
    change.add_argument("email")
    change.add_argument("--role", choices=[r.value for r in StaffRole])
    change.add_argument("--supervisor", help="told of their absences; takes work by default")
    change.add_argument("--json", action="store_true")
    change.set_defaults(handler=staff_set)


def staff_add(args: argparse.Namespace) -> int:
    from models.services.staff import add_staff

    with uow() as work:
        staff = add_staff(work.session, args.email, args.name, args.role, clock.now())
        work.commit()
        value = {"email": staff.email, "name": staff.name, "role": str(staff.role)}
        return print_result(args.json, value, f"added {staff.role} {staff.name} <{staff.email}>")


def staff_list(args: argparse.Namespace) -> int:
    from models.services.context import ServiceContext
    from models.services.staff import staff_rows

    with uow() as work:
        rows = [asdict(r) for r in staff_rows(ServiceContext.of(work, clock.now()))]
    headers = ["EMAIL", "NAME", "ROLE", "ACTIVE", "AWAY UNTIL", "OPEN", "DUE SOON", "OVERDUE"]
    keys = ["email", "name", "role", "active", "away_until", "open", "due_soon", "overdue"]
    return print_result(
        args.json, rows, lambda: print_table(headers, [[r[k] for k in keys] for r in rows])
    )


def _moved(report: Any) -> str:
    lines = [f"  {ref} -> {to}" for ref, to in report.moved]
    lines += [f"  {ref} kept: nobody present to take it" for ref in report.kept]
    return "\n".join(["", *lines]) if lines else ""


def staff_away(args: argparse.Namespace) -> int:
    from models.services.absence import mark_away
    from models.services.context import ServiceContext
    from models.services.staff import active_staff, find_staff

    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        staff = find_staff(work.session, args.email)
        delegate = None
        if args.delegate:
            delegate = active_staff(work.session, args.delegate, " (the delegate)")
        until = parse_day(args.until, "--until")
        report = mark_away(ctx, staff, until, CLI, how="the command line", delegate=delegate)
        work.commit()
    line = (
        f"{report.staff} away until {report.until}; "
        f"{len(report.moved)} task(s) handed over{_moved(report)}"
        if report.changed
        else f"{report.staff} is already away until {report.until}"
    )
    return print_result(args.json, asdict(report), line)


def staff_back(args: argparse.Namespace) -> int:
    from models.services.absence import mark_back
    from models.services.staff import find_staff

    with uow() as work:
        report = mark_back(find_staff(work.session, args.email))
        work.commit()
    return print_result(args.json, asdict(report), f"{report.staff} is back at work")


def staff_deactivate(args: argparse.Namespace) -> int:
    from models.services.absence import deactivate
    from models.services.context import ServiceContext
    from models.services.staff import active_staff, find_staff

    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        staff = find_staff(work.session, args.email)
        successor = active_staff(work.session, args.to, " (--to)") if args.to else None
        report = deactivate(ctx, staff, CLI, successor)
        work.commit()
    line = f"{report.staff} deactivated; {len(report.moved)} task(s) handed over{_moved(report)}"
    return print_result(args.json, asdict(report), line)


def staff_activate(args: argparse.Namespace) -> int:
    from models.services.staff import activate

    with uow() as work:
        staff = activate(work.session, args.email)
        work.commit()
        return print_result(
            args.json, {"email": staff.email, "active": True}, f"{staff.email} is active"
        )


def staff_set(args: argparse.Namespace) -> int:
    from models.services.staff import set_staff

    with uow() as work:
        staff = set_staff(work.session, args.email, args.role, args.supervisor)
        work.commit()
        value = {
            "email": staff.email,
            "role": str(staff.role),
            "supervisor": staff.supervisor.email if staff.supervisor else None,
        }
    return print_result(
        args.json, value, f"{value['email']}: {value['role']}, supervisor {value['supervisor']}"
    )
