"""Exports: rounds and crash multipliers to JSON Lines, CSV and Parquet, streamed in chunks.

Rows leave the database through a server-side cursor (PostgreSQL) or a streamed result
(SQLite), ``chunk_size`` at a time, become an Arrow record batch, and are appended to the output
file, so memory stays constant whatever the number of rows. Money and multipliers are exact
decimals (Parquet ``decimal128``; CSV and JSON Lines print the decimal text), timestamps UTC.

A round export carries every column ``crashdb import`` accepts (all but the server-filled
``created_at`` / ``updated_at``), ids included, so it loads back as the same rows. In CSV, a
text cell that a spreadsheet would run as a formula gets a leading apostrophe (see
:data:`crashdb.ingest.files.FORMULA_START`); the import removes it again.

The seed's two in-memory helpers are here too, with the seed's shapes:
:func:`export_rounds_to_json` (a bot's newest rounds as JSON-ready dicts) and
:func:`export_multipliers_for_ml` (one dict per multiplier row, ``json.dump`` takes it as is).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    Table,
    Uuid,
    func,
    literal,
    select,
)

from crashdb.analytics.common import R, iso, money, mult, resolve_db, time_filters
from crashdb.analytics.game_rounds import game_rounds
from crashdb.db.engine import Database
from crashdb.db.models import SERVER_FILLED, AnalyticsRoundMultiplier, CrashGameRound
from crashdb.db.types import ExactDecimal, UTCDateTime
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.files import FORMATS, FORMULA_START, format_of

__all__ = [
    "EXPORT_FORMATS",
    "ROUND_FIELDS",
    "export_multipliers",
    "export_multipliers_for_ml",
    "export_rounds",
    "export_rounds_to_json",
    "format_of",
    "row_count",
]

ROUNDS: Table = CrashGameRound.__table__  # type: ignore[assignment]
MULTIPLIERS: Table = AnalyticsRoundMultiplier.__table__  # type: ignore[assignment]

ExportFormat = Literal["jsonl", "csv", "parquet"]
EXPORT_FORMATS: tuple[str, ...] = FORMATS
DateLike = datetime | date | str | None
Progress = Callable[[int], None]

_TS = pa.timestamp("us", tz="UTC")
# Columns a round export leaves out: the database fills them in when a row is stored, so an
# import cannot set them (``crashdb import`` refuses them with that reason).


def _arrow_type(column: Column[Any]) -> pa.DataType:
    """The Arrow type that holds a ``crash_game_rounds`` column exactly."""
    t = column.type
    if isinstance(t, ExactDecimal):
        return pa.decimal128(t.precision, t.scale)
    if isinstance(t, UTCDateTime):
        return _TS
    if isinstance(t, Boolean):
        return pa.bool_()
    if isinstance(t, SmallInteger):
        return pa.int16()
    if isinstance(t, BigInteger):
        return pa.int64()
    if isinstance(t, Integer):
        return pa.int32()
    return pa.string()  # text, UUIDs, and metadata as JSON text


# (column name, Arrow type) of a round in every export format: every column that
# ``crashdb import`` accepts, in table order, so an export loads back as the same rows.
ROUND_FIELDS: tuple[tuple[str, pa.DataType], ...] = tuple(
    (c.name, _arrow_type(c)) for c in ROUNDS.columns if c.name not in SERVER_FILLED
)
_JSON_COLUMNS = frozenset(c.name for c in ROUNDS.columns if isinstance(c.type, JSON))
_UUID_COLUMNS = frozenset(c.name for c in ROUNDS.columns if isinstance(c.type, Uuid))
MULTIPLIER_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("game_name", pa.string()),
    ("platform_code", pa.string()),
    ("round_external_id", pa.string()),
    ("timestamp", _TS),
    ("multiplier", pa.decimal128(12, 2)),
    ("reports", pa.int32()),
)
# RE2 (Arrow): apostrophes, then a character a spreadsheet starts a formula with.
_FORMULA_CELL = "^'*[" + "".join(f"\\x{{{ord(c):04X}}}" for c in FORMULA_START) + "]"


def _schema(fields: Sequence[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([pa.field(name, typ) for name, typ in fields])


def round_filters(
    bot_id: str | None,
    game_name: str | None,
    platform_code: str | None,
    start_date: DateLike,
    end_date: DateLike,
) -> list[ColumnElement[bool]]:
    where = time_filters(start_date, end_date)
    if bot_id is not None:
        where.append(R.bot_id == bot_id)
    if game_name is not None:
        where.append(R.game_name == game_name)
    if platform_code is not None:
        where.append(R.platform_code == platform_code)
    return where


def _rounds_query(where: list[ColumnElement[bool]]) -> Select[Any]:
    cols = [R[name] for name, _typ in ROUND_FIELDS]
    order = (R.round_start_timestamp, R.bot_id, R.session_id, R.round_number, R.bet_slot)
    return select(*cols).where(*where).order_by(*order)


def row_count(
    db: Database,
    *,
    bot_id: str | None = None,
    game_name: str | None = None,
    platform_code: str | None = None,
    start_date: DateLike = None,
    end_date: DateLike = None,
) -> int:
    """How many rounds :func:`export_rounds` would write with these filters."""
    where = round_filters(bot_id, game_name, platform_code, start_date, end_date)
    with db.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(ROUNDS).where(*where)).scalar_one()
        )


def _multipliers_query(where: list[ColumnElement[bool]]) -> Select[Any]:
    g = game_rounds(where)
    return select(
        g.c.game.label("game_name"),
        g.c.platform.label("platform_code"),
        g.c.ext.label("round_external_id"),
        g.c.ts.label("timestamp"),
        g.c.m.label("multiplier"),
        g.c.reports,
    ).order_by(g.c.ts)


def _batches(
    db: Database, stmt: Select[Any], fields: Sequence[tuple[str, pa.DataType]], chunk_size: int
) -> Iterator[pa.RecordBatch]:
    """Stream ``stmt`` as Arrow record batches of at most ``chunk_size`` rows."""
    schema = _schema(fields)
    names = [n for n, _ in fields]

    def to_batch(rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
        columns: list[Sequence[Any]] = (
            list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        )
        arrays = []
        for (name, typ), values in zip(fields, columns, strict=True):
            if name in _UUID_COLUMNS:
                values = [str(v) if v is not None else None for v in values]
            elif name in _JSON_COLUMNS:
                values = [json.dumps(v) if v is not None else None for v in values]
            arrays.append(pa.array(values, type=typ))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    with db.engine.connect() as conn:
        if db.backend == "postgresql":
            yield from _pg_copy_batches(conn, stmt, fields, chunk_size)
        else:
            result = conn.execution_options(yield_per=chunk_size).execute(stmt)
            for part in result.partitions(chunk_size):
                yield to_batch(part)


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


class _CopyReader(io.RawIOBase):
    """A readable file over the chunks of a psycopg ``COPY ... TO STDOUT``."""

    def __init__(self, chunks: Iterator[Any]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = bytes(chunk)
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _pg_copy_batches(
    conn: Any, stmt: Select[Any], fields: Sequence[tuple[str, pa.DataType]], chunk_size: int
) -> Iterator[pa.RecordBatch]:
    """PostgreSQL: ``COPY (query) TO STDOUT`` as CSV, parsed into batches by Arrow, in C.

    Timestamps are printed as ISO-8601 UTC and numerics as their exact decimal text, so nothing
    passes through Python objects; Arrow reads a block at a time (constant memory).
    """
    inner = stmt.subquery("export")
    cols = []
    for name, typ in fields:
        col: ColumnElement[Any] = inner.c[name]
        if typ == _TS:
            col = func.to_char(func.timezone("UTC", col), literal('YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        cols.append(col.label(name))
    query = select(*cols)
    compiled = query.compile(dialect=conn.dialect)
    raw = conn.connection.driver_connection
    assert raw is not None
    avg_row = 160  # bytes per CSV row, to size Arrow's blocks to about chunk_size rows
    read_options = pa_csv.ReadOptions(
        column_names=[n for n, _ in fields],
        use_threads=False,
        # At most 512 KiB: larger blocks keep the export's peak RSS ~50 MB higher (allocator
        # caches) for ~15% less time (1M rows: 3.3 s / 290 MB at 1.6 MB, 4.0 s / 242 MB here).
        block_size=min(max(1 << 16, chunk_size * avg_row), 1 << 19),
    )
    convert = pa_csv.ConvertOptions(
        column_types=dict(fields),
        true_values=["t"],
        false_values=["f"],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params) as copy,
    ):
        chunks = iter(copy)
        first = next(chunks, None)
        if first is not None:  # no rows: no CSV for Arrow to read (it refuses an empty one)
            reader = pa_csv.open_csv(
                io.BufferedReader(_CopyReader(_prepend(first, chunks)), buffer_size=1 << 20),
                read_options=read_options,
                convert_options=convert,
            )
            for block in reader:
                # Arrow cuts blocks by bytes; hand out at most chunk_size rows at a time.
                for start in range(0, block.num_rows, chunk_size):
                    yield block.slice(start, chunk_size)
    raw.rollback()


class _Sink:
    """Appends record batches to a JSON Lines, CSV or Parquet file."""

    def __init__(self, path: Path, fmt: str, schema: pa.Schema) -> None:
        self.fmt = fmt
        self.path = path
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pa_csv.CSVWriter | None = None
        self._text: Any = None
        if fmt == "parquet":
            self._parquet = pq.ParquetWriter(str(path), schema, compression="zstd")
        elif fmt == "csv":
            self._csv = pa_csv.CSVWriter(str(path), schema)
        elif fmt == "jsonl":
            self._text = path.open("w", encoding="utf-8")
        else:
            raise ValueError(f"unknown export format {fmt!r}; choose one of {EXPORT_FORMATS}")

    def write(self, batch: pa.RecordBatch) -> None:
        if self._parquet is not None:
            self._parquet.write_batch(batch)
        elif self._csv is not None:
            self._csv.write_batch(_defuse_formulas(batch))
        else:
            for row in batch.to_pylist():
                self._text.write(json.dumps(_json_row(row)) + "\n")

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._text is not None:
            self._text.close()


def _defuse_formulas(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Text cells that a spreadsheet would run as a formula, with a leading apostrophe."""
    arrays = []
    for array in batch.columns:
        if pa.types.is_string(array.type):
            hit = pc.match_substring_regex(array, _FORMULA_CELL)
            array = pc.if_else(hit, pc.binary_join_element_wise("'", array, ""), array)
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in _JSON_COLUMNS and isinstance(value, str):
            out[key] = json.loads(value)
        elif isinstance(value, Decimal):
            out[key] = mult(value) if value.as_tuple().exponent == -2 else money(value)
        elif isinstance(value, datetime):
            out[key] = iso(value)
        else:
            out[key] = value
    return out


