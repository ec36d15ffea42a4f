"""Engines: SQLite tuned for a poller, a sweep and a web app at once; PostgreSQL as is."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes writers queue
    # instead of failing with "database is locked"; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN, so a transaction never upgrades a read lock midway
    # (the upgrade is what fails with SQLITE_BUSY despite the busy timeout).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    # SQL errors leave out the statement's values (addresses, names): their text reaches
    # logs, and from there Prefect's database (issue 7).
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "isolation_level": None},
        **kwargs,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


_cached_urls: set[str] = set()


@cache
def engine_for(url: str) -> Engine:
    """One engine (and pool) per URL per process."""
    _cached_urls.add(url)
    return make_engine(url)


def dispose_engines() -> None:
    """Close every pooled connection (tests switch databases; the demo shuts down)."""
    for url in list(_cached_urls):
        engine_for(url).dispose()
    _cached_urls.clear()
    engine_for.cache_clear()


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and count the rows it matched (1: a compare-and-set claim
    won). `Session.execute` is typed as returning a Result; for these it is a CursorResult."""
    result = session.execute(statement)
    assert isinstance(result, CursorResult), "rows_changed is for UPDATE and DELETE"
    return result.rowcount
