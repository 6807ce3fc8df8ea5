"""Rounds into PostgreSQL with psycopg 3 COPY, idempotently: the write path's bulk branch.

Measured in ``benchmarks/ingest.py``:

1. **Validation overlapping the COPY.** The rounds arrive as an iterable that validates as it
   is consumed (:meth:`crashdb.ingest.columnar.RoundStream.rows`), as
   :data:`~crashdb.ingest.tables.RoundRow` s taken straight from the validated columns; each
   row is written to the COPY stream as soon as it passed, and a writer thread
   (``QueuedLibpqWriter``) sends the data, so Python's checks and the server's work run at the
   same time. If the stream ends with :class:`~crashdb.InvalidRecord` the COPY is abandoned
   and nothing is written.
2. **Optimistic direct COPY** into ``crash_game_rounds`` inside a savepoint: a first load (the
   common case) costs exactly one COPY, the same server work as a raw COPY.
3. If any round is already stored (a replay, a resumed import, a concurrent writer with the
   same rounds) the COPY fails with a unique violation; we roll back to the savepoint and load
   through a **staging table**: COPY into a temporary table without indexes, then
   ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``, and one query compares the rounds that
   were not new with the stored ones (:class:`~crashdb.ConflictingRecord` if any differs).
4. **Rounds copied run by run**: every ``ORDER_WINDOW`` rounds are sorted by run and round
   before they are sent, so the summary fold after the load reads each page once.

Rounds repeated inside one batch are written once (the first occurrence), and must say the
same as the first.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.engine import Connection

from crashdb.ingest.conflicts import KEYS, compare_repeated, raise_conflicts
from crashdb.ingest.tables import ROUND_COLUMNS, RoundRow, with_strategy

__all__ = ["copy_rounds", "copy_rows", "raw_connection"]

_META_AT = ROUND_COLUMNS.index("metadata")
_STRATEGY_AT = ROUND_COLUMNS.index("strategy_name")
_BOT_AT = ROUND_COLUMNS.index("bot_id")
_SESSION_AT = ROUND_COLUMNS.index("session_id")
_GAME_AT = ROUND_COLUMNS.index("game_name")
_PLATFORM_AT = ROUND_COLUMNS.index("platform_code")
_NUMBER_AT = ROUND_COLUMNS.index("round_number")
_SLOT_AT = ROUND_COLUMNS.index("bet_slot")
_NO_STRATEGIES: dict[str, str | None] = {}
_CONFLICT_LIMIT = 100
FIRST_WINDOW = 500  # rounds sorted together before the first are copied
ORDER_WINDOW = 5_000  # rounds sorted together before they are copied


def raw_connection(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy connection (same transaction)."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def _copy_statement(table: str, columns: Sequence[str]) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def copy_rows(
    raw: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    tuples: Iterable[Sequence[Any]],
) -> None:
    """COPY ``tuples`` into ``table`` (text format, psycopg adapts each value). A writer
    thread sends the data, so producing rows overlaps with the network and the server."""
    stmt = _copy_statement(table, columns)
    with raw.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
        for t in tuples:
            copy.write_row(t)


def _copy_values(values: tuple[Any, ...], strategies: Mapping[str, str | None]) -> tuple[Any, ...]:
    """A round's values as COPY takes them: the strategy filled from the bot's registration
    when the round names none, the metadata as JSON text."""
    values = with_strategy(values, strategies)
    meta = values[_META_AT]
    if meta is None:
        return values
    return (*values[:_META_AT], json.dumps(meta), *values[_META_AT + 1 :])


Item = tuple[int | None, RoundRow]


def _row_order(item: tuple[int | None, object]) -> int:
    return -1 if item[0] is None else item[0]


def _run_order(item: Item) -> tuple[Any, ...]:
    v = item[1][1]
    return (
        v[_BOT_AT],
        v[_SESSION_AT],
        v[_STRATEGY_AT] or "",
        v[_GAME_AT],
        v[_PLATFORM_AT] or "",
        v[_NUMBER_AT],
        v[_SLOT_AT],
    )


def _in_run_order(items: Iterable[Item]) -> Iterator[Item]:
    """``items`` in windows of ``ORDER_WINDOW``, each sorted by run and round (stably: of two
    rounds with the same key the first stays first). A batch of interleaved bots then lands
    in the table one run after the other, so the fold that follows the load reads each heap
    page once instead of once per run on it. The first window is small, so that the COPY
    starts at once."""
    it = iter(items)
    size = FIRST_WINDOW
    while window := list(islice(it, size)):
        window.sort(key=_run_order)
        yield from window
        size = ORDER_WINDOW


def _compare_repeats(firsts: Mapping[uuid.UUID, Item], repeats: list[Item]) -> None:
    """A round given twice in one batch must say the same both times."""

    def columns(values: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(ROUND_COLUMNS, values, strict=True))

    compare_repeated(
        "round",
        (
            ((row, columns(values), defaulted), columns(first[1]), first[2])
            for row, (rid, values, defaulted) in sorted(repeats, key=_row_order)
            for first in (firsts[rid][1],)
        ),
    )


def copy_rounds(
    conn: Connection, items: Iterable[Item], strategies: Mapping[str, str | None]
) -> int:
    """COPY the rounds of ``items`` ((row, :data:`RoundRow`) pairs) into ``crash_game_rounds``
    in the connection's transaction; returns how many were new. See the module doc."""
    firsts: dict[uuid.UUID, Item] = {}
    repeats: list[Item] = []
    feed = _in_run_order(items)

    def fresh() -> Iterator[tuple[Any, ...]]:
        for item in feed:
            rid = item[1][0]
            if rid in firsts:
                repeats.append(item)
                continue
            firsts[rid] = item
            yield _copy_values(item[1][1], strategies)

    raw = raw_connection(conn)
    savepoint = conn.begin_nested()
    try:
        copy_rows(raw, "crash_game_rounds", ROUND_COLUMNS, fresh())
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        for _ in fresh():  # consume (and validate) what the COPY did not reach
            pass
        _compare_repeats(firsts, repeats)
        return _via_staging(raw, list(firsts.values()), strategies)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    _compare_repeats(firsts, repeats)
    return len(firsts)


