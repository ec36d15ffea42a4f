"""PostgreSQL 15 for tests: a throwaway cluster in a temp dir, on loopback, trust auth.

We run as root in CI and PostgreSQL refuses to, so its commands run as the `postgres`
OS user (`runuser`); a non-root developer runs them as themselves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

from devmail import free_port

BIN = Path("/usr/lib/postgresql/15/bin")

HOST = "127.0.0.1"
USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL 15's binaries are missing: the message names the Debian package."""


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", USER, "--", *argv] if os.geteuid() == 0 else argv


# Durability is worthless for a throwaway cluster and costs seconds per test session.
_SETTINGS = """
listen_addresses = '{host}'
port = {port}
unix_socket_directories = '{sockets}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
"""


class Postgres:
    def __init__(self, bin_dir: Path = BIN) -> None:
        for name in ("initdb", "pg_ctl"):
            if not (bin_dir / name).exists():
                raise PostgresUnavailable(
                    f"{bin_dir / name} not found: apt-get install postgresql-15"
                )
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pdu-postgres-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "postgres.log"
        self.sockets.mkdir()
        if os.geteuid() == 0:
            self.root.chmod(0o755)
            for path in (self.root, self.sockets):
                shutil.chown(path, USER, USER)
        self.start_seconds = 0.0
        self._initialised = False

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            _as_postgres(list(argv)),
            cwd=self.root,  # the postgres user cannot read root's working directory
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{argv[0]} failed: {done.stderr or done.stdout}\n{log}")

    def _initdb(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            f"--pgdata={self.data}",
            f"--username={USER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",  # same collation everywhere, whatever the machine's locale
            "--no-sync",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(_SETTINGS.format(host=HOST, port=self.port, sockets=self.sockets))
        self._initialised = True

    def start(self) -> float:
        """initdb on first use, then start; returns the seconds taken."""
        began = time.monotonic()
        if not self._initialised:
            self._initdb()
        self._run(
            str(self.bin / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log), "-w"
        )
        self.start_seconds = time.monotonic() - began
        return self.start_seconds

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@{HOST}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=HOST, port=self.port, user=USER, dbname=dbname, autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.connect() as connection:
            connection.execute(statement)

    def drop_database(self, name: str) -> None:
        # FORCE: a test that leaked a connection must not block the cleanup.
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with self.connect() as connection:
            connection.execute(statement)

    def __enter__(self) -> Postgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
