"""crashdb: record every round a fleet of crash-game bots plays, and answer honest questions."""

from crashdb.db import (
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
__version__ = "0.1.0"
