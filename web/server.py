"""Serving the web app with uvicorn: in the foreground (`pdu web`) or on a thread beside
other work (`pdu serve`, `pdu demo`, the tests), always on the address asked for.

Access logs stay off: their lines would carry client addresses and verification codes.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from devmail import port_is_free
from models.services.errors import UserError
from web.app import create_app

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def config(host: str, port: int, app: Any = None) -> uvicorn.Config:
    if not port_is_free(port, host):
        raise UserError(f"{host}:{port} is in use: choose another port (--port)")
    return uvicorn.Config(
        app or create_app(), host=host, port=port, access_log=False, log_level="warning",
        log_config=None, lifespan="off", server_header=False,  # our handler (flows/logs.py)
    )  # fmt: skip


class _Announcing(uvicorn.Server):
    """Says it is up once it listens: a script that waits for the line may connect."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.on_started()


def serve_forever(host: str, port: int, on_started: Callable[[], None] = lambda: None) -> None:
    _Announcing(config(host, port), on_started).run()


class WebServer:
    """uvicorn on a thread; `url` once started. A context manager."""

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, app: Any = None):
        self.host, self.port = host, port
        self._server = uvicorn.Server(config(host, port, app))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> str:
        # uvicorn installs no signal handlers off the main thread: the owner stops it.
        self._thread = threading.Thread(target=self._server.run, name="pdu-web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the web server did not start on {self.url}")
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> WebServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
