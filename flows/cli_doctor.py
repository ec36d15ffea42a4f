"""`pdu doctor`: check a deployment as configured, before the first real email arrives."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli_support import print_result


def register(commands: Any) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check the configuration: secret, URL, database, data directory, mail, Prefect, "
        "certificates",
        description="One line per check, with what to do when it fails; exit 1 when any "
        "fails. Changes nothing unless asked.",
    )
    doctor.add_argument("--json", action="store_true", help="the checks as a JSON list")
    doctor.add_argument(
        "--fix", action="store_true", help="create the IMAP Processed and Quarantine folders"
    )
    doctor.add_argument(
        "--send-test", metavar="ADDRESS", help="also send one test message to ADDRESS by SMTP"
    )
    doctor.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    from flows.doctor import Options, run_checks
    from models.settings import get_settings

    checks = run_checks(get_settings(), Options(fix=args.fix, send_test=args.send_test))
    code = 0 if all(c.ok for c in checks) else 1
    lines = "\n".join(check.line() for check in checks)
    return print_result(args.json, [c.as_dict() for c in checks], lines, code)
