"""`pdu case list|show`: what an admin sees of a case."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from flows import cli_case_actions
from flows.cli_support import add_page_arguments, emit_rows, page_of, print_result, uow
from models.enums import CaseKind, CaseStatus
from models.services.errors import UserError


def register(commands: Any) -> None:
    case = commands.add_parser("case", help="cases: pre-approvals and provider registrations")
    sub = case.add_subparsers(dest="case_command", required=True)
    lst = sub.add_parser(
        "list",
        help="list cases, newest first, 50 a page",
        description="Cases newest first, 50 a page (--limit, --page or --after, --all).",
    )
    lst.add_argument("--status", choices=[s.value for s in CaseStatus])
    lst.add_argument("--kind", choices=[k.value for k in CaseKind])
    lst.add_argument(
        "--search", metavar="TEXT", help="in the reference, applicant, activity or organisation"
    )
    lst.add_argument("--assignee", metavar="EMAIL", help="whose open task it is")
    lst.add_argument("--overdue", action="store_true", help="past due, not waiting")
    lst.add_argument("--due-before", metavar="DATE", help="due before this date (YYYY-MM-DD)")
    lst.add_argument("--waiting", action="store_true", help="waiting on the applicant")
    add_page_arguments(lst, after="REF")
    lst.set_defaults(handler=case_list)
    show = sub.add_parser("show", help="one case: status, assignee, due date, timeline")
    show.add_argument("reference")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=case_show)
    cli_case_actions.register(sub)


def case_list(args: argparse.Namespace) -> int:
    from models import clock
    from models.services.case_list import CaseFilter, case_id, case_rows

    due_before = None
    if args.due_before:
        try:
            due_before = date.fromisoformat(args.due_before.strip())
        except ValueError:
            raise UserError(
                f"--due-before must be a date like 2027-06-15, not {args.due_before!r}"
            ) from None
    wanted = CaseFilter(
        status=args.status,
        kind=args.kind,
        search=args.search,
        assignee=args.assignee,
        overdue=args.overdue,
        due_before=due_before,
        waiting=args.waiting,
    )
    with uow() as work:
        page = page_of(args, lambda ref: case_id(work.session, ref))
        rows = case_rows(work.session, wanted, page, clock.now(), work.settings.timezone)
        emit_rows(
            rows,
            [("REFERENCE", "reference"), ("KIND", "kind"), ("STATUS", "status"),
             ("ASSIGNEE", "assignee"), ("DUE", "due_at")],
            args,
            next_hint=lambda last: f"(more: --after {last['reference']})",
        )  # fmt: skip
    return 0


def case_show(args: argparse.Namespace) -> int:
    return print_case(args.reference, as_json=args.json)


def print_case(reference: str, *, as_json: bool = False) -> int:
    """`pdu case show`, also shown at the end of `pdu demo`."""
    from models.services.case_view import case_view, get_case

    with uow() as work:
        view = case_view(work.session, get_case(work.session, reference), work.settings.timezone)
    return print_result(as_json, view, lambda: _print_view(view))


def _print_view(view: dict[str, Any]) -> None:
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
