"""Database migrations (Alembic), run by `pdu db upgrade` and by the setup commands."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def current_heads(url: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    from models.db import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        heads = set(MigrationContext.configure(connection).get_current_heads())
    engine.dispose()
    return heads
