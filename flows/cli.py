"""The `pdu` command: parses arguments, calls one service, prints the answer.

Read-only commands stay fast: nothing here imports Prefect (about 2 s); the commands that
run flows import it when they run.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

import flows  # noqa: F401  (puts the project root first: our `mailbox`, not the stdlib's)
from flows import (
    cli_accounts,
    cli_admin,
    cli_cases,
    cli_certificates,
    cli_closures,
    cli_completion,
    cli_doctor,
    cli_import,
    cli_ops,
    cli_providers,
    cli_retention,
    cli_secret,
    cli_staff,
    cli_status,
    cli_web,
    cli_work,
)
from flows.cli_support import (
    EXIT_CODES_HELP,
    EXIT_USAGE,
    CommandFailed,
    Failure,
    failure_of,
    report_failure,
)
from flows.logs import LEVELS, configure_logging

log = logging.getLogger("pdu")

GROUPS = (
    cli_admin, cli_staff, cli_closures, cli_cases, cli_work, cli_retention, cli_certificates,
    cli_ops, cli_status, cli_providers, cli_web, cli_accounts, cli_import, cli_secret,
    cli_doctor, cli_completion,
)  # fmt: skip

# The commands that send, receive, sign or serve: they refuse to start without a real
# secret (read-only commands run without one; `pdu demo` sets its own).
NEEDS_SECRET = {
    cli_web.run_web, cli_ops.run_serve, cli_ops.run_deploy, cli_work.submit_form,
    cli_work.run_sweep, cli_work.mail_poll, cli_work.mail_ingest, cli_work.mail_send,
    cli_work.mail_watch, cli_certificates.provider_issue, cli_certificates.certificate_reissue,
}  # fmt: skip
# The long-running ones also refuse a database that is not at the code's migrations: better
# one line at start than an error at the first request or message.
NEEDS_SCHEMA = {cli_web.run_web, cli_ops.run_serve, cli_work.mail_watch}


def preflight(args: argparse.Namespace) -> None:
    """The checks a command gets by what it does, not by code of its own."""
    if args.handler in NEEDS_SECRET:
        cli_secret.require_secret()
    if args.handler in NEEDS_SCHEMA:
        from models.migrate import schema_problem
        from models.settings import get_settings

        if (problem := schema_problem(get_settings().sqlalchemy_url)) is not None:
            raise problem


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("pdu-workflows")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


class UsageError(Exception):
    """A command line argparse could not read (raised instead of printing and exiting, so
    that `--json` gets it as JSON)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class PduParser(argparse.ArgumentParser):
    # Subparsers are made of the parent's class, so every command raises the same way.
    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


def build_parser() -> argparse.ArgumentParser:
    parser = PduParser(
        prog="pdu",
        description="PDU workflows: the OPI Professional Development Unit back office.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"pdu {version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LEVELS,
        help="the least severe log lines written to stderr (default: PDU_LOG_LEVEL, else "
        "WARNING); PDU_LOG_FORMAT=json writes one JSON object a line",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def leaf_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every command that runs something (`pdu mail poll`, not `pdu mail`). Each declares
    its own --json, printing its result as JSON (tests/integration/test_cli_json.py walks them)."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield parser
    for group in groups:
        for sub in dict.fromkeys(group.choices.values()):  # aliases repeat a parser
            yield from leaf_parsers(sub)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    cli_completion.complete_if_asked(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or --version
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    except UsageError as exc:
        if "--json" in argv:
            return report_failure(CommandFailed(Failure(EXIT_USAGE, "usage", str(exc))), True)
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    as_json = bool(getattr(args, "json", False))
    try:
        # With --json, stderr carries JSON only: log lines too, not just the error.
        configure_logging(args.log_level, "json" if as_json else None)
        preflight(args)
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return report_failure(CommandFailed(Failure(130, "interrupted", "interrupted")), as_json)
    except Exception as exc:
        if args.debug and failure_of(exc) is None:
            raise
        log.debug("failed", exc_info=True)
        return report_failure(exc, as_json)


if __name__ == "__main__":
    sys.exit(main())
