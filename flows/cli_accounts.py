"""`pdu provider account ...` (staff's side of provider portal accounts) and
`pdu provider history`: each change is recorded on the provider's history."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from flows.cli_support import print_result, print_table, uow
from models import clock
from models.services.context import ServiceContext
from models.services.provider_history import STAFF_CLI


def register(commands: Any) -> None:
    # Subcommands of `pdu provider` (flows.cli_certificates), which must be registered first.
    provider = commands.choices["provider"]
    sub = next(a for a in provider._actions if isinstance(a, argparse._SubParsersAction))
    account = sub.add_parser("account", help="provider portal accounts: list, disable, reset")
    accounts = account.add_subparsers(dest="account_command", required=True)
    lst = accounts.add_parser("list", help="accounts, their status and second factor")
    lst.add_argument("--provider", metavar="NAME_OR_NUMBER")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=account_list)
    for name, text in (
        ("disable", "no more sign-in; every session of the account ends now"),
        ("enable", "allow sign-in again"),
        ("reset", "email the account's person a new set-password link (14 days)"),
        ("two-factor-off", "turn off the second factor (a lost phone); they may enrol again"),
    ):
        command = accounts.add_parser(name, help=text)
        command.add_argument("username", metavar="USERNAME")
        command.add_argument("--json", action="store_true")
        command.set_defaults(handler=account_change, change=name)

    history = sub.add_parser("history", help="what happened to a provider's accounts, by whom")
    history.add_argument("provider", metavar="NAME_OR_NUMBER")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=provider_history_command)


def account_list(args: argparse.Namespace) -> int:
    from models.services.account_admin import list_accounts

    with uow() as work:
        rows = list_accounts(ServiceContext.of(work, clock.now()), args.provider)
    table = [
        [r.username, r.provider_number, r.name, r.email,
         "manager" if r.is_manager else "user", r.status, "on" if r.second_factor else ""]
        for r in rows
    ]  # fmt: skip
    headers = ["USERNAME", "PROVIDER", "NAME", "EMAIL", "ROLE", "STATUS", "2FA"]
    return print_result(args.json, [asdict(r) for r in rows], lambda: print_table(headers, table))


def account_change(args: argparse.Namespace) -> int:
    from models.services import account_admin, two_factor

    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        if args.change == "disable":
            account = account_admin.disable_account(ctx, args.username, STAFF_CLI)
            done = "disabled; every session ended"
        elif args.change == "enable":
            account = account_admin.enable_account(ctx, args.username, STAFF_CLI)
            done = "enabled"
        elif args.change == "reset":
            account = account_admin.send_setup_link(ctx, args.username, STAFF_CLI)
            done = "sent a new set-password link (queued in the outbox)"
        else:
            account = account_admin.account_named(ctx, args.username)
            two_factor.turn_off(ctx, account.id, STAFF_CLI)
            done = "second factor turned off"
        work.commit()
    value = {"username": account.username, "change": args.change, "done": done}
    return print_result(args.json, value, f"{account.username}: {done}")


def provider_history_command(args: argparse.Namespace) -> int:
    from models.services.directory import find_provider
    from models.services.errors import NotFound
    from models.services.provider_history import provider_history

    with uow() as work:
        provider = find_provider(work.session, args.provider)
        if provider is None:
            raise NotFound(f"no approved provider {args.provider!r} (give its number or name)")
        rows = [
            {"at": e.at.isoformat(), "action": e.action, "actor": e.actor, "detail": e.detail}
            for e in provider_history(ServiceContext.of(work, clock.now()), provider.id)
        ]
    return print_result(
        args.json,
        rows,
        lambda: print_table(["AT", "ACTION", "BY", "DETAIL"], [list(r.values()) for r in rows]),
    )