def _via_staging(
    raw: psycopg.Connection[Any],
    items: Sequence[Item],
    strategies: Mapping[str, str | None],
) -> int:
    stage_name = f"crashdb_stage_{uuid.uuid4().hex[:12]}"
    stage = sql.Identifier(stage_name)
    cols = sql.SQL(", ").join(map(sql.Identifier, ROUND_COLUMNS))
    picked = sql.SQL(", ").join(
        sql.SQL("coalesce(strategy_name, _strategy_fill)")
        if c == "strategy_name"
        else sql.Identifier(c)
        for c in ROUND_COLUMNS
    )
    extra = ("_row", "_strategy_fill", "_start_defaulted")

    def staged() -> Iterator[tuple[Any, ...]]:
        for row, (_, values, defaulted) in items:
            fill = strategies.get(values[_BOT_AT]) if values[_STRATEGY_AT] is None else None
            start_defaulted = "round_start_timestamp" in defaulted
            yield (*_copy_values(values, _NO_STRATEGIES), row, fill, start_defaulted)

    with raw.cursor() as cur:
        cur.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (LIKE crash_game_rounds INCLUDING DEFAULTS, "
                "_row bigint, _strategy_fill varchar(64), _start_defaulted boolean) "
                "ON COMMIT DROP"
            ).format(stage)
        )
        copy_rows(raw, stage_name, (*ROUND_COLUMNS, *extra), staged())
        cur.execute(
            sql.SQL(
                "INSERT INTO crash_game_rounds ({cols}) SELECT {picked} FROM {stage} "
                "ON CONFLICT DO NOTHING"
            ).format(cols=cols, picked=picked, stage=stage)
        )
        inserted = max(cur.rowcount, 0)
        if inserted < len(items):
            _conflicts_in_stage(cur, stage)
        cur.execute(sql.SQL("DROP TABLE {}").format(stage))
    return inserted


def _conflicts_in_stage(cur: psycopg.Cursor[Any], stage: sql.Identifier) -> None:
    """Compare the staged rounds with the stored ones of the same id (what a staged round
    says: its non-NULL columns, its start time unless defaulted) in one query."""
    compared = [c for c in ROUND_COLUMNS if c != "id"]
    checks = []
    for c in compared:
        col = sql.Identifier(c)
        cond = sql.SQL("s.{c} IS NOT NULL AND s.{c} IS DISTINCT FROM r.{c}").format(c=col)
        if c == "round_start_timestamp":
            cond = sql.SQL("NOT s._start_defaulted AND ") + cond
        checks.append(sql.SQL("CASE WHEN {} THEN {} END").format(cond, sql.Literal(c)))
    key = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(k)) for k in KEYS["round"])
    differs = sql.SQL("array_remove(ARRAY[{}]::text[], NULL)").format(sql.SQL(", ").join(checks))
    query = sql.SQL(
        "SELECT * FROM (SELECT s._row, {key}, {differs} AS differs FROM {stage} s "
        "JOIN crash_game_rounds r ON r.id = s.id) d WHERE cardinality(differs) > 0 "
        "ORDER BY _row LIMIT {limit}"
    ).format(key=key, differs=differs, stage=stage, limit=sql.Literal(_CONFLICT_LIMIT + 1))
    found = []
    for row in cur.execute(query).fetchall():
        values = dict(zip(KEYS["round"], row[1:-1], strict=True))
        found.append((row[0], values, list(row[-1])))
    raise_conflicts("round", found)
