"""The tables the write path fills, the columns it writes, and its insert statement.

:func:`insert_rows` is the one ``INSERT`` the write path runs for records: rendered once per
dialect and table (SQLAlchemy does not cache the dialects' ``ON CONFLICT`` inserts, so each
call compiled them again), run through the driver's ``executemany`` with the parameters
converted by the columns' own SQLAlchemy bind processors (the same conversions as a Core
insert: exact decimals, UTC timestamps, JSON text).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

from crashdb.db.models import (
    SERVER_FILLED,
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    AnalyticsRoundSignal,
    BotVMRegistration,
    CrashGameRound,
    ErrorLog,
    OCRValidationLog,
    SessionLog,
)
from crashdb.ingest.records import Record, RoundRecord

__all__ = [
    "BOTS",
    "COLUMNS",
    "ROUNDS",
    "ROUND_COLUMNS",
    "ROUND_FIELDS",
    "SESSIONS",
    "TABLE_OF",
    "RoundRow",
    "insert_rows",
    "record_columns",
    "round_row",
    "round_tuple",
    "with_strategy",
]


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ROUNDS = _table(CrashGameRound)
BOTS = _table(BotVMRegistration)
SESSIONS = _table(SessionLog)
ROUND_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in ROUNDS.columns if c.name not in SERVER_FILLED
)

TABLE_OF: dict[str, Table] = {
    "multiplier": _table(AnalyticsRoundMultiplier),
    "signal": _table(AnalyticsRoundSignal),
    "outcome": _table(AnalyticsRoundOutcome),
    "error": _table(ErrorLog),
    "ocr": _table(OCRValidationLog),
}

# The columns the write path fills, per table (the server fills created_at / updated_at).
COLUMNS: dict[str, tuple[str, ...]] = {
    table.name: tuple(c.name for c in table.columns if c.name not in SERVER_FILLED)
    for table in (ROUNDS, *TABLE_OF.values())
}


class _Statements:
    """One table's insert, rendered once per dialect: ``one`` (VALUES, for a single row) and,
    on PostgreSQL, ``many`` (``SELECT * FROM unnest(...)`` of one array per column: any number
    of rows in one statement, so the statement-level triggers run once per batch, not once
    per row as they would under ``executemany``)."""

    def __init__(self, dialect: Dialect, table: Table) -> None:
        columns = COLUMNS[table.name]
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        self.one = (
            f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(columns))}) "
            "ON CONFLICT DO NOTHING"
        )
        self.many: str | None = None
        if dialect.name == "postgresql":
            arrays = ", ".join(f"%s::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns)
            self.many = (
                f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) "
                "ON CONFLICT DO NOTHING"
            )
        binders = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
        self.convert = [(i, b) for i, b in enumerate(binders) if b is not None]
        # None is bound as NULL without its binder (crashdb's types all keep it: JSONType too).
        kept = [table.c[columns[i]].name for i, b in self.convert if b(None) is not None]
        if kept:
            raise TypeError(f"{table.name}: the binders of {kept} do not keep None as NULL")


_statements: dict[tuple[int, str], _Statements] = {}


def insert_rows(conn: Connection, table: Table, rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in :data:`COLUMNS` order) ``ON CONFLICT DO NOTHING``, in the
    connection's transaction; returns how many rows were new."""
    dialect = conn.dialect
    key = (id(dialect), table.name)
    stmts = _statements.get(key)
    if stmts is None:
        stmts = _statements[key] = _Statements(dialect, table)
    convert = stmts.convert

    def params(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for i, bind in convert:
            value = values[i]
            if value is not None:
                values[i] = bind(value)
        return values

    batch = [params(r) for r in rows]
    if not batch:
        return 0
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = stmts.one
    try:
        if len(batch) == 1:
            cursor.execute(sql, batch[0])
        elif stmts.many is not None:
            sql = stmts.many
            cursor.execute(sql, [list(column) for column in zip(*batch, strict=True)])
        else:
            cursor.executemany(sql, batch)
        return max(int(cursor.rowcount), 0)
    except dialect.loaded_dbapi.Error as exc:  # wrapped as Core would: OperationalError...
        raise DBAPIError.instance(
            sql, None, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    finally:
        cursor.close()


_RENAMED = {"round_metadata": "metadata", "session_metadata": "metadata"}
_NOT_COLUMNS = frozenset({"kind", "defaulted"})
# The RoundRecord field of each of ROUND_COLUMNS, in order.
ROUND_FIELDS: tuple[str, ...] = tuple(
    "round_metadata" if c == "metadata" else c for c in ROUND_COLUMNS
)
# A round's column values in ROUND_COLUMNS order, read off the record.
_ROUND_GET = itemgetter(*ROUND_FIELDS)
# A validated round as the bulk path copies it: (id, its values in ROUND_COLUMNS order with the
# strategy not yet filled from the bot's, the fields the builder defaulted).
RoundRow = tuple[uuid.UUID, tuple[Any, ...], frozenset[str]]
_STRATEGY_AT = ROUND_COLUMNS.index("strategy_name")
_BOT_AT = ROUND_COLUMNS.index("bot_id")


def record_columns(rec: Record) -> dict[str, Any]:
    """The record's values keyed by column name."""
    row = {k: v for k, v in rec.__dict__.items() if k not in _NOT_COLUMNS}
    for attr, column in _RENAMED.items():
        if attr in row:
            row[column] = row.pop(attr)
    return row


def round_row(rec: RoundRecord) -> RoundRow:
    """The :data:`RoundRow` of a record."""
    return rec.id, _ROUND_GET(rec.__dict__), rec.defaulted


def with_strategy(values: tuple[Any, ...], strategies: Mapping[str, str | None]) -> tuple[Any, ...]:
    """A round's values (:data:`ROUND_COLUMNS` order), its strategy filled from its bot's
    registration when it names none."""
    if values[_STRATEGY_AT] is None:
        strategy = strategies.get(values[_BOT_AT])
        if strategy is not None:
            return (*values[:_STRATEGY_AT], strategy, *values[_STRATEGY_AT + 1 :])
    return values


def round_tuple(rec: RoundRecord, strategies: Mapping[str, str | None]) -> tuple[Any, ...]:
    """A round's values in :data:`ROUND_COLUMNS` order, its strategy filled from the bot's."""
    return with_strategy(_ROUND_GET(rec.__dict__), strategies)
