"""Reference data: the catalog of games x platforms, kept in ``game_platform_config``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from crashdb.config import GAMES, PLATFORMS
from crashdb.db.models import GamePlatformConfig

if TYPE_CHECKING:
    from sqlalchemy.sql.dml import Insert

    from crashdb.db.engine import Database

__all__ = ["insert_ignoring_conflicts", "sync_reference_data"]


def insert_ignoring_conflicts(backend: str, table: Table, *conflict_columns: str) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` for PostgreSQL and SQLite."""
    stmt: Any
    if backend == "postgresql":
        stmt = postgresql.insert(table)
    elif backend == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported backends exist
        raise NotImplementedError(f"unsupported backend {backend!r}")
    return stmt.on_conflict_do_nothing(index_elements=list(conflict_columns) or None)  # type: ignore[no-any-return]


def catalog_rows() -> list[dict[str, Any]]:
    """One row per (game, platform) known to crashdb."""
    return [
        {
            "game_name": game.name,
            "platform_code": platform,
            "game_provider": game.provider,
            "display_name": game.display_name,
            "rtp_percent": game.rtp * Decimal(100),
            "min_multiplier": game.min_multiplier,
            "max_multiplier": game.max_multiplier,
            "is_active": True,
        }
        for game in GAMES.values()
        for platform in PLATFORMS
    ]


def sync_reference_data(db: Database) -> None:
    """Insert catalog rows that are missing; rows a user edited are left alone."""
    table = GamePlatformConfig.__table__
    assert isinstance(table, Table)
    stmt = insert_ignoring_conflicts(db.backend, table, "game_name", "platform_code")
    with db.write_connection() as conn:
        conn.execute(stmt, catalog_rows())
