"""Alembic, driven from code: upgrade, downgrade, current revision and the generated DDL.

The migrations in ``crashdb/db/migrations/versions`` (the initial revision ``0001_initial``,
then one revision per change: ``0002_signal_summaries``, ``0003_json_null``; a revision that
ships triggers and functions keeps their bodies in ``migrations/sql/<revision>``) are the one
source of truth for the schema on both backends. ``schema.sql`` is not written by hand:
:func:`render_schema_sql` renders it from the migrations in Alembic's offline mode, and a test
keeps the committed copy current.
"""

from __future__ import annotations

import io
import zlib
from importlib import resources
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

if TYPE_CHECKING:
    from crashdb.db.engine import Database

__all__ = [
    "alembic_config",
    "current_revision",
    "downgrade_to_base",
    "head_revision",
    "render_schema_sql",
    "upgrade_to_head",
]

# Advisory-lock key so that many bots calling init_db() at once migrate one at a time.
_LOCK_KEY = zlib.crc32(b"crashdb.db.migrate")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` pointing at crashdb's packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("crashdb.db") / "migrations"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _run(db: Database, action: str) -> None:
    with db.write_connection() as conn:
        if db.backend == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        if action == "upgrade":
            command.upgrade(cfg, "head")
        else:
            command.downgrade(cfg, "base")


def upgrade_to_head(db: Database) -> None:
    """Apply every migration not yet applied (a no-op at head)."""
    _run(db, "upgrade")


def downgrade_to_base(db: Database) -> None:
    """Undo every migration: drops all crashdb tables, views, functions and triggers."""
    _run(db, "downgrade")


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None if crashdb never initialized it."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def render_schema_sql(dialect_url: str = "postgresql+psycopg://") -> str:
    """The full DDL of the newest schema, rendered offline from the migrations."""
    buffer = io.StringIO()
    cfg = alembic_config(dialect_url)
    cfg.output_buffer = buffer
    command.upgrade(cfg, "head", sql=True)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    header = [
        "-- crashdb schema for PostgreSQL, generated from the Alembic migrations.",
        "-- Do not edit: regenerate with `crashdb schema > src/crashdb/db/schema.sql`.",
        "",
    ]
    return "\n".join(header + lines).rstrip() + "\n"
