"""Benchmark: does the provider portal's answer take longer for a name that exists?

Times, over real HTTP to `pdu web` (uvicorn on loopback, SQLite), interleaved pairs of
requests that differ only in whether the name or address matches an account:
- sign-in with a wrong password: an existing username vs an unknown one;
- "Forgot your password?": an existing username vs an unknown one (the page answers first;
  the lookup and the reset email follow in the background);
- "Forgot your username?": an existing address vs an unknown one.
Prints the median and 90th percentile of each, and the median difference. The clock
(PDU_NOW) moves 16 minutes between tries so the back-off never answers instead.

    .venv/bin/python bench/sign_in_timing.py               # 40 pairs each
    .venv/bin/python bench/sign_in_timing.py --pairs 10    # a quick run
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="pdu-bench-"))
    os.environ.update(
        {
            "PDU_DATA_DIR": str(data),
            "PDU_NOW": "2026-11-23T16:00:00Z",
            "PDU_SECRET_KEY": secrets.token_urlsafe(32),
        }
    )

    import httpx

    import flows  # noqa: F401  (the project root first)
    from devmail import free_port
    from flows.cli import main as pdu
    from models.settings import reset_settings
    from tests.portal_support import PASSWORD, add_account
    from web.app import create_app
    from web.security import Limit
    from web.server import WebServer

    reset_settings()
    assert pdu(["db", "upgrade"]) == 0
    assert pdu(["directory", "import", str(ROOT / "scripts" / "sample-directory.csv")]) == 0
    username = add_account("MTP-00001", "Jane", "Doe", "jane@billings.example")
    start = datetime(2026, 11, 23, 16, tzinfo=UTC)
    app = create_app(form_limit=Limit(100_000, 600))
    cases = {
        "sign-in, wrong password": ("/provider/sign-in", "identifier", username, "NoSuchUser"),
        "forgot password": ("/provider/forgot-password", "identifier", username, "NoSuchUser"),
        "forgot username": (
            "/provider/forgot-username", "email", "jane@billings.example", "nobody@x.example",
        ),
    }  # fmt: skip
    step = 0
    with (
        WebServer(port=free_port(), app=app) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        page = http.get("/provider/sign-in").text
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)[1]  # type: ignore[index]
        for name, (path, field, known, unknown) in cases.items():
            times: dict[str, list[float]] = {"known": [], "unknown": []}
            for i in range(args.pairs + 2):  # two pairs of warm-up, not counted
                for kind, value in (("known", known), ("unknown", unknown))[:: 1 if i % 2 else -1]:
                    step += 1
                    os.environ["PDU_NOW"] = (start + timedelta(minutes=16 * step)).isoformat()
                    data = {"csrf_token": token, field: value, "password": PASSWORD + "x"}
                    began = time.perf_counter()
                    answer = http.post(path, data=data)
                    elapsed = time.perf_counter() - began
                    assert answer.status_code in (200, 401), (path, answer.status_code)
                    if i >= 2:
                        times[kind].append(elapsed * 1000)
            k, u = times["known"], times["unknown"]
            p90 = lambda xs: statistics.quantiles(xs, n=10)[-1]  # noqa: E731
            print(
                f"{name:24} known {statistics.median(k):6.1f} ms (p90 {p90(k):6.1f})   "
                f"unknown {statistics.median(u):6.1f} ms (p90 {p90(u):6.1f})   "
                f"difference of medians {statistics.median(k) - statistics.median(u):+5.1f} ms"
            )


if __name__ == "__main__":
    main()
