"""The database: engine and sessions, column types, the seed's tables, migrations.

Modules: :mod:`~crashdb.db.engine` (``Database``, the seed's ``DatabaseConnection``),
:mod:`~crashdb.db.types` (exact money and UTC time on both backends),
:mod:`~crashdb.db.models` (the nine tables), :mod:`~crashdb.db.summaries` (derived tables),
:mod:`~crashdb.db.folds` (their SQL, ``crashdb/db/sql``, and the fold that keeps them),
:mod:`~crashdb.db.migrate` (Alembic driven from code), :mod:`~crashdb.db.reference`
(the game and platform catalog).
"""

from __future__ import annotations

from crashdb.db.engine import (
    Database,
    DatabaseConnection,
    get_database,
    get_session,
    init_db,
    session_scope,
)

__all__ = [
    "Database",
    "DatabaseConnection",
    "get_database",
    "get_session",
    "init_db",
    "session_scope",
]
