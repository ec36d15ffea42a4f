"""The `pdu` command: parses arguments, calls one service, prints the answer.

Read-only commands stay fast: nothing here imports Prefect (about 2 s); the commands that
run flows import it when they run.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import flows  # noqa: F401  (puts the project root first: our `mailbox`, not the stdlib's)
from flows import (
    cli_accounts,
    cli_admin,
    cli_cases,
    cli_certificates,
    cli_closures,
    cli_import,
    cli_ops,
    cli_providers,
    cli_retention,
    cli_staff,
    cli_status,
    cli_web,
    cli_work,
)
from models.services.errors import UserError
from models.settings import SettingsError

log = logging.getLogger("pdu")

GROUPS = (
    cli_admin, cli_staff, cli_closures, cli_cases, cli_work, cli_retention, cli_certificates,
    cli_ops, cli_status, cli_providers, cli_web, cli_accounts, cli_import,
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pdu",
        description="PDU workflows: the OPI Professional Development Unit back office.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except (UserError, SettingsError) as exc:
        print(f"pdu: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pdu: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        log.debug("internal error", exc_info=True)
        print(
            f"pdu: internal error ({type(exc).__name__}); run again with --debug for details",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
