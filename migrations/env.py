"""Alembic environment: the URL comes from the caller (models/migrate.py) or PDU settings."""

from __future__ import annotations

from alembic import context

import models.schema
from models.db import make_engine
from models.settings import get_settings

config = context.config
target_metadata = models.schema.Base.metadata
url = config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite can only ALTER by copying tables; batch mode does that.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
