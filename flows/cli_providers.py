"""`pdu directory opportunities`: what approved providers may share on the portal."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli_support import print_result, print_table, uow
from models import clock


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

    withdraw = sub.add_parser(
        "withdraw-opportunity",
        help="take an approved opportunity off the Learning Opportunities Portal",
        description="REFERENCE is the OP- case that approved it; the portal and its "
        "calendar feed stop showing it at once.",
    )
    withdraw.add_argument("reference", metavar="REFERENCE")
    withdraw.add_argument("--reason", required=True, help="kept on the case's timeline")
    withdraw.add_argument("--json", action="store_true")
    withdraw.set_defaults(handler=directory_withdraw_opportunity)


def directory_opportunities(args: argparse.Namespace) -> int:
    from models.services.context import ServiceContext
    from models.services.opportunities import shared_opportunities

    with uow() as work:
        rows = shared_opportunities(work.session, ServiceContext.of(work, clock.now()).today)
    table = [
        [r["reference"], r["provider"], r["title"], r["when"], r["format"].replace("_", " "),
         r["contact_email"]]
        for r in rows
    ]  # fmt: skip
    headers = ["REFERENCE", "PROVIDER", "TITLE", "WHEN", "FORMAT", "CONTACT"]
    return print_result(args.json, rows, lambda: print_table(headers, table))


def directory_withdraw_opportunity(args: argparse.Namespace) -> int:
    from models.enums import Channel
    from models.services.context import ServiceContext
    from models.services.opportunities import withdraw_opportunity
    from models.services.timeline import Actor

    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        title = withdraw_opportunity(ctx, args.reference, Actor.system(Channel.CLI), args.reason)
        work.commit()
    value = {"reference": args.reference.upper(), "title": title, "withdrawn": True}
    return print_result(
        args.json, value, f"{value['reference']} withdrawn from the portal: {title}"
    )