def _run_export(
    db: Database,
    stmt: Select[Any],
    fields: Sequence[tuple[str, pa.DataType]],
    path: str | Path,
    fmt: str | None,
    chunk_size: int,
    progress: Progress | None,
) -> dict[str, Any]:
    out = Path(path)
    kind = format_of(out, fmt)
    sink = _Sink(out, kind, _schema(fields))
    rows = 0
    try:
        for batch in _batches(db, stmt, fields, chunk_size):
            sink.write(batch)
            rows += batch.num_rows
            if progress is not None:
                progress(batch.num_rows)
    finally:
        sink.close()
    return {"path": str(out), "format": kind, "rows": rows, "bytes": out.stat().st_size}


def export_rounds(
    path: str | Path,
    fmt: str | None = None,
    *,
    bot_id: str | None = None,
    game_name: str | None = None,
    platform_code: str | None = None,
    start_date: DateLike = None,
    end_date: DateLike = None,
    chunk_size: int = 10_000,
    progress: Progress | None = None,
    db: Database | None = None,
) -> dict[str, Any]:
    """Write rounds (oldest first) to ``path``; the format comes from ``fmt`` or the suffix."""
    database = resolve_db(db)
    where = round_filters(bot_id, game_name, platform_code, start_date, end_date)
    stmt = _rounds_query(where)
    return _run_export(database, stmt, ROUND_FIELDS, path, fmt, chunk_size, progress)


