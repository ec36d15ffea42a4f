"""`pdu purge`, `pdu hold`: the retention schedule (five years) and legal holds."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from flows.cli_support import print_result, print_table, progress, uow
from models import clock
from models.services.errors import UserError
from models.settings import get_settings

SHOWN_REFERENCES = 20
CSV_COLUMNS = ("reference", "kind", "status", "closed_at", "retain_until", "action", "hold_reason")


def register(commands: Any) -> None:
    purge = commands.add_parser(
        "purge",
        help="purge records past their retention date (dry run unless --execute)",
        description="Without --execute, a dry run: it lists what would go and changes nothing; "
        "its report is the disposal request for the State Records Committee.",
    )
    mode = purge.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="list what would go (the default)")
    mode.add_argument("--execute", action="store_true", help="delete; needs --approval")
    purge.add_argument("--approval", metavar="REF", help="the disposal approval reference")
    purge.add_argument(
        "--cutoff",
        metavar="INSTANT",
        help="only records whose retention ended before this ISO 8601 instant (default: now); "
        "pass the approved dry run's cutoff to purge exactly what was approved",
    )
    purge.add_argument("--csv", type=Path, metavar="FILE", help="write every record to a CSV file")
    purge.add_argument("--json", action="store_true", help="print the report as JSON")
    purge.add_argument("--batch-size", type=int, default=500, help=argparse.SUPPRESS)
    purge.set_defaults(handler=run_purge)

    hold = commands.add_parser(
        "hold", help="legal holds: a held case or provider event is never purged"
    )
    sub = hold.add_subparsers(dest="hold_command", required=True)
    add = sub.add_parser("add", help="place a legal hold on a case or a provider event")
    add.add_argument("reference", help="a case's reference (PA-2026-00042) or event:ID")
    add.add_argument("--reason", required=True, help="what the hold is for (recorded)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=hold_add)
    release = sub.add_parser("release", help="release a legal hold")
    release.add_argument("reference", help="a case's reference or event:ID")
    release.add_argument("--json", action="store_true")
    release.set_defaults(handler=hold_release)
    lst = sub.add_parser("list", help="cases and provider events on legal hold")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=hold_list)


def run_purge(args: argparse.Namespace) -> int:
    from flows.jobs import open_mailbox
    from models.retention import Candidate
    from models.services import purge

    if args.approval and not args.execute:
        raise UserError("--approval goes with --execute (a dry run needs no approval)")
    if args.batch_size < 1:
        raise UserError("--batch-size must be at least 1")
    try:
        cutoff = clock.parse_instant(args.cutoff) if args.cutoff else None
    except clock.ClockError:
        raise UserError(f"--cutoff {args.cutoff!r} is not an ISO 8601 instant") from None
    shown: list[str] = []
    with ExitStack() as stack:
        writer = _csv_writer(stack, args.csv) if args.csv else None

        def listen(candidate: Candidate) -> None:
            if not candidate.held and len(shown) < SHOWN_REFERENCES:
                shown.append(candidate.reference)
            if writer is not None:
                writer(candidate, args.execute)

        if args.execute:
            on_batch = stack.enter_context(progress("purging cases"))
            report = purge.execute(
                uow,
                now=clock.now(),
                approval=args.approval or "",
                open_mailbox=open_mailbox,
                cutoff=cutoff,
                batch_size=args.batch_size,
                listener=listen,
                on_batch=on_batch,
            )
        else:
            counting = stack.enter_context(progress("counting what the purge would remove"))
            report = purge.rehearse(
                uow, now=clock.now(), cutoff=cutoff, listener=listen, on_progress=counting
            )
    from models.retention import summary_rows

    rows = summary_rows(report.summary)
    value = {
        "run": report.run_id,
        "executed": report.executed,
        "approval": report.approval,
        "cutoff": report.cutoff.isoformat(),
        "summary": rows,
        "held": report.held,
        "counts": report.counts,
    }
    return print_result(args.json, value, lambda: _print_report(report, rows, shown, args))


def _print_report(report: Any, rows: list[Any], shown: list[str], args: argparse.Namespace) -> None:
    from models.enums import CaseKind

    cutoff = report.cutoff.astimezone(ZoneInfo(get_settings().timezone)).isoformat()
    verb = "purged" if report.executed else "dry run: nothing was deleted"
    print(f"purge run {report.run_id} ({verb}); cutoff {cutoff}")
    if rows:
        print_table([k.upper() for k in rows[0]], [list(r.values()) for r in rows])
    else:
        print("no record is past its retention date")
    if report.held:
        print(f"kept by a legal hold ({len(report.held)}): {', '.join(report.held)}")
    total = sum(r["records"] for r in rows if r["kind"] in set(CaseKind))
    if shown:
        more = f" … and {total - len(shown)} more" if total > len(shown) else ""
        hint = " (--csv FILE lists them all)" if more and not args.csv else ""
        print(f"cases ({total}): {', '.join(shown)}{more}{hint}")
    if report.executed:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items()))
        print(f"deleted: {counts or 'nothing'}")
    elif any(r["records"] for r in rows):
        print(f"once approved: pdu purge --execute --approval REF --cutoff {cutoff}")


def _csv_writer(stack: ExitStack, path: Path) -> Callable[[Any, bool], None]:
    from models.retention import candidate_row

    try:
        handle: IO[str] = stack.enter_context(path.open("w", newline="", encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None
    out = csv.writer(handle)
    out.writerow(CSV_COLUMNS)

    def write(candidate: Any, executed: bool) -> None:
        row = candidate_row(candidate, executed)
        out.writerow([row[column] for column in CSV_COLUMNS])

    return write


def _cli_actor() -> Any:
    from models.enums import Channel
    from models.services.timeline import Actor

    return Actor.system(Channel.CLI)


def hold_add(args: argparse.Namespace) -> int:
    from models.services.holds import add_hold

    with uow() as work:
        hold = add_hold(work.session, args.reference, args.reason, _cli_actor(), clock.now())
        work.commit()
        value = {"reference": hold.reference, "held": True, "reason": hold.reason}
    line = f"{value['reference']} is on legal hold: it will not be purged until released"
    return print_result(args.json, value, line)


def hold_release(args: argparse.Namespace) -> int:
    from models.services.holds import release_hold

    with uow() as work:
        hold = release_hold(work.session, args.reference, _cli_actor(), clock.now())
        work.commit()
        value = {"reference": hold.reference, "held": False}
    return print_result(args.json, value, f"{value['reference']}: legal hold released")


def hold_list(args: argparse.Namespace) -> int:
    from models.services.holds import held

    with uow() as work:
        rows = [
            {"reference": h.reference, "status": h.status, "reason": h.reason}
            for h in held(work.session)
        ]
    return print_result(
        args.json,
        rows,
        lambda: print_table(["REFERENCE", "STATUS", "REASON"], [list(r.values()) for r in rows]),
    )
