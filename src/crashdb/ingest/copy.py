"""Bulk round inserts on PostgreSQL with psycopg 3 COPY, idempotently.

``log_batch_rounds`` on PostgreSQL (measured in ``benchmarks/ingest.py``):

1. **Validation overlapping the COPY.** The batch is validated column by column in chunks
   (:mod:`crashdb.ingest.columnar`); each chunk's rows are written to the COPY stream while the
   next chunk is validated, and a writer thread (``QueuedLibpqWriter``) sends the data, so
   Python's checks and the server's work run at the same time. Only the columns the batch can
   fill are copied. A batch the column-wise checks cannot prove valid is validated row by row
   instead (still streamed into COPY), which names every bad row and field; then the COPY
   is abandoned and nothing is written.
2. **Optimistic direct COPY** into ``crash_game_rounds`` inside a savepoint: a first load (the
   common case) costs exactly one COPY, the same server work as a raw COPY.
3. If any row is already stored (a replay, a resumed import, a concurrent writer with the
   same rounds) the COPY fails with a unique violation; we roll back to the savepoint and load
   through a **staging table**: COPY into a temporary table without indexes, then
   ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``. Slower (rows are written twice) but
   idempotent under any overlap and any concurrency.

Duplicates inside one batch are dropped before the COPY (the first occurrence wins, as with
``ON CONFLICT DO NOTHING``). The session-totals trigger is statement-level and sees only the
rows actually inserted, so totals stay right on both paths.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import select
from sqlalchemy.engine import Connection

from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.columnar import Slow, fast_round_columns
from crashdb.ingest.records import round_uuid
from crashdb.ingest.registry import WriteResult, register
from crashdb.ingest.tables import BOTS, ROUND_COLUMNS
from crashdb.ingest.validate import ROUND_LOOKUP, round_values

__all__ = ["copy_round_batch", "copy_rounds", "copy_rows", "raw_connection"]

_JSON_COLUMNS = frozenset({"metadata"})


def raw_connection(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy connection (same transaction)."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def _tuples(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    json_idx = [i for i, c in enumerate(columns) if c in _JSON_COLUMNS]
    for row in rows:
        values = [row.get(c) for c in columns]
        for i in json_idx:
            if values[i] is not None:
                values[i] = json.dumps(values[i])
        yield tuple(values)


def _copy_statement(table: str, columns: Sequence[str]) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def copy_rows(
    raw: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    tuples: Iterable[tuple[Any, ...]],
) -> None:
    """COPY ``tuples`` into ``table`` (text format, psycopg adapts each value).

    A writer thread sends the data, so producing rows (validation) overlaps with the
    network and with the server's work.
    """
    stmt = _copy_statement(table, columns)
    with raw.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
        for t in tuples:
            copy.write_row(t)


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[uuid.UUID] = set()
    out = []
    for row in rows:
        rid = row["id"]
        if rid not in seen:
            seen.add(rid)
            out.append(row)
    return out


def copy_rounds(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert round rows (column dicts) with COPY; returns how many were new."""
    rows = _dedupe(rows)
    raw = raw_connection(conn)
    columns = ROUND_COLUMNS
    savepoint = conn.begin_nested()
    try:
        copy_rows(raw, "crash_game_rounds", columns, _tuples(rows, columns))
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
    else:
        savepoint.commit()
        return len(rows)
    return _copy_via_staging(raw, list(_tuples(rows, columns)), columns)


def _copy_via_staging(
    raw: psycopg.Connection[Any], tuples: Sequence[tuple[Any, ...]], columns: Sequence[str]
) -> int:
    stage = f"crashdb_stage_{uuid.uuid4().hex[:12]}"
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    with raw.cursor() as cur:
        cur.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (LIKE crash_game_rounds INCLUDING DEFAULTS) ON COMMIT DROP"
            ).format(sql.Identifier(stage))
        )
        copy_rows(raw, stage, columns, tuples)
        cur.execute(
            sql.SQL(
                "INSERT INTO crash_game_rounds ({cols}) SELECT {cols} FROM {stage} "
                "ON CONFLICT DO NOTHING"
            ).format(cols=cols, stage=sql.Identifier(stage))
        )
        inserted = cur.rowcount
        cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(stage)))
    return max(inserted, 0)


