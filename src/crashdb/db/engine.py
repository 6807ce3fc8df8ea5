"""Engines, sessions and schema set-up.

:class:`Database` owns one engine and its session factory. Most programs use the process-wide
default through the seed's names::

    from crashdb import init_db, session_scope, DatabaseConnection

    init_db()                                   # upgrade the schema to the newest migration
    with session_scope() as session:            # commit on success, roll back on error
        session.add(...)
    DatabaseConnection.test_connection()        # -> bool

``DatabaseConnection.initialize(url)`` points the default at another database; without it the
URL comes from :mod:`crashdb.config`. SQLite runs in WAL mode with foreign keys on and a busy
timeout, and write transactions begin ``IMMEDIATE`` so concurrent writers queue instead of
failing with "database is locked".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.orm import Session, sessionmaker

from crashdb.config import Settings, get_settings
from crashdb.db.folds import fold_sqlite, wait_for_fold

__all__ = [
    "Database",
    "DatabaseConnection",
    "get_database",
    "get_session",
    "init_db",
    "session_scope",
]

# Execution option that makes a SQLite transaction take the write lock up front.
SQLITE_IMMEDIATE = "crashdb_sqlite_immediate"


def _create_engine(url: URL, settings: Settings) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=settings.echo_sql,
            connect_args={
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
                "check_same_thread": False,
            },
        )
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args["connect_timeout"] = settings.connect_timeout
        connect_args["application_name"] = "crashdb"
    pool = settings.pool
    return create_engine(
        url,
        echo=settings.echo_sql,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_pre_ping=pool.pre_ping,
        pool_recycle=pool.recycle_seconds,
        connect_args=connect_args,
    )


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Connection) -> None:
        # SQLite has no statement-level triggers: the rounds this transaction added are
        # folded into the summaries just before it commits (crashdb.db.folds).
        fold_sqlite(conn.connection.dbapi_connection)


class Database:
    """One database: an engine, its session factory and schema management."""

    def __init__(self, url: str | URL | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.url: URL = self.settings.resolved_url(url)
        self.engine: Engine = _create_engine(self.url, self.settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        """``"postgresql"`` or ``"sqlite"``."""
        return self.url.get_backend_name()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    def get_session(self) -> Session:
        """A new session; the caller commits and closes it (prefer :meth:`session_scope`)."""
        return self._sessions()

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any exception."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
            with conn.begin():
                yield conn

    def test_connection(self) -> bool:
        """True when the database answers ``SELECT 1``."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def init_db(self, drop_existing: bool = False) -> None:
        """Upgrade the schema to the newest migration (drop everything first if asked)."""
        from crashdb.db.migrate import downgrade_to_base, upgrade_to_head
        from crashdb.db.reference import sync_reference_data

        if drop_existing:
            downgrade_to_base(self)
        upgrade_to_head(self)
        sync_reference_data(self)

    def dispose(self) -> None:
        """Close the pooled connections (after the summary fold of a bulk write, if one is
        running in the background)."""
        wait_for_fold(self.engine)
        self.engine.dispose()


_default: Database | None = None
_default_lock = threading.Lock()


def get_database() -> Database:
    """The process-wide default database, created on first use from the configuration."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Database()
    return _default


class DatabaseConnection:
    """The seed's connection API: class methods over the process-wide default database."""

    @classmethod
    def initialize(cls, url: str | URL | None = None, settings: Settings | None = None) -> Database:
        """Point the default database at ``url`` (or at the configured URL), replacing any."""
        global _default
        with _default_lock:
            if _default is not None:
                _default.dispose()
            _default = Database(url, settings)
            return _default

    configure = initialize

    @classmethod
    def get_engine(cls) -> Engine:
        return get_database().engine

    @classmethod
    def get_session(cls) -> Session:
        return get_database().get_session()

    @classmethod
    def test_connection(cls) -> bool:
        return get_database().test_connection()

    @classmethod
    def close(cls) -> None:
        """Dispose of the default engine; the next use reconnects from the configuration."""
        global _default
        with _default_lock:
            if _default is not None:
                _default.dispose()
            _default = None


def session_scope() -> Any:
    """``with session_scope() as session:`` on the default database."""
    return get_database().session_scope()


def get_session() -> Session:
    """A new session on the default database (the caller commits and closes it)."""
    return get_database().get_session()


def init_db(drop_existing: bool = False) -> None:
    """Create or upgrade the schema of the default database (the seed's entry point)."""
    get_database().init_db(drop_existing=drop_existing)
