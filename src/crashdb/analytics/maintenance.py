"""Maintenance: delete old rounds (dry run by default) and report how big the database is.

``cleanup_old_records`` removes rounds that started before the cut-off together with every row
that points at them (analytics rows, error and OCR logs), children first, in batches of
``batch_size`` rounds, each batch in its own transaction. Error, OCR and analytics rows whose
own timestamp is older than the cut-off go too. Bots, sessions (with their totals) and the game
catalog are kept: they are small and they are the history of what ran.

Safe while bots write (PostgreSQL): each batch first locks the sessions of its rounds in the
order the write path locks them (sorted by bot and session), then the rounds themselves
(``FOR UPDATE``), and only then deletes children and rounds. A writer adding a row that points
at one of those rounds waits for the batch (a foreign key check takes a share lock on the
round), so no child is left behind and none appears between the two deletes; a batch that
still collides with a writer (a deadlock the server broke, a serialization failure) is rolled
back and retried. SQLite serializes writers, so there the batches simply queue.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Table, delete, func, or_, select, text, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from crashdb.analytics.common import iso, resolve_db
from crashdb.analytics.runs import Selection, run_states
from crashdb.db.engine import Database
from crashdb.db.models import (
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    AnalyticsRoundSignal,
    Base,
    CrashGameRound,
    ErrorLog,
    OCRValidationLog,
    SessionLog,
)
from crashdb.exceptions import CrashdbError, FieldError, InvalidRecord

__all__ = ["cleanup_old_records", "get_database_size"]

ROUNDS: Table = CrashGameRound.__table__  # type: ignore[assignment]
SESSIONS: Table = SessionLog.__table__  # type: ignore[assignment]
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


# Collisions with concurrent writers worth another try: deadlock detected, serialization
# failure, lock not available, and a foreign key violation (a row that raced the batch).
RETRY_SQLSTATES = frozenset({"40P01", "40001", "55P03", "23503"})
MAX_ATTEMPTS = 8
T = TypeVar("T")


def _retrying(database: Database, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one write transaction, again (after a pause) when it collided with a
    concurrent writer; a clear :class:`~crashdb.CrashdbError` if it keeps colliding."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with database.write_connection() as conn:
                return work(conn)
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state not in RETRY_SQLSTATES:
                raise
            if attempt == MAX_ATTEMPTS:
                raise CrashdbError(
                    f"the clean-up collided with concurrent writers {MAX_ATTEMPTS} times in a "
                    f"row (SQLSTATE {state}); the batches before were deleted, this one was "
                    "rolled back: run it again"
                ) from None
            time.sleep(min(1.0, 0.02 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


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

    Returns the seed's ``{"records_affected", "cutoff_date" (ISO-8601 UTC), "dry_run"}`` and
    ``"days_old"``, ``"tables": {table: rows}``, ``"total_records"`` (= records_affected) and
    ``"batches"``; in a dry run the counts are what would be deleted.
    """
    if isinstance(days_old, bool) or not isinstance(days_old, int) or days_old < 0:
        raise InvalidRecord([FieldError("days_old", f"must be an integer >= 0, got {days_old!r}")])
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise InvalidRecord(
            [FieldError("batch_size", f"must be a positive integer, got {batch_size!r}")]
        )
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
        postgres = database.backend == "postgresql"
        while True:
            deleted = _retrying(
                database, lambda conn: _delete_round_batch(conn, cutoff, batch_size, postgres)
            )
            if deleted is None:
                break
            for name, n in deleted.items():
                counts[name] += n
            batches += 1
        # Old rows that point at a newer round, or at none (nothing points at them).
        for child in CHILDREN:

            def old_children(conn: Connection, child: Table = child) -> int | None:
                return _delete_old_children(conn, child, cutoff, batch_size)

            while (gone := _retrying(database, old_children)) is not None:
                counts[child.name] += gone
                batches += 1
    total = sum(counts.values())
    return {
        "records_affected": total,
        "cutoff_date": iso(cutoff),
        "dry_run": dry_run,
        "days_old": days_old,
        "tables": counts,
        "total_records": total,
        "batches": batches,
    }


def _delete_round_batch(
    conn: Connection, cutoff: datetime, batch_size: int, postgres: bool
) -> dict[str, int] | None:
    """Delete up to ``batch_size`` old rounds and every row pointing at them; None when no
    old round is left. On PostgreSQL the sessions, then the rounds, are locked first."""
    found = conn.execute(
        select(ROUNDS.c.id, ROUNDS.c.bot_id, ROUNDS.c.session_id)
        .where(_old_rounds(cutoff))
        .order_by(ROUNDS.c.id)
        .limit(batch_size)
    ).all()
    if not found:
        return None
    ids = [r.id for r in found]
    if postgres:
        # The write path's lock order: sessions (sorted), then the rows that point at rounds.
        pairs = sorted({(r.bot_id, r.session_id) for r in found})
        conn.execute(
            select(SESSIONS.c.id)
            .where(tuple_(SESSIONS.c.bot_id, SESSIONS.c.session_id).in_(pairs))
            .order_by(SESSIONS.c.bot_id, SESSIONS.c.session_id)
            .with_for_update()
        )
        ids = list(
            conn.execute(
                select(ROUNDS.c.id)
                .where(ROUNDS.c.id.in_(ids), _old_rounds(cutoff))
                .order_by(ROUNDS.c.id)
                .with_for_update()
            ).scalars()
        )
    counts: dict[str, int] = {}
    for child in CHILDREN:
        res = conn.execute(delete(child).where(child.c.round_id.in_(ids)))
        counts[child.name] = max(res.rowcount, 0)
    res = conn.execute(delete(ROUNDS).where(ROUNDS.c.id.in_(ids)))
    counts[ROUNDS.name] = max(res.rowcount, 0)
    return counts


def _delete_old_children(
    conn: Connection, child: Table, cutoff: datetime, batch_size: int
) -> int | None:
    ids = list(
        conn.execute(
            select(child.c.id).where(child.c.timestamp < cutoff).limit(batch_size)
        ).scalars()
    )
    if not ids:
        return None
    res = conn.execute(delete(child).where(child.c.id.in_(ids)))
    return max(res.rowcount, 0)


def _round_count(conn: Connection) -> int:
    """How many rounds there are, from the run summaries (every round is in exactly one run;
    runs not folded yet are counted from their rounds): cheap where ``count(*)`` reads every
    row. PostgreSQL only, where the triggers give every round a summary."""
    summaries, _ = run_states(conn, Selection(summaries=(), rounds=()), paths=False)
    return sum(int(s["rounds"]) for s in summaries)


def get_database_size(*, db: Database | None = None) -> dict[str, Any]:
    """Rows per table, their total, and bytes on disk (whole database and, on PostgreSQL, per
    table including indexes and TOAST)."""
    database = resolve_db(db)
    tables: dict[str, int] = {}
    table_bytes: dict[str, int] | None = None
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table is ROUNDS and database.backend == "postgresql":
                tables[table.name] = _round_count(conn)
                continue
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
