"""Bulk rows for the benchmarks: the DB-API's executemany on SQLite, COPY on PostgreSQL
(a million rows in minutes, not hours), and datetimes as UTCDateTime stores them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


def stamp(url: str, at: datetime) -> Any:
    """SQLite keeps naive UTC text; PostgreSQL takes the aware instant."""
    return at.replace(tzinfo=None).isoformat(" ") if url.startswith("sqlite") else at


def insert_rows(connection: Any, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows (tuples in `columns` order) into `table` on a SQLAlchemy connection."""
    raw = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" * len(rows[0]))
        raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        return
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
