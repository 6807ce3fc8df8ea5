"""``write_records``: validated records into the database, in one transaction.

Order of work inside the transaction:

1. register the bots and sessions the records name and the database does not know yet
   (``INSERT ... ON CONFLICT DO NOTHING`` in sorted key order, so that concurrent writers
   cannot deadlock on each other); auto-registered bots have ``auto_registered = true``;
2. fill ``strategy_name`` of rounds that left it empty from the bot's registration, and on
   PostgreSQL lock all the sessions the rounds belong to, sorted, before any round is
   inserted: the totals trigger sorts its locks only within one statement, and this
   transaction may run several (COPY chunks, executemany), so without the up-front lock two
   writers could take sessions in opposite orders across statements and deadlock;
3. write the records (grouped by kind, see :func:`_groups`), one statement per group
   (``executemany``, or COPY on PostgreSQL for large round batches, see :mod:`crashdb.ingest.copy`),
   every insert ``ON CONFLICT DO NOTHING`` so that a replay changes nothing.

Analytics, error and OCR records that name a round take the bot, session, game and round
number the caller left out from that round; a ``round_id`` that names no round is
:class:`~crashdb.InvalidRecord` (``row`` = its index in ``records``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from crashdb.db.engine import Database
from crashdb.db.folds import fold_after_write
from crashdb.db.reference import insert_ignoring_conflicts
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.copy import copy_rounds
from crashdb.ingest.records import (
    Record,
    RoundRecord,
    SessionStartRecord,
    SessionUpdateRecord,
)
from crashdb.ingest.registry import Known, WriteResult, known_for, register, run_write
from crashdb.ingest.tables import ROUND_COLUMNS, ROUNDS, SESSIONS, TABLE_OF

__all__ = ["COPY_THRESHOLD", "WriteResult", "write_records", "write_round_rows"]

COPY_THRESHOLD = 200  # round batches at least this large use COPY on PostgreSQL
_RENAMED = {"round_metadata": "metadata", "session_metadata": "metadata"}


def write_records(db: Database, records: Sequence[Record]) -> WriteResult:
    """Write ``records`` in one transaction, in order, idempotently (see the module doc).

    Raises :class:`~crashdb.InvalidRecord` for records that reference a missing round, and
    SQLAlchemy's ``OperationalError`` / ``DBAPIError`` when the database is unreachable
    (nothing is written then). SQLite "database is locked" errors are retried with backoff.
    """
    result = WriteResult()
    if not records:
        return result

    known = known_for(db)

    def work(conn: Connection) -> WriteResult:
        res = WriteResult()
        _write(conn, db.backend, records, res, known)
        return res

    try:
        written = run_write(db, work)
    except IntegrityError:
        if not (known.bots or known.sessions):
            raise
        known.clear()  # perhaps stale (database recreated): register again, once
        written = run_write(db, work)
    # --- analytics summaries: a bulk statement left its runs to be folded now (PostgreSQL)
    fold_after_write(db.engine, written.inserted.get("round", 0))
    return written


_SESSION_KINDS = frozenset({"session_start", "session_update"})
_KIND_ORDER = ("round", "multiplier", "signal", "outcome", "error", "ocr")


def _groups(records: Sequence[Record]) -> Iterator[tuple[str, list[int]]]:
    """The order of work: (kind, indices into ``records``).

    Session records stay where they are. Between two of them, all rounds go first (the
    analytics rows that follow need them), then each other kind; every kind keeps its
    original order. One statement per group instead of one per record: a writer's batch of
    interleaved round / multiplier / outcome records becomes a handful of statements.
    """
    segment: dict[str, list[int]] = {}
    for i, rec in enumerate(records):
        if rec.kind in _SESSION_KINDS:
            for kind in _KIND_ORDER:
                if kind in segment:
                    yield kind, segment[kind]
            segment = {}
            yield rec.kind, [i]
        else:
            segment.setdefault(rec.kind, []).append(i)
    for kind in _KIND_ORDER:
        if kind in segment:
            yield kind, segment[kind]


def _write(
    conn: Connection,
    backend: str,
    records: Sequence[Record],
    result: WriteResult,
    known: Known | None = None,
) -> None:
    round_dicts = [r.__dict__ for r in records if isinstance(r, RoundRecord)]
    strategies = register(conn, backend, round_dicts, records, result, known)
    for kind, indices in _groups(records):
        run = [records[i] for i in indices]
        if kind == "round" and backend == "sqlite":
            # rows made one at a time as the driver asks for them: none outlive their insert
            lazy = (_round_row(r, strategies) for r in run)  # type: ignore[arg-type]
            result.add("round", _sqlite_round_rows(conn, lazy))
        elif kind == "round":
            rows = [_round_row(r, strategies) for r in run]  # type: ignore[arg-type]
            result.add("round", write_round_rows(conn, backend, rows))
        elif kind == "session_start":
            for rec in run:
                _upsert_session(conn, backend, rec)  # type: ignore[arg-type]
                result.add("session_start", 1)
        elif kind == "session_update":
            for rec in run:
                result.sessions_updated += _update_session(conn, rec)  # type: ignore[arg-type]
        else:
            rows = [_row(r) for r in run]
            _complete_from_rounds(conn, rows, indices, kind)
            table = TABLE_OF[kind]
            stmt = insert_ignoring_conflicts(backend, table).returning(table.c.id)
            result.add(kind, len(conn.execute(stmt, rows).all()))


def _row(rec: Record) -> dict[str, Any]:
    row = dict(rec.__dict__)
    del row["kind"]
    for attr, column in _RENAMED.items():
        if attr in row:
            row[column] = row.pop(attr)
    return row


def _round_row(rec: RoundRecord, strategies: dict[str, str | None]) -> dict[str, Any]:
    row = _row(rec)
    if row["strategy_name"] is None:
        row["strategy_name"] = strategies.get(rec.bot_id)
    return row


def _upsert_session(conn: Connection, backend: str, rec: SessionStartRecord) -> None:
    """Create the session, or complete one that rounds registered (explicit values win,
    status and totals are left alone so that a replay cannot reopen a closed session)."""
    row = _row(rec)
    del row["id"]
    row["current_balance"] = rec.initial_balance
    stmt: Any = (postgresql.insert if backend == "postgresql" else sqlite.insert)(SESSIONS)
    ex = stmt.excluded
    t = SESSIONS.c
    stmt = stmt.values(row).on_conflict_do_update(
        index_elements=["bot_id", "session_id"],
        set_={
            "game_name": func.coalesce(ex.game_name, t.game_name),
            "platform_code": func.coalesce(ex.platform_code, t.platform_code),
            "strategy_name": func.coalesce(ex.strategy_name, t.strategy_name),
            "initial_balance": func.coalesce(ex.initial_balance, t.initial_balance),
            "current_balance": func.coalesce(t.current_balance, ex.initial_balance),
            "notes": func.coalesce(ex.notes, t.notes),
            "metadata": func.coalesce(ex["metadata"], t["metadata"]),
        },
    )
    conn.execute(stmt)


def _update_session(conn: Connection, rec: SessionUpdateRecord) -> int:
    t = SESSIONS.c
    values: dict[str, Any] = {}
    for name in ("final_balance", "status", "notes", "end_timestamp"):
        value = getattr(rec, name)
        if value is not None:
            values[name] = value
    if rec.session_metadata is not None:
        values["metadata"] = rec.session_metadata
    if rec.final_balance is not None:
        values["current_balance"] = rec.final_balance
    cond = t.session_id == rec.session_id
    if rec.bot_id is not None:
        cond = cond & (t.bot_id == rec.bot_id)
    if not values:
        values["updated_at"] = func.now()
    res = conn.execute(update(SESSIONS).where(cond).values(values))
    return max(res.rowcount, 0)


# --------------------------------------------------------------------------- analytics


_FILL = ("bot_id", "session_id", "round_number", "game_name", "platform_code")


def _complete_from_rounds(
    conn: Connection, rows: list[dict[str, Any]], indices: list[int], kind: str
) -> None:
    """Check that referenced rounds exist and fill identity columns the caller left out."""
    ids = sorted({r["round_id"] for r in rows if r.get("round_id") is not None})
    if not ids:
        return
    cols = [
        ROUNDS.c.id,
        *(ROUNDS.c[n] for n in _FILL),
        ROUNDS.c.strategy_name,
        ROUNDS.c.stake_value,
    ]
    found: dict[uuid.UUID, Any] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for r in conn.execute(select(*cols).where(ROUNDS.c.id.in_(chunk))):
            found[r.id] = r
    errors: list[FieldError] = []
    fill = [n for n in _FILL if n in TABLE_OF[kind].c]  # error/OCR logs have no game columns
    for i, row in enumerate(rows):
        rid = row.get("round_id")
        if rid is None:
            continue
        src = found.get(rid)
        if src is None:
            errors.append(FieldError("round_id", f"no round with id {rid}", indices[i]))
            continue
        for name in fill:
            if row.get(name) is None:
                row[name] = getattr(src, name)
        if kind == "outcome":
            if row.get("strategy_name") is None:
                row["strategy_name"] = src.strategy_name
            if row.get("bet_amount") is None:
                row["bet_amount"] = src.stake_value
    if errors:
        raise InvalidRecord(errors, kind)


# --------------------------------------------------------------------------- rounds


def write_round_rows(conn: Connection, backend: str, rows: list[dict[str, Any]]) -> int:
    """Insert round rows (dicts keyed by column name); returns how many were new."""
    if not rows:
        return 0
    if backend == "postgresql" and len(rows) >= COPY_THRESHOLD:
        return copy_rounds(conn, rows)
    if backend == "sqlite":
        return _sqlite_round_rows(conn, rows)
    full = [{c: r.get(c) for c in ROUND_COLUMNS} for r in rows]
    # RETURNING counts exactly the new rows (executemany rowcounts differ between drivers).
    stmt = insert_ignoring_conflicts(backend, ROUNDS).returning(ROUNDS.c.id)
    return len(conn.execute(stmt, full).all())


_SQLITE_ROUND_SQL = (
    f"INSERT INTO {ROUNDS.name} ({', '.join(chr(34) + c + chr(34) for c in ROUND_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(ROUND_COLUMNS))}) ON CONFLICT DO NOTHING"
)
_sqlite_binders: dict[int, list[tuple[str, Callable[[Any], Any] | None]]] = {}


def _sqlite_round_rows(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Rounds into SQLite with the driver's ``executemany`` fed one tuple at a time.

    Same statement and the same bind conversions (the columns' own SQLAlchemy processors) as
    the Core insert, minus its per-row dicts and compiled parameter sets: a writer batch
    costs the process about half the Python work and far fewer objects for the garbage
    collector, and the GIL is released while SQLite runs each row, so the bot's thread is not
    kept waiting for the whole batch. ``rowcount`` counts only the rows the INSERT itself
    added (not trigger updates, not ignored conflicts), like ``RETURNING`` did.
    """
    dialect = conn.dialect
    binders = _sqlite_binders.get(id(dialect))
    if binders is None:
        binders = _sqlite_binders[id(dialect)] = [
            (name, ROUNDS.c[name].type._cached_bind_processor(dialect)) for name in ROUND_COLUMNS
        ]

    def params() -> Iterator[tuple[Any, ...]]:
        for r in rows:
            get = r.get
            yield tuple([get(c) if p is None else p(get(c)) for c, p in binders])

    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    dbapi = dialect.loaded_dbapi
    try:
        cursor.executemany(_SQLITE_ROUND_SQL, params())  # type: ignore[arg-type]  # any iterable
        return int(cursor.rowcount)
    except dbapi.Error as exc:  # wrapped as Core would: OperationalError, IntegrityError...
        raise DBAPIError.instance(
            _SQLITE_ROUND_SQL, None, exc, dbapi.Error, dialect=dialect
        ) from exc
    finally:
        cursor.close()
