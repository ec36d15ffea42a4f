"""`pdu db`, `pdu directory`: setting the office up (`pdu staff` is in cli_staff)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flows import cli_provider_status
from flows.cli_support import print_result, print_table, progress, uow
from models import clock
from models.enums import ProviderKind
from models.settings import get_settings


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    up = db.add_parser("upgrade", help="create or migrate the schema to the latest version")
    up.add_argument("--json", action="store_true", help="the database and its revision")
    up.set_defaults(handler=db_upgrade)

    directory = commands.add_parser("directory", help="approved provider directory")
    sub = directory.add_subparsers(dest="directory_command", required=True)
    dadd = sub.add_parser("add", help="add an approved provider")
    dadd.add_argument("name")
    dadd.add_argument("--email", required=True, help="the provider's contact address")
    dadd.add_argument("--kind", choices=[k.value for k in ProviderKind], default="other")
    dadd.add_argument("--contact-name")
    dadd.add_argument("--phone")
    dadd.add_argument("--json", action="store_true")
    dadd.set_defaults(handler=directory_add)
    imp = sub.add_parser("import", help="import providers from CSV (idempotent)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--json", action="store_true", help="counts and the skipped lines")
    imp.set_defaults(handler=directory_import)
    dlist = sub.add_parser("list", help="list approved providers")
    dlist.add_argument("--search")
    dlist.add_argument("--all", action="store_true", help="suspended and withdrawn ones too")
    dlist.add_argument("--json", action="store_true")
    dlist.set_defaults(handler=directory_list)
    cli_provider_status.register(sub)


def db_upgrade(args: argparse.Namespace) -> int:
    from models.migrate import code_heads, describe_database, upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    value = {
        "database": describe_database(settings.sqlalchemy_url),
        "revision": ", ".join(sorted(code_heads())),
    }
    return print_result(args.json, value, "database is at the latest schema")


def directory_add(args: argparse.Namespace) -> int:
    from models.services.directory import add_provider

    with uow() as work:
        provider = add_provider(
            work.session,
            args.name,
            args.email,
            clock.now(),
            args.kind,
            args.contact_name,
            args.phone,
        )
        work.commit()
        value = {"number": provider.number, "name": provider.name, "kind": str(provider.kind)}
    return print_result(args.json, value, f"added {value['number']} {value['name']}")


def directory_import(args: argparse.Namespace) -> int:
    from models.services.directory import import_csv

    with uow() as work, progress("importing providers") as on_progress:
        report = import_csv(work.session, args.file, clock.now(), on_progress)
        work.commit()
    lines = [
        f"added {len(report.added)}, updated {len(report.updated)}, skipped {len(report.skipped)}",
        *(f"  line {line}: skipped ({reason})" for line, reason in report.skipped),
    ]
    value = {
        "added": report.added,
        "updated": report.updated,
        "skipped": [{"line": line, "reason": reason} for line, reason in report.skipped],
    }
    return print_result(args.json, value, "\n".join(lines))


def directory_list(args: argparse.Namespace) -> int:
    from models.services.context import ServiceContext
    from models.services.directory import list_providers

    with uow() as work:
        today = ServiceContext.of(work, clock.now()).today
        rows = [
            {
                "number": p.number,
                "name": p.name,
                "kind": str(p.kind),
                "contact": p.contact_email,
                "approved": p.approved_at.date().isoformat(),
                "status": str(p.status),
                "until": p.status_until.isoformat() if p.status_until else None,
            }
            for p in list_providers(work.session, args.search, today=today, everyone=args.all)
        ]
    headers = ["NUMBER", "NAME", "KIND", "CONTACT", "APPROVED", "STATUS", "UNTIL"]
    return print_result(
        args.json, rows, lambda: print_table(headers, [list(r.values()) for r in rows])
    )
