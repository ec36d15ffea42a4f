"""Shared fixtures: an isolated environment per test, and databases on SQLite and PostgreSQL.

Every test that asks for `database_url` runs twice, once per database, each time on a
fresh copy of a migrated template (copying is much faster than migrating).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from models.db import dispose_engines
from models.migrate import upgrade
from models.settings import new_secret, reset_settings
from models.uow import UnitOfWork

pytest_plugins = ["tests.services.fixtures"]

# Property tests assert what the code computes, not how fast: on a shared machine one slow
# example must not fail them (speed is measured in bench/).
settings.register_profile("pdu", deadline=None)
settings.load_profile("pdu")

_counter = itertools.count()


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No PDU_* setting leaks in from the machine; each test has its own data directory."""
    for name in list(os.environ):
        if name.startswith("PDU_"):
            monkeypatch.delenv(name)
    data_dir = tmp_path / "var"
    monkeypatch.setenv("PDU_DATA_DIR", str(data_dir))
    # A real random secret per test: the code has no usable default to fall back on.
    monkeypatch.setenv("PDU_SECRET_KEY", new_secret())
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    reset_settings()
    yield data_dir
    reset_settings()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "pdu.sqlite3"
    upgrade(f"sqlite:///{path}")
    dispose_engines()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:  # type: ignore[no-untyped-def]
    postgres_server.create_database("pdu_template")
    upgrade(postgres_server.url("pdu_template"))
    dispose_engines()
    return "pdu_template"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "pdu.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("postgres_template")
        name = f"t{os.getpid()}_{next(_counter)}"
        server.create_database(name, template=template)
        url = server.url(name)
    monkeypatch.setenv("PDU_DATABASE_URL", url)
    reset_settings()
    yield url
    dispose_engines()


@pytest.fixture
def uow(database_url: str) -> Callable[[], UnitOfWork]:
    """A factory of units of work on this test's database."""
    return UnitOfWork