def export_multipliers(
    path: str | Path,
    fmt: str | None = None,
    *,
    bot_id: str | None = None,
    game_name: str | None = None,
    platform_code: str | None = None,
    start_date: DateLike = None,
    end_date: DateLike = None,
    chunk_size: int = 10_000,
    progress: Progress | None = None,
    db: Database | None = None,
) -> dict[str, Any]:
    """Write crash multipliers, one row per game round (reports by several bots counted once)."""
    database = resolve_db(db)
    where = round_filters(bot_id, game_name, platform_code, start_date, end_date)
    stmt = _multipliers_query(where)
    return _run_export(database, stmt, MULTIPLIER_FIELDS, path, fmt, chunk_size, progress)


def _positive_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise InvalidRecord([FieldError("limit", f"must be a positive integer, got {limit!r}")])
    return limit


def export_rounds_to_json(
    bot_id: str, limit: int = 100, *, db: Database | None = None
) -> list[dict[str, Any]]:
    """The bot's newest ``limit`` rounds, newest first, as JSON-ready dicts (the seed's shape).

    Each dict has the seed's keys ``id``, ``round_number``, ``game_name``, ``stake``,
    ``crash_multiplier``, ``cashout_multiplier``, ``outcome``, ``profit_loss``,
    ``roi_percent``, ``timestamp`` (the round's start, ISO-8601 UTC), then every other exported
    column under its own name. Money is an exact decimal string, multipliers and percentages
    are numbers.
    """
    limit = _positive_limit(limit)
    database = resolve_db(db)
    recent = (
        select(*(R[name] for name, _ in ROUND_FIELDS))
        .where(R.bot_id == bot_id)
        .order_by(R.round_start_timestamp.desc(), R.round_number.desc(), R.bet_slot.desc())
        .limit(limit)
    )
    with database.engine.connect() as conn:
        rows = conn.execute(recent).mappings().all()
    out = []
    for row in rows:
        rest = {name: _json_value(name, typ, row[name]) for name, typ in ROUND_FIELDS}
        item = {
            "id": rest["id"],
            "round_number": rest["round_number"],
            "game_name": rest["game_name"],
            "stake": rest["stake_value"],
            "crash_multiplier": rest["crash_multiplier"],
            "cashout_multiplier": rest["cashout_multiplier"],
            "outcome": rest["round_outcome"],
            "profit_loss": rest["profit_loss"],
            "roi_percent": mult(row["roi_percent"]),
            "timestamp": rest["round_start_timestamp"],
        }
        out.append({**item, **{k: v for k, v in rest.items() if k not in item}})
    return out


