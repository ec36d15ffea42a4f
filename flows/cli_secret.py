"""`pdu secret new`: a fresh PDU_SECRET_KEY, and the rule that services need a real one."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli_support import print_result
from models.settings import get_settings, new_secret


def register(commands: Any) -> None:
    secret = commands.add_parser("secret", help="the secret that keys tokens and credentials")
    sub = secret.add_subparsers(dest="secret_command", required=True)
    new = sub.add_parser(
        "new",
        help="print a fresh random secret for PDU_SECRET_KEY",
        description="Prints 256 random bits, URL-safe. To rotate: set PDU_SECRET_KEYS to the "
        "new secret, a comma, then the old one(s); tokens and credentials made under the old "
        "ones keep working.",
    )
    new.add_argument("--json", action="store_true", help='{"secret": ...}')
    new.set_defaults(handler=print_new_secret)


def print_new_secret(args: argparse.Namespace) -> int:
    secret = new_secret()
    return print_result(args.json, {"secret": secret}, secret)


def require_secret() -> None:
    """Stop a command that sends, receives, signs or serves before it starts, when the
    secret is missing, the built-in one or too short (raises SettingsError: one line)."""
    get_settings().keys  # noqa: B018  (the property validates)
