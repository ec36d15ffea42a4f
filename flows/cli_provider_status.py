"""`pdu directory set-status|edit`: a provider's standing and its directory details."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli_support import parse_day, print_result, uow
from models import clock
from models.enums import ProviderKind


def register(sub: Any) -> None:
    """Adds to `pdu directory` (its parser is made in cli_admin)."""
    status = sub.add_parser("set-status", help="approved, suspended, withdrawn or must_reapply")
    status.add_argument("provider", help="provider number or name")
    status.add_argument("status", help="approved, suspended, withdrawn or must_reapply")
    status.add_argument("--until", help="must_reapply: the last day it may work (YYYY-MM-DD)")
    status.add_argument("--reason", required=True, help="the provider is told it")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=directory_set_status)
    edit = sub.add_parser("edit", help="change a provider's directory details")
    edit.add_argument("provider", help="provider number or name")
    edit.add_argument("--name")
    edit.add_argument("--email", help="the contact address")
    edit.add_argument("--contact", dest="contact_name", help="the contact's name")
    edit.add_argument("--kind", choices=[k.value for k in ProviderKind])
    edit.add_argument("--phone")
    edit.add_argument("--address")
    edit.add_argument("--website")
    edit.add_argument("--json", action="store_true")
    edit.set_defaults(handler=directory_edit)


def directory_set_status(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from models.services.context import ServiceContext
    from models.services.provider_status import set_provider_status

    until = parse_day(args.until, "--until") if args.until else None
    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        change = set_provider_status(ctx, args.provider, args.status, until, args.reason)
        work.commit()
    by = f" until {change.until}" if change.until else ""
    line = f"{change.number} {change.name}: {change.status}{by}; told {change.told}"
    return print_result(args.json, asdict(change), line)


def directory_edit(args: argparse.Namespace) -> int:
    from models.services.directory import EDITABLE, edit_provider, get_provider
    from models.services.errors import UserError

    changes = {name: getattr(args, name) for name in EDITABLE}
    if all(value is None for value in changes.values()):
        raise UserError("nothing to change: give --name, --email, --contact, --kind, ...")
    with uow() as work:
        provider = get_provider(work.session, args.provider)
        changed = edit_provider(work.session, provider, **changes)
        work.commit()
        value = {"number": provider.number, "name": provider.name, "changed": changed}
    line = f"{value['number']}: changed {', '.join(changed) or 'nothing'}"
    return print_result(args.json, value, line)
