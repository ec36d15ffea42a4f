"""`pdu case list|show`: what an admin sees of a case."""

from __future__ import annotations

import argparse
from typing import Any

from flows import cli_case_actions
from flows.cli_support import print_json, print_table, uow
from models.enums import CaseStatus


def register(commands: Any) -> None:
    case = commands.add_parser("case", help="cases: pre-approvals and provider registrations")
    sub = case.add_subparsers(dest="case_command", required=True)
    lst = sub.add_parser("list", help="list cases")
    lst.add_argument("--status", choices=[s.value for s in CaseStatus])
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=case_list)
    show = sub.add_parser("show", help="one case: status, assignee, due date, timeline")
    show.add_argument("reference")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=case_show)
    cli_case_actions.register(sub)


def case_list(args: argparse.Namespace) -> int:
    from models.services.case_view import list_cases

    with uow() as work:
        tz = work.settings.timezone
        rows = []
        for case in list_cases(work.session, args.status):
            task = case.open_task
            rows.append(
                {
                    "reference": case.reference,
                    "kind": str(case.kind),
                    "status": str(case.status),
                    "assignee": task.assignee.email if task else None,
                    "due_at": task.due_at.astimezone(_tz(tz)).isoformat() if task else None,
                }
            )
    if args.json:
        print_json(rows)
    else:
        print_table(
            ["REFERENCE", "KIND", "STATUS", "ASSIGNEE", "DUE"], [list(r.values()) for r in rows]
        )
    return 0


def _tz(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def case_show(args: argparse.Namespace) -> int:
    return print_case(args.reference, as_json=args.json)


def print_case(reference: str, *, as_json: bool = False) -> int:
    """`pdu case show`, also shown at the end of `pdu demo`."""
    from models.services.case_view import case_view, get_case

    with uow() as work:
        view = case_view(work.session, get_case(work.session, reference), work.settings.timezone)
    if as_json:
        print_json(view)
        return 0
    for key in (
        "reference",
        "kind",
        "status",
        "applicant",
        "submitted_at",
        "assignee",
        "due_at",
        "escalation_level",
        "retroactive",
        "hours_requested",
        "hours_granted",
        "closed_at",
        "retain_until",
        "legal_hold",
    ):
        if view[key] not in (None, False, ""):
            print(f"{key.replace('_', ' '):17} {view[key]}")
    print("timeline:")
    for entry in view["timeline"]:
        detail = f"  {entry['detail']}" if entry["detail"] else ""
        print(f"  {entry['at']}  {entry['action']:<18} {entry['actor']}{detail}")
    if view["certificates"]:
        print("certificates:")
        for cert in view["certificates"]:
            print(f"  {cert['number']}  {cert['hours']} h  verify {cert['verification_code']}")
    return 0