def copy_round_batch(
    conn: Connection, batch: Sequence[Any], first_row: int = 0
) -> tuple[list[uuid.UUID], int]:
    """Validate the seed-style dicts in ``batch`` while COPYing them: returns (ids, inserted).

    Validation (Python) and the server's COPY work overlap: each row is written to the COPY
    stream as soon as it passed. Bots and sessions are registered first, from the first row
    of each (bot, session). When a row is bad, the rest are still validated (so the error
    names every bad row), the COPY is cancelled and :class:`~crashdb.InvalidRecord` raised;
    nothing is written. When a row is already stored, the batch goes through the staging
    table instead (see the module doc).
    """
    try:
        return _copy_fast(conn, batch)
    except Slow:
        pass  # not provably valid: validate row by row (names every bad row)

    firsts: dict[tuple[Any, Any], int] = {}
    for i, kw in enumerate(batch):
        if isinstance(kw, Mapping):
            firsts.setdefault((kw.get("bot_id"), kw.get("session_id")), i)
    heads = []
    for i in firsts.values():
        scratch: list[FieldError] = []
        v = round_values(batch[i], scratch, i)
        if not scratch:
            heads.append(v)
    register(conn, "postgresql", heads, [], WriteResult())
    bot_ids = sorted({h["bot_id"] for h in heads})
    strategies: dict[str, str | None] = dict(
        conn.execute(  # type: ignore[arg-type]
            select(BOTS.c.bot_id, BOTS.c.strategy_name).where(BOTS.c.bot_id.in_(bot_ids))
        ).all()
    )

    columns = ROUND_COLUMNS
    meta_at = columns.index("metadata")
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    seen: set[uuid.UUID] = set()
    position = iter(enumerate(batch, start=first_row))

    def validated() -> Iterator[tuple[Any, ...]]:
        for i, kw in position:
            if not isinstance(kw, Mapping):
                errors.append(FieldError("row", f"expected a dict, got {type(kw).__name__}", i))
                continue
            n = len(errors)
            v = round_values(kw, errors, i)
            if len(errors) != n:
                continue
            rid = v["id"] = round_uuid(
                v["bot_id"], v["session_id"], v["round_number"], v["bet_slot"]
            )
            if v.get("strategy_name") is None:
                v["strategy_name"] = strategies.get(v["bot_id"])
            rows.append(v)
            if errors or rid in seen:
                continue
            seen.add(rid)
            values = [v.get(c) for c in columns]
            if values[meta_at] is not None:
                values[meta_at] = json.dumps(values[meta_at])
            yield tuple(values)

    raw = raw_connection(conn)
    savepoint = conn.begin_nested()
    duplicate = False
    try:
        # After a bad row, validated() keeps validating but stops feeding the COPY.
        copy_rows(raw, "crash_game_rounds", columns, validated())
    except psycopg.errors.UniqueViolation:
        duplicate = True
    if errors or duplicate:
        savepoint.rollback()
        for _ in validated():  # validate whatever the COPY did not reach
            pass
        if errors:
            raise InvalidRecord(errors, "batch of rounds")
        ids = [r["id"] for r in rows]
        return ids, _copy_via_staging(raw, list(_tuples(_dedupe(rows), columns)), columns)
    savepoint.commit()
    return [r["id"] for r in rows], len(seen)


_HEAD_COLUMNS = (
    "bot_id",
    "session_id",
    "game_name",
    "platform_code",
    "strategy_name",
    "running_balance_before",
    "round_start_timestamp",
)


FAST_CHUNK = 5_000
# Columns every validated round has a value for (derivations). bet_slot, is_simulated,
# retry_count and is_valid are copied only when the batch sets them: otherwise every row has
# the default, which the server fills in (the same values as crashdb.ingest.validate's defaults).
_ALWAYS_COPIED = frozenset(
    {
        "id",
        "round_start_timestamp",
        "profit_loss",
        "roi_percent",
        "running_balance_after",
        "strategy_name",
    }
)


def _copy_fast(conn: Connection, batch: Sequence[Any]) -> tuple[list[uuid.UUID], int]:
    """Column-wise validation in chunks, each chunk COPYed while the next is validated (the
    server works on one while Python checks the other). Raises Slow, with nothing written,
    when any chunk is not provably valid."""
    firsts: dict[tuple[Any, Any], int] = {}
    shapes: set[frozenset[str]] = set()
    for i, kw in enumerate(batch):
        if not isinstance(kw, Mapping):
            raise Slow
        shape = frozenset(kw)
        if shape not in shapes:
            shapes.add(shape)
        key = (kw.get("bot_id"), kw.get("session_id"))
        if key not in firsts:
            firsts[key] = i
    heads = []
    for i in firsts.values():
        scratch: list[FieldError] = []
        heads.append(round_values(batch[i], scratch, i))
        if scratch:
            raise Slow
    register(conn, "postgresql", heads, [], WriteResult())
    bot_ids = sorted({h["bot_id"] for h in heads})
    q = select(BOTS.c.bot_id, BOTS.c.strategy_name).where(BOTS.c.bot_id.in_(bot_ids))
    registered: dict[str, str | None] = {b: s for b, s in conn.execute(q)}

    # COPY only the columns the batch can fill (others stay NULL): less to format and parse.
    given = {ROUND_LOOKUP[k][0] for shape in shapes for k in shape if k in ROUND_LOOKUP}
    columns = [c for c in ROUND_COLUMNS if c in given or c in _ALWAYS_COPIED]

    ids: list[uuid.UUID] = []
    tuples: list[tuple[Any, ...]] = []
    seen: set[uuid.UUID] = set()

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        for start in range(0, len(batch), FAST_CHUNK):
            chunk = batch[start : start + FAST_CHUNK]
            n = len(chunk)
            cols = fast_round_columns(chunk)
            strategy = cols.get("strategy_name")
            if strategy is None or any(x is None for x in strategy):
                cols["strategy_name"] = [
                    registered.get(b) if x is None else x
                    for x, b in zip(strategy or [None] * n, cols["bot_id"], strict=True)
                ]
            none = [None] * n
            chunk_ids = cols["id"]
            ids.extend(chunk_ids)
            rows = list(zip(*(cols.get(c, none) for c in columns), strict=True))
            if len(set(chunk_ids)) == n and seen.isdisjoint(chunk_ids):
                seen.update(chunk_ids)
            else:  # duplicates: the first occurrence wins, like ON CONFLICT DO NOTHING
                unique = []
                for rid, t in zip(chunk_ids, rows, strict=True):
                    if rid not in seen:
                        seen.add(rid)
                        unique.append(t)
                rows = unique
            tuples.extend(rows)
            yield rows

    raw = raw_connection(conn)
    savepoint = conn.begin_nested()
    feed = chunks()
    stmt = _copy_statement("crash_game_rounds", columns)
    try:
        with raw.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
            write = copy.write_row
            for rows in feed:
                for t in rows:
                    write(t)
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        for _ in feed:  # validate (and collect) what the COPY did not reach
            pass
        return ids, _copy_via_staging(raw, tuples, columns)
    except Slow:
        savepoint.rollback()
        raise
    savepoint.commit()
    return ids, len(tuples)