def _json_value(name: str, typ: pa.DataType, value: Any) -> Any:
    if value is None:
        return None
    if typ == _TS:
        return iso(value)
    if isinstance(typ, pa.Decimal128Type):
        return mult(value) if typ.scale == 2 else money(value)
    if name in _UUID_COLUMNS:
        return str(value)
    return value


def export_multipliers_for_ml(
    game_name: str,
    bot_id: str | None = None,
    limit: int = 10000,
    *,
    db: Database | None = None,
) -> list[dict[str, Any]]:
    """The game's newest ``limit`` multiplier rows (``log_round_multiplier_analytics``),
    newest first, one dict each: the seed's shape.

    Keys: ``round_id``, ``multiplier`` (a number), ``timestamp`` (ISO-8601 UTC), ``is_crash``,
    ``is_cashout``, ``ocr_confidence`` and ``quality_score`` (numbers or None), then
    ``multiplier_kind``, ``is_max``, ``bot_id``, ``session_id``, ``platform_code`` and
    ``round_number``. ``json.dump`` takes the list as it is.
    """
    limit = _positive_limit(limit)
    database = resolve_db(db)
    m = MULTIPLIERS.c
    query = select(
        m.round_id,
        m.multiplier,
        m.timestamp,
        m.is_crash,
        m.is_cashout,
        m.ocr_confidence,
        m.data_quality_score,
        m.multiplier_kind,
        m.is_max,
        m.bot_id,
        m.session_id,
        m.platform_code,
        m.round_number,
    ).where(m.game_name == game_name)
    if bot_id is not None:
        query = query.where(m.bot_id == bot_id)
    query = query.order_by(m.timestamp.desc(), m.id.desc()).limit(limit)
    with database.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "round_id": str(r.round_id),
            "multiplier": mult(r.multiplier),
            "timestamp": iso(r.timestamp),
            "is_crash": bool(r.is_crash),
            "is_cashout": bool(r.is_cashout),
            "ocr_confidence": mult(r.ocr_confidence),
            "quality_score": mult(r.data_quality_score),
            "multiplier_kind": r.multiplier_kind,
            "is_max": bool(r.is_max),
            "bot_id": r.bot_id,
            "session_id": r.session_id,
            "platform_code": r.platform_code,
            "round_number": r.round_number,
        }
        for r in rows
    ]
