"""`pdu import legacy DIR`: the old system's records (docs/migration.md); a dry run unless
--execute, which imports all or nothing."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flows.cli_support import print_result, progress, uow
from models import clock
from models.services.errors import Conflict, UserError

SHOWN_PRESENT = 20  # matched lines printed before "... and N more" (--json lists all)


def register(commands: Any) -> None:
    imp = commands.add_parser("import", help="bring the old system's records in")
    sub = imp.add_subparsers(dest="import_command", required=True)
    legacy = sub.add_parser(
        "legacy",
        help="CSV files of docs/migration.md (dry run by default)",
        description="Providers, accounts, events, certificates and open pre-approval requests "
        "from DIR (docs/migration.md). A dry run unless --execute.",
    )
    legacy.add_argument("directory", type=Path, metavar="DIR")
    legacy.add_argument("--execute", action="store_true", help="import: all or nothing")
    legacy.add_argument("--json", action="store_true")
    legacy.set_defaults(handler=import_legacy)


def import_legacy(args: argparse.Namespace) -> int:
    from models.services.context import ServiceContext
    from models.services.legacy_import import import_legacy as run

    with uow() as work, progress("importing legacy records") as on_progress:
        ctx = ServiceContext.of(work, clock.now())
        report = run(ctx, args.directory, execute=args.execute, on_progress=on_progress)
        if report.executed:
            work.commit()
    verb = "imported" if report.executed else "would import"
    more = len(report.present) - SHOWN_PRESENT
    lines = [
        *(f"{name}: {count} row(s); {verb} {report.new.get(name, 0)}"
          for name, count in report.rows.items()),
        *(f"  present: {line}" for line in report.present[:SHOWN_PRESENT]),
        *([f"  ... and {more} more present"] if more > 0 else []),
        *(f"  problem: {line}" for line in report.problems),
        *(f"  not read by this version: {name}" for name in report.not_read),
        *([f"set-password emails queued: {report.emails}"] if report.emails else []),
    ]  # fmt: skip
    print_result(args.json, asdict(report), "\n".join(lines))
    if args.execute and report.problems:
        # Only clashes with records here: refused (4); any bad line: an input error (2).
        error = Conflict if report.refused == len(report.problems) else UserError
        raise error(f"nothing imported: {len(report.problems)} problem(s) listed above")
    return 0
