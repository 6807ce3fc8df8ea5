"""The seed's connection API on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import crashdb
from crashdb import Database, DatabaseConnection, get_session, init_db, session_scope
from crashdb.db.models import BotVMRegistration


def test_connection_api_uses_the_configured_database(db_url: str) -> None:
    DatabaseConnection.initialize(db_url)
    assert DatabaseConnection.test_connection() is True
    engine = DatabaseConnection.get_engine()
    assert str(engine.url.database) in db_url
    session = DatabaseConnection.get_session()
    assert session.execute(text("SELECT 1")).scalar_one() == 1
    session.close()
    DatabaseConnection.close()


def test_test_connection_is_false_when_unreachable() -> None:
    DatabaseConnection.initialize("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert DatabaseConnection.test_connection() is False
    DatabaseConnection.close()


def test_session_scope_commits_on_success(db: Database) -> None:
    with session_scope() as s:
        s.add(BotVMRegistration(bot_id="kept"))
    with session_scope() as s:
        assert s.get(BotVMRegistration, 1) is not None


def test_session_scope_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), session_scope() as s:
        s.add(BotVMRegistration(bot_id="discarded"))
        s.flush()
        raise RuntimeError("boom")
    s2 = get_session()
    try:
        assert s2.execute(text("SELECT count(*) FROM bot_vm_registration")).scalar_one() == 0
    finally:
        s2.close()


def test_init_db_is_idempotent(db: Database) -> None:
    init_db()
    init_db(drop_existing=False)
    assert DatabaseConnection.test_connection()


def test_sqlite_pragmas(tmp_path: object) -> None:
    db = Database("sqlite:///pragmas.sqlite3")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000
    db.dispose()


def test_default_database_is_the_embedded_sqlite_file() -> None:
    DatabaseConnection.close()
    db = crashdb.get_database()
    assert db.backend == "sqlite"
    assert db.url.database == "crashdb.sqlite3"
    DatabaseConnection.close()


def test_public_api_is_declared() -> None:
    for name in crashdb.__all__:
        assert hasattr(crashdb, name), name
    for name in ("DatabaseConnection", "session_scope", "get_session", "init_db"):
        assert name in crashdb.__all__


def test_lazy_names_are_the_analytics_functions() -> None:
    import crashdb.analytics

    for name in crashdb._LAZY:
        assert name in crashdb.__all__, name
        assert getattr(crashdb, name) is getattr(crashdb.analytics, name), name


def test_logging_does_not_import_the_analytics_stack() -> None:
    """A bot that only logs must not pay SciPy/Plotly/pyarrow start-up (a fresh interpreter)."""
    import subprocess
    import sys

    code = (
        "import sys, crashdb\n"
        "from crashdb import log_crash_round, RoundWriter, Database\n"
        "heavy = [m for m in ('scipy', 'plotly', 'pyarrow', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "crashdb.get_bot_statistics\n"
        "assert 'scipy' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
