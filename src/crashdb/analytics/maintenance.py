"""Maintenance: delete old rounds (dry run by default) and report how big the database is.

``cleanup_old_records`` removes rounds that started before the cut-off together with every row
that points at them (analytics rows, error and OCR logs), children first, in batches of
``batch_size`` rounds, each batch in its own transaction. Error, OCR and analytics rows whose
own timestamp is older than the cut-off go too. Bots, sessions (with their totals) and the game
catalog are kept: they are small and they are the history of what ran.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, text
from sqlalchemy.engine import Connection

from crashdb.analytics.common import iso, resolve_db
from crashdb.db.engine import Database
from crashdb.db.models import (
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    AnalyticsRoundSignal,
    Base,
    CrashGameRound,
    ErrorLog,
    OCRValidationLog,
)

__all__ = ["cleanup_old_records", "get_database_size"]

ROUNDS: Table = CrashGameRound.__table__  # type: ignore[assignment]
# Tables whose rows point at crash_game_rounds, deleted before the rounds they reference.
CHILDREN: tuple[Table, ...] = tuple(
    m.__table__  # type: ignore[misc]
    for m in (
        AnalyticsRoundMultiplier,
        AnalyticsRoundSignal,
        AnalyticsRoundOutcome,
        ErrorLog,
        OCRValidationLog,
    )
)


def _old_rounds(cutoff: datetime) -> Any:
    return ROUNDS.c.round_start_timestamp < cutoff


def _child_condition(child: Table, cutoff: datetime) -> Any:
    old_ids = select(ROUNDS.c.id).where(_old_rounds(cutoff))
    return or_(child.c.round_id.in_(old_ids), child.c.timestamp < cutoff)


def _count(conn: Connection, table: Table, condition: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one())


def cleanup_old_records(
    days_old: int = 90,
    dry_run: bool = True,
    *,
    batch_size: int = 10_000,
    now: datetime | None = None,
    db: Database | None = None,
) -> dict[str, Any]:
    """Delete (or, by default, only count) rows older than ``days_old`` days.

    Returns ``{"dry_run", "days_old", "cutoff", "tables": {table: rows}, "total_records",
    "batches"}``; in a dry run the counts are what would be deleted.
    """
    if days_old < 0:
        raise ValueError("days_old must be >= 0")
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    database = resolve_db(db)
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days_old)
    counts: dict[str, int] = {t.name: 0 for t in (*CHILDREN, ROUNDS)}
    batches = 0
    if dry_run:
        with database.engine.connect() as conn:
            for child in CHILDREN:
                counts[child.name] = _count(conn, child, _child_condition(child, cutoff))
            counts[ROUNDS.name] = _count(conn, ROUNDS, _old_rounds(cutoff))
    else:
        while True:
            with database.write_connection() as conn:
                ids = list(
                    conn.execute(
                        select(ROUNDS.c.id).where(_old_rounds(cutoff)).limit(batch_size)
                    ).scalars()
                )
                if not ids:
                    break
                for child in CHILDREN:
                    res = conn.execute(delete(child).where(child.c.round_id.in_(ids)))
                    counts[child.name] += max(res.rowcount, 0)
                res = conn.execute(delete(ROUNDS).where(ROUNDS.c.id.in_(ids)))
                counts[ROUNDS.name] += max(res.rowcount, 0)
                batches += 1
        # Old rows that point at a newer round, or at none.
        for child in CHILDREN:
            while True:
                with database.write_connection() as conn:
                    ids = list(
                        conn.execute(
                            select(child.c.id).where(child.c.timestamp < cutoff).limit(batch_size)
                        ).scalars()
                    )
                    if not ids:
                        break
                    res = conn.execute(delete(child).where(child.c.id.in_(ids)))
                    counts[child.name] += max(res.rowcount, 0)
                    batches += 1
    return {
        "dry_run": dry_run,
        "days_old": days_old,
        "cutoff": iso(cutoff),
        "tables": counts,
        "total_records": sum(counts.values()),
        "batches": batches,
    }


def get_database_size(*, db: Database | None = None) -> dict[str, Any]:
    """Rows per table, their total, and bytes on disk (whole database and, on PostgreSQL, per
    table including indexes and TOAST)."""
    database = resolve_db(db)
    tables: dict[str, int] = {}
    table_bytes: dict[str, int] | None = None
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            tables[table.name] = int(
                conn.execute(select(func.count()).select_from(table)).scalar_one()
            )
        if database.backend == "postgresql":
            total = int(
                conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )
            table_bytes = {
                name: int(
                    conn.execute(
                        text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": name}
                    ).scalar_one()
                )
                for name in tables
            }
        else:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
            total = int(pages) * int(size)
    return {
        "backend": database.backend,
        "total_records": sum(tables.values()),
        "tables": tables,
        "bytes": total,
        "table_bytes": table_bytes,
    }
