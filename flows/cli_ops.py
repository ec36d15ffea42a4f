"""`pdu serve`, `pdu deploy`, `pdu demo`: running the office.

Prefect is imported only by the commands that run flows.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from contextlib import ExitStack
from typing import Any

from flows.cli_support import (
    EXIT_INTERNAL,
    LONG_RUNNING_JSON,
    CommandFailed,
    Failure,
    print_json_line,
    print_result,
    uow,
)
from models.data_dir import devmail_dir, prefect_server_log
from models.settings import get_settings, reset_settings


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run every deployment of prefect.yaml on its schedule, in this process",
        description="Serves the deployments of prefect.yaml (Prefect's `serve`) until Ctrl-C. "
        "Without PREFECT_API_URL it starts a local Prefect server and shows the UI address.",
    )
    serve.add_argument(
        "--dev-mail",
        action="store_true",
        help="also run the embedded development mail server and use it (IMAP and SMTP on "
        "127.0.0.1, every address a mailbox)",
    )
    serve.add_argument("--json", action="store_true", help=LONG_RUNNING_JSON)
    serve.set_defaults(handler=run_serve)

    deploy = commands.add_parser(
        "deploy",
        help="register every deployment of prefect.yaml with its work pool on a Prefect server",
        description="For a Prefect server with workers (docs/scale-out.md): registers the "
        "deployments of prefect.yaml on the server named by PREFECT_API_URL, for the work "
        "pool each names (create it first: prefect work-pool create pdu-process --type "
        "process). Workers run the flows from --home.",
    )
    deploy.add_argument(
        "--home",
        help="where the workers have this code (default: PDU_HOME, else this checkout)",
    )
    deploy.add_argument("--json", action="store_true", help="the deployments registered")
    deploy.set_defaults(handler=run_deploy)

    demo = commands.add_parser(
        "demo",
        help="the whole system on embedded defaults: a request's life by email, in a minute",
        description="Starts a fresh SQLite database, the embedded mail server and a local "
        "Prefect server, then plays staff and applicants by real email while moving the "
        "simulated clock. Nothing to configure; it ignores PDU_* settings.",
    )
    demo.add_argument("--dir", help="the demo's directory (default: var/demo; wiped first)")
    demo.add_argument(
        "--without-prefect",
        action="store_true",
        help="run the flows' bodies directly instead of as Prefect flow runs (faster)",
    )
    demo.add_argument(
        "--keep-running",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="afterwards keep mail and the schedules running for a mail client "
        "(default: when run in a terminal)",
    )
    demo.add_argument(
        "--json",
        action="store_true",
        help="the story on stderr; one JSON object on stdout when done (references, the "
        "certificate, the addresses)",
    )
    demo.set_defaults(handler=run_demo)


def _stop_on_sigterm() -> None:
    # Python's default SIGTERM ends the process without unwinding, which would orphan the
    # mail and Prefect servers this command started; SystemExit runs the clean-up.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def run_demo(args: argparse.Namespace) -> int:
    from devmail import DevMailError
    from flows.demo_script import DemoFailed, run_demo
    from flows.serve import PrefectServerError

    _stop_on_sigterm()
    try:
        return run_demo(args)
    except (DemoFailed, DevMailError, PrefectServerError) as exc:
        raise CommandFailed(Failure(EXIT_INTERNAL, "service", f"the demo failed: {exc}")) from exc


def run_serve(args: argparse.Namespace) -> int:
    from devmail import DevMailError
    from flows.serve import PrefectServerError

    _stop_on_sigterm()
    try:
        return _serve(args)
    except (DevMailError, PrefectServerError) as exc:
        raise CommandFailed(Failure(EXIT_INTERNAL, "service", f"cannot serve: {exc}")) from exc


def run_deploy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from flows.serve import app_logs_to_prefect, quiet_prefect
    from models.project_root import ROOT
    from models.services.errors import UserError

    if not os.environ.get("PREFECT_API_URL"):
        raise UserError("set PREFECT_API_URL to the Prefect server's API (…/api) first")
    home = Path(args.home or os.environ.get("PDU_HOME") or ROOT).resolve()
    quiet_prefect()
    app_logs_to_prefect()
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    from flows.serve import deploy_to_work_pools

    try:
        deployments = deploy_to_work_pools(home)
    except (ObjectNotFound, PrefectHTTPStatusError) as exc:
        raise UserError(f"the Prefect server refused a deployment: {exc}") from None
    lines = [
        *(f"  {d.name}: work pool {d.work_pool_name}, code in {home}" for d in deployments),
        f"{len(deployments)} deployment(s) registered; start workers with:",
        f"  prefect worker start --pool {deployments[0].work_pool_name}",
    ]
    value = {
        "home": str(home),
        "deployments": [{"name": d.name, "work_pool": d.work_pool_name} for d in deployments],
    }
    return print_result(args.json, value, "\n".join(lines))


def _serve(args: argparse.Namespace) -> int:
    from flows.serve import (
        LocalPrefectServer,
        app_logs_to_prefect,
        prefect_logs_as_json,
        quiet_prefect,
        ui_url,
    )

    quiet_prefect()
    app_logs_to_prefect()
    if args.json:
        prefect_logs_as_json()
    settings = get_settings()  # a bad setting stops us before anything starts
    started: dict[str, Any] = {"event": "started", "dev_mail": None}

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    with ExitStack() as stack:
        if args.dev_mail:
            from devmail import DevMail

            mail = DevMail(devmail_dir(settings.data_dir), accounts=_mail_accounts())
            endpoints = mail.start()
            stack.callback(mail.stop)
            os.environ.update(endpoints.settings_env(settings.mail_address))
            reset_settings()
            started["dev_mail"] = endpoints.as_dict()
            say(f"development mail for {settings.mail_address} (every address a mailbox):")
            for line in endpoints.describe():
                say(f"  {line}")
        api_url = os.environ.get("PREFECT_API_URL")
        if not api_url:
            server = LocalPrefectServer(log=prefect_server_log(settings.data_dir))
            say(f"starting a local Prefect server (log: {server.log}) …")
            api_url = server.start()
            stack.callback(server.stop)
            os.environ["PREFECT_API_URL"] = api_url
        started["prefect_ui"] = ui_url(api_url)
        say(f"Prefect UI: {started['prefect_ui']}")
        from devmail import free_port
        from web.server import WebServer

        web = WebServer(port=free_port(8000))
        started["web"] = web.start()
        say(f"Web (forms, certificate verification, directory): {started['web']}")
        stack.callback(web.stop)

        from flows.serve import build_deployments, serve_deployments

        deployments = build_deployments()
        started["deployments"] = [d.name for d in deployments]
        for d in deployments:
            say(f"  serving {d.name}")
        say("Ctrl-C stops.")
        if args.json:
            print_json_line(started)
        serve_deployments(deployments)
    return 0


def _mail_accounts() -> list[str]:
    """The system's mailbox and every active staff member's, ready to log in to."""
    accounts = [get_settings().mail_address]
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from models.people import Staff

    try:
        with uow() as work:
            accounts += work.session.scalars(select(Staff.email).where(Staff.active.is_(True)))
    except SQLAlchemyError:  # no schema yet: a mailbox appears with its first message anyway
        pass
    return accounts
