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


class DatabaseProblem(Exception):
    """The configured database cannot be used as it is: the message is one plain line that
    names it and says what to do (PDU_DATABASE_URL, or `pdu db upgrade`)."""


def code_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def describe_database(url: str) -> str:
    """The database as a person recognises it: the SQLite file, or the URL without password."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparseable URL is named as typed (it carries no password then)
        return url
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database or ':memory:'}"
    return f"the database {parsed.render_as_string(hide_password=True)}"


def connection_problem(url: str) -> DatabaseProblem | None:
    """None when `url` connects; else why not, in one line naming PDU_DATABASE_URL."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from models.db import make_engine

    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        return DatabaseProblem(
            f"PDU_DATABASE_URL={url.split('@')[-1] if '@' in url else url}: unknown database "
            f"scheme or driver ({type(exc).__name__}); use e.g. "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB or leave it unset for SQLite"
        )
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0] if (exc.orig or exc) else ""
        return DatabaseProblem(
            f"PDU_DATABASE_URL: cannot connect to {describe_database(url)}: {reason}"
        )
    finally:
        engine.dispose()


def schema_problem(url: str) -> DatabaseProblem | None:
    """None when the database connects and is migrated to the code's head; else one line
    that names the database and says `pdu db upgrade` sets it up."""
    if (problem := connection_problem(url)) is not None:
        return problem
    current, expected = current_heads(url), code_heads()
    if current == expected:
        return None
    where = describe_database(url)
    if not current:
        state = "is not set up"
    elif current - expected:
        state = f"is at a newer revision ({', '.join(sorted(current))}) than this code knows"
        return DatabaseProblem(f"{where} {state}: upgrade this code, not the database")
    else:
        state = f"is behind the code's migrations (at {', '.join(sorted(current))})"
    return DatabaseProblem(f"{where} {state}: run `pdu db upgrade` to set it up")
