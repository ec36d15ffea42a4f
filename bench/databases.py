"""The databases a benchmark runs on (`--databases sqlite,postgresql`), and the clean-up
every benchmark's main needs: a scratch directory, and a PostgreSQL server started only when
asked for, both gone at the end whatever happened."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KNOWN = ("sqlite", "postgresql")


class Databases:
    """`url(kind, name)`: a new database `name` of that kind (a file under `work`, or one
    on a PostgreSQL server started at the first call, or `postgres_url` as given)."""

    def __init__(self, work: Path, postgres_url: str | None = None) -> None:
        self.work = work
        self.postgres_url = postgres_url
        self.server: Any = None

    def url(self, kind: str, name: str = "bench") -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.work / name}.sqlite3"
        if self.postgres_url is not None:
            return self.postgres_url
        if self.server is None:
            from tests.services.postgres import Postgres

            self.server = Postgres()
            self.server.start()
        self.server.create_database(name)
        return str(self.server.url(name))


def kinds(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """`--databases`' value, each checked (a usage error names an unknown one)."""
    names = text.split(",")
    for name in names:
        if name not in KNOWN:
            parser.error(f"unknown database {name!r}: sqlite or postgresql")
    return names


@contextmanager
def bench_databases(prefix: str, postgres_url: str | None = None) -> Iterator[Databases]:
    databases = Databases(Path(tempfile.mkdtemp(prefix=prefix)), postgres_url)
    try:
        yield databases
    finally:
        if databases.server is not None:
            databases.server.close()
        shutil.rmtree(databases.work, ignore_errors=True)
