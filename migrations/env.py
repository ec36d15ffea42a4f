"""Alembic environment: the URL comes from the caller (models/migrate.py) or PDU settings."""

from __future__ import annotations

from typing import Any

from alembic import context

import models.schema
from models.base import StrEnumType, UTCDateTime
from models.db import make_engine
from models.settings import get_settings

config = context.config
target_metadata = models.schema.Base.metadata
url = config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Migrations store enums as plain strings: the check constraints guard the values."""
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.impl.length})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


OPTIONS: dict[str, Any] = {"render_as_batch": True, "render_item": render_item}


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, **OPTIONS)
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


def _run(connection: Any) -> None:
    # render_as_batch: SQLite can only ALTER by copying tables; batch mode does that.
    context.configure(connection=connection, target_metadata=target_metadata, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
