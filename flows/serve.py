"""`pdu serve`: every deployment of prefect.yaml, served by one process (Prefect's `serve`),
against a local Prefect server started here when `PREFECT_API_URL` names none.

prefect.yaml stays the one place deployments are declared: this module reads it for one
machine (`pdu serve`) and for a server with workers (`pdu deploy`).
Nothing here imports Prefect at import time (the `pdu` command imports this lazily).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

import flows  # noqa: F401  (the project root first: our `mailbox`)
from devmail import free_port
from devmail.child_process import ChildProcess
from models.project_root import ROOT

PREFECT_YAML = ROOT / "prefect.yaml"
HOST = "127.0.0.1"
PREFERRED_PORT = 4200
# Prefect's defaults would phone home; these are the documented off switches.
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


class PrefectServerError(RuntimeError):
    """The local Prefect server did not come up; the message carries its log."""


def quiet_prefect(env: dict[str, str] | None = None) -> dict[str, str]:
    """Telemetry off in `env` (default: this process, before anything imports Prefect)."""
    target = os.environ if env is None else env
    target.update(QUIET)
    return dict(target)


def app_logs_to_prefect() -> None:
    """The application's warnings and errors (addresses already redacted) go to the flow
    run's log in the UI too: an internal error with a message shows its traceback there.
    Set before Prefect configures logging (at import), here and in the flow-run processes."""
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "models,mailbox")


def prefect_logs_as_json() -> None:
    """Prefect's own console lines as JSON objects too (`pdu serve --json`); set before
    Prefect configures logging (at import), here and in the flow-run processes."""
    os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER"] = "json"
    os.environ["PREFECT_LOGGING_COLORS"] = "false"


# --- prefect.yaml -----------------------------------------------------------------------


def load_definitions(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The `deployments:` of prefect.yaml, anchors and merge keys resolved."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(document.get("deployments") or [])


def load_flow(entrypoint: str) -> Any:
    """`flows/poll.py:poll_mailbox` → the flow object, imported as `flows.poll` (the same
    module object the rest of the process uses, not a second copy run as a script)."""
    path, _, name = entrypoint.partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def schedule_of(config: dict[str, Any]) -> Any:
    """One `schedules:` entry of prefect.yaml as a Prefect schedule (cron or interval)."""
    from prefect.schedules import Cron, Interval, RRule

    common = {
        "timezone": config.get("timezone"),
        "active": config.get("active", True),
        "parameters": config.get("parameters") or {},
        "slug": config.get("slug"),
    }
    if "cron" in config:
        return Cron(config["cron"], day_or=config.get("day_or", True), **common)
    if "interval" in config:
        return Interval(config["interval"], anchor_date=config.get("anchor_date"), **common)
    if "rrule" in config:
        return RRule(config["rrule"], **common)
    raise ValueError(f"a schedule needs cron, interval or rrule: {config}")


def concurrency_of(value: Any) -> Any:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig

    if value is None or isinstance(value, int):
        return value
    return ConcurrencyLimitConfig(**value)


def build_deployments(definitions: list[dict[str, Any]] | None = None) -> list[Any]:
    """A runner deployment per definition: name, flow, schedules, limit, tags, parameters.

    Work pools are left out: a served deployment runs in this process's runner.
    """
    deployments = []
    for d in load_definitions() if definitions is None else definitions:
        flow = load_flow(d["entrypoint"])
        deployment = flow.to_deployment(
            name=d["name"],
            description=d.get("description"),
            tags=list(d.get("tags") or []),
            schedules=[schedule_of(s) for s in d.get("schedules") or []],
            concurrency_limit=concurrency_of(d.get("concurrency_limit")),
            parameters=d.get("parameters") or {},
            version=d.get("version"),
        )
        # Absolute, so flow runs load the same file whatever directory `pdu serve` ran in.
        deployment.entrypoint = f"{ROOT / d['entrypoint'].partition(':')[0]}:{flow.fn.__name__}"
        deployments.append(deployment)
    return deployments


def serve_deployments(deployments: list[Any]) -> None:
    """Serve until interrupted; schedules stay active after shutdown (no pause)."""
    from prefect import serve

    serve(*deployments, pause_on_shutdown=False, print_starting_message=False)


# --- a Prefect server with workers (docs/scale-out.md) ----------------------------------


def deploy_to_work_pools(home: Path, definitions: list[dict[str, Any]] | None = None) -> list[Any]:
    """Register prefect.yaml's deployments with their work pools on the configured server.

    What `prefect deploy --all` does, which Prefect 3.8.8's CLI cannot finish against its
    server with the pinned FastAPI (its worker check sends `"limit": null`: HTTP 422).
    Entrypoints stay relative; each run's first step moves to `home`, where the workers
    have this code (prefect.yaml's `pull:` step, with `PDU_HOME` = `home`).
    """
    from prefect.runner.storage import LocalStorage

    definitions = load_definitions() if definitions is None else definitions
    registered = []
    for d, deployment in zip(definitions, build_deployments(definitions), strict=True):
        pool = d.get("work_pool") or {}
        if not pool.get("name"):
            raise ValueError(f"deployment {d['name']} names no work pool in prefect.yaml")
        deployment.entrypoint = d["entrypoint"]
        deployment.storage = LocalStorage(str(home))
        deployment.work_pool_name = pool["name"]
        deployment.work_queue_name = pool.get("work_queue_name")
        deployment.apply()
        registered.append(deployment)
    return registered


# --- the local Prefect server -----------------------------------------------------------


def ui_url(api_url: str) -> str:
    """Where the UI is: PREFECT_UI_URL when set, else the API URL without `/api`."""
    return os.environ.get("PREFECT_UI_URL") or api_url.rstrip("/").removesuffix("/api")


class LocalPrefectServer(ChildProcess):
    """`prefect server start` on loopback as a child process; a context manager.

    `home` is its PREFECT_HOME (its SQLite database); None keeps the user's (~/.prefect).
    `start_async()` returns at once so the caller can work while the server boots (10-30 s
    the first time: it migrates a new database); `wait()` blocks until it answers.
    """

    LABEL = "the Prefect server"
    STOP_TIMEOUT = 15.0
    TAIL_LINES = 25

    def __init__(
        self, home: Path | None = None, port: int = PREFERRED_PORT, log: Path | None = None
    ) -> None:
        self.home = home
        self.port = free_port(port)
        self.api_url = f"http://{HOST}:{self.port}/api"
        self.ui_url = f"http://{HOST}:{self.port}"
        self.log = log or (home or Path.home() / ".prefect") / "pdu-prefect-server.log"
        self.process = None
        self.started_at = 0.0

    def start_async(self) -> None:
        if self.process is not None:
            return
        env = quiet_prefect(dict(os.environ))
        env.pop("PREFECT_API_URL", None)
        # The UI calls the API at PREFECT_UI_API_URL, by default port 4200 whatever --port
        # says: on another port it would show another server's runs, or none.
        env["PREFECT_UI_API_URL"] = self.api_url
        if self.home is not None:
            self.home.mkdir(parents=True, exist_ok=True)
            env["PREFECT_HOME"] = str(self.home)
        argv = [sys.executable, "-m", "prefect", "server", "start"]
        argv += ["--host", HOST, "--port", str(self.port)]
        self.spawn(argv, env=env)
        self.started_at = time.monotonic()

    def wait(self, timeout: float = 120.0) -> str:
        """Block until /api/health answers; returns the API URL."""
        assert self.process is not None, "start_async() first"
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PrefectServerError(
                    f"the local Prefect server exited with code {self.process.returncode}; "
                    f"its log ({self.log}) ends:\n{self.log_tail()}"
                )
            if self.healthy():
                return self.api_url
            time.sleep(0.25)
        self.stop()
        raise PrefectServerError(
            f"the local Prefect server did not answer within {timeout:.0f} s; its log "
            f"({self.log}) ends:\n{self.log_tail()}"
        )

    def start(self, timeout: float = 120.0) -> str:
        self.start_async()
        return self.wait(timeout)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as answer:
                return answer.status == 200 and json.loads(answer.read() or b"false") is True
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def __enter__(self) -> LocalPrefectServer:
        self.start()
        return self
