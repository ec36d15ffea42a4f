"""`pdu web`: the public web front (application forms, certificate verification, the
provider directory), served by uvicorn until Ctrl-C. No Prefect: a form runs the same
intake as `pdu submit`."""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli_support import LONG_RUNNING_JSON, print_json_line


def register(commands: Any) -> None:
    web = commands.add_parser(
        "web",
        help="serve the web forms, certificate verification and the provider directory",
        description="Serves the public pages until Ctrl-C. Certificates' QR codes open "
        "PDU_PUBLIC_URL/verify/CODE: point PDU_PUBLIC_URL at this server's public address.",
    )
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    web.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    web.add_argument("--json", action="store_true", help=LONG_RUNNING_JSON)
    web.set_defaults(handler=run_web)


def run_web(args: argparse.Namespace) -> int:
    from models.settings import get_settings
    from web.server import serve_forever

    settings = get_settings()  # a bad setting stops us before anything listens
    url = f"http://{args.host}:{args.port}"

    def started() -> None:
        if args.json:
            print_json_line({"event": "started", "web": url, "public_url": settings.public_url})
        else:
            print(f"PDU web: {url}  (QR codes open {settings.public_url})")
            print("Ctrl-C stops.", flush=True)

    serve_forever(args.host, args.port, started)
    return 0
