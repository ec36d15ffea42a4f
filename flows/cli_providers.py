"""`pdu directory opportunities`: what approved providers may share on the portal."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli_support import print_json, print_table, uow


def register(commands: Any) -> None:
    # A subcommand of `pdu directory` (flows.cli_admin), which must be registered first.
    directory = commands.choices["directory"]
    sub = next(a for a in directory._actions if isinstance(a, argparse._SubParsersAction))
    opportunities = sub.add_parser(
        "opportunities",
        help="opportunities approved for the Learning Opportunities Portal",
        description="Approved requests to share an activity: the calendar (dated) by date, "
        "then the catalog (self-paced or on request).",
    )
    opportunities.add_argument("--json", action="store_true")
    opportunities.set_defaults(handler=directory_opportunities)


def directory_opportunities(args: argparse.Namespace) -> int:
    from models.services.request_cases import shared_opportunities

    with uow() as work:
        rows = shared_opportunities(work.session)
    if args.json:
        print_json(rows)
    else:
        print_table(
            ["REFERENCE", "PROVIDER", "TITLE", "WHEN", "FORMAT", "CONTACT"],
            [
                [
                    r["reference"],
                    r["provider"],
                    r["title"],
                    r["when"],
                    r["format"].replace("_", " "),
                    r["contact_email"],
                ]
                for r in rows
            ],
        )
    return 0
