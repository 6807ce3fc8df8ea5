"""Fixtures that run every database test on SQLite and on PostgreSQL.

PostgreSQL: ``CRASHDB_TEST_POSTGRES_URL`` or ``postgresql://postgres@127.0.0.1:5432/postgres``.
The run creates its own databases (a migrated template, then one clone per test) and drops them
afterwards. Without a server the PostgreSQL tests skip with a loud reason, except under
``CI=true``, where that fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from crashdb import Database, DatabaseConnection

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    return os.environ.get("CRASHDB_TEST_POSTGRES_URL", DEFAULT_PG)


def _libpq(url: str) -> str:
    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


class PostgresServer:
    """Creates and drops this run's databases on the test server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"crashdb_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.created: list[str] = []

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_libpq(self.admin_url), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self, suffix: str, template: str | None = None) -> str:
        name = f"{self.prefix}_{suffix}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def url(self, name: str) -> str:
        return _with_database(self.admin_url, name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    admin = _admin_url()
    try:
        with psycopg.connect(_libpq(admin), connect_timeout=5):
            pass
    except psycopg.Error as exc:
        reason = f"PostgreSQL NOT REACHABLE at {make_url(admin).render_as_string()}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL tests to run. {reason}")
        pytest.skip(f"!!! SKIPPING POSTGRESQL TESTS !!! {reason}")
    server = PostgresServer(admin)
    yield server
    for name in list(reversed(server.created)):
        server.drop(name)


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    """A database migrated to head, cloned for each test."""
    name = pg_server.create("template")
    db = Database(pg_server.url(name))
    db.init_db()
    db.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.init_db()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (no schema) on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = server.create(f"e{uuid.uuid4().hex[:8]}")
    yield server.url(name)
    DatabaseConnection.close()
    server.drop(name)


def migrated_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """For a fixture: the URL of a fresh database migrated to head (a copy of the template),
    a SQLite file in ``folder`` or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        path = folder / "crashdb.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = server.create(
        f"t{uuid.uuid4().hex[:8]}", template=request.getfixturevalue("pg_template")
    )
    yield server.url(name)
    DatabaseConnection.close()
    server.drop(name)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh database migrated to head on the backend under test."""
    yield from migrated_url(backend, request, tmp_path)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A fresh, migrated database that is also the process default (for the seed's API)."""
    database = DatabaseConnection.initialize(db_url)
    yield database
    DatabaseConnection.close()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's .env or database settings."""
    for var in (
        "CRASHDB_DATABASE_URL",
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "DB_USER",
        "DB_PASSWORD",
        "DB_SSL_MODE",
        "CRASHDB_USE_WRITER",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
