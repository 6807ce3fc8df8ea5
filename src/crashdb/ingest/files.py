"""``crashdb import FILE``: load round history from CSV, JSON Lines or Parquet.

Each record of the file is one round with the keywords of ``log_crash_round`` as columns
(``metadata`` as a JSON object, or JSON text in CSV and Parquet), optionally with the round's
``id`` (checked against its key): exactly the columns a round export (``crashdb export``)
writes, so an export loads back as the same rows. ``created_at`` / ``updated_at`` are refused:
the database fills them in. A column nobody accepts is reported once, before anything is
written. Rows are validated like every other round and written in chunks with the bulk path
of :func:`crashdb.log_batch_rounds` (COPY on PostgreSQL, ``executemany`` on SQLite).

Formats come from the suffix: ``.csv``; ``.jsonl``, ``.ndjson`` and ``.json`` (JSON Lines,
one object per line, as ``crashdb export x.json`` writes); ``.parquet`` and ``.pq``.

* **all-or-nothing** (default): one transaction for the whole file; one bad row and nothing
  is written (every bad row of the file is reported, up to :data:`MAX_ERRORS`).
* **resumable**: one transaction per chunk; a bad row stops the import after the chunks
  before it were committed. Rows already stored are skipped (idempotency key), so running the
  import again after fixing the file completes it without duplicates.

CSV: an empty cell is "not given"; a quoted empty cell (``""``) is an empty text. A text cell
starting with apostrophes and then one of :data:`FORMULA_START` has one apostrophe removed:
the export adds it so that spreadsheets do not run the cell as a formula.

A file that cannot be read (malformed JSON, a damaged Parquet file, a CSV row with the wrong
number of cells, text that is not UTF-8) is one :class:`~crashdb.InvalidRecord` naming the
line or row. Rows are numbered from 1 (the first data row / line of the file) in errors.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.engine import Connection

from crashdb.db.engine import Database
from crashdb.db.folds import fold_after_write, wait_for_fold
from crashdb.db.models import CrashGameRound
from crashdb.exceptions import ConflictingRecord, FieldError, InvalidRecord
from crashdb.ingest.columnar import RoundStream
from crashdb.ingest.fields import field_name, unknown_reason
from crashdb.ingest.registry import run_write
from crashdb.ingest.rounds import ROUND_LOOKUP, validate_round_rows
from crashdb.ingest.store import write_in

__all__ = [
    "FORMATS",
    "FORMULA_START",
    "ImportResult",
    "count_rows",
    "detect_format",
    "format_of",
    "import_rounds",
    "read_chunks",
]

FORMATS = ("jsonl", "csv", "parquet")
MAX_ERRORS = 100
SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# A spreadsheet runs a cell starting with one of these as a formula (OWASP's list, plus the
# full-width forms some spreadsheets fold to them).
FORMULA_START = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
_DEFUSED = re.compile("^'+[" + re.escape(FORMULA_START) + "]")
ACCEPTED = frozenset(ROUND_LOOKUP) | {"id"}
_TEXT_COLUMNS = frozenset(
    c.name for c in CrashGameRound.__table__.columns if isinstance(c.type, String | Text)
)
_JSON_KEYS = ("metadata", "round_metadata")


@dataclass
class ImportResult:
    rows: int = 0  # rows read and validated
    inserted: int = 0  # rows that were new
    chunks_committed: int = 0

    @property
    def skipped(self) -> int:
        """Rows that were already stored."""
        return self.rows - self.inserted


def format_of(path: Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else the format the suffix names (``.json`` is JSON Lines)."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
        return fmt
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"cannot tell the format of {path.name!r} from its suffix "
            f"({', '.join(SUFFIXES)}): pass --format"
        ) from None


detect_format = format_of


def _plain_json(value: Any) -> Any:
    """JSON numbers read as Decimal (JSON Lines) back to floats inside metadata."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v) for v in value]
    return value


def _clean(row: dict[str, Any], fmt: str) -> dict[str, Any]:
    """A file row as ``log_crash_round`` keywords. A null is "not given". CSV and Parquet carry
    ``metadata`` as JSON text, and in CSV an empty cell of a number, time or flag column is
    "not given" and a cell defused against spreadsheet formulas (``'=...``) is read back as it
    was. JSON Lines values are taken as typed, like a bot's arguments."""
    out = {}
    for k, v in row.items():
        if v is None:
            continue
        if isinstance(v, str) and fmt == "csv":
            if v == "" and k not in _TEXT_COLUMNS:
                continue
            if _DEFUSED.match(v):
                v = v[1:]
        if k in _JSON_KEYS:
            if isinstance(v, str) and fmt != "jsonl":
                with contextlib.suppress(json.JSONDecodeError):  # else: "expected a dict"
                    v = json.loads(v)
            v = _plain_json(v)
        out[k] = v
    return out


def _check_columns(names: list[str], path: Path) -> None:
    """Every column must be one the import accepts: each stranger reported once, for the
    whole file, with the reason a ``log_crash_round`` call would get."""
    errors = [
        FieldError(field_name(name), unknown_reason(name))
        for name in dict.fromkeys(names)
        if name not in ACCEPTED
    ]
    if errors:
        raise InvalidRecord(errors, f"file {path.name}")


def _bad_file(path: Path, reason: str, line: int | None = None) -> InvalidRecord:
    field = f"line {line}" if line is not None else "file"
    return InvalidRecord([FieldError(field, reason)], f"file {path.name}")


def _chunked(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parquet_rows(path: Path, chunk_size: int) -> Iterator[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        _check_columns(file.schema_arrow.names, path)
        for batch in file.iter_batches(batch_size=chunk_size):
            for r in batch.to_pylist():
                yield _clean(r, "parquet")
    except (pa.ArrowException, OSError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise _bad_file(path, f"not a readable Parquet file ({exc})") from None


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            return next(csv.reader(f), [])
    except UnicodeDecodeError:
        raise _bad_file(path, "not UTF-8 text", 1) from None
    except csv.Error as exc:
        raise _bad_file(path, f"malformed CSV header ({exc})", 1) from None


def _csv_rows(path: Path, chunk_size: int) -> Iterator[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    names = _csv_header(path)
    if not names:
        return
    _check_columns(names, path)
    options = pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=True,  # an empty cell: not given
        quoted_strings_can_be_null=False,  # "": an empty text
    )
    seen = 0
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=1 << 20),
            convert_options=options,
        )
        for batch in reader:
            for r in batch.to_pylist():
                seen += 1
                yield _clean(r, "csv")
    except pa.ArrowException as exc:
        raise _bad_file(path, f"malformed CSV near data row {seen + 1} ({exc})") from None


def _jsonl_rows(path: Path) -> Iterator[Any]:
    with path.open(encoding="utf-8") as f:
        line_no = 0
        try:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line, parse_float=Decimal)
                except RecursionError:
                    raise _bad_file(path, "JSON nested too deeply", line_no) from None
                except json.JSONDecodeError as exc:
                    hint = (
                        ": .json files are read as JSON Lines (one object per line), not as "
                        "one JSON array"
                        if line_no == 1 and line.lstrip().startswith("[")
                        else ""
                    )
                    raise _bad_file(
                        path, f"not valid JSON ({exc.msg} at column {exc.colno}){hint}", line_no
                    ) from None
                if isinstance(value, dict):
                    _check_columns(list(value), path)
                    value = _clean(value, "jsonl")
                elif isinstance(value, list) and line_no == 1:
                    raise _bad_file(
                        path,
                        "a JSON array: .json files are read as JSON Lines (one object per line)",
                        line_no,
                    )
                yield value
        except UnicodeDecodeError:
            raise _bad_file(path, "not UTF-8 text", line_no + 1) from None


def read_chunks(path: Path, fmt: str, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    """The file's rows as round keyword dicts, ``chunk_size`` at a time."""
    rows: Iterator[Any]
    if fmt == "parquet":
        rows = _parquet_rows(path, chunk_size)
    elif fmt == "csv":
        rows = _csv_rows(path, chunk_size)
    else:
        rows = _jsonl_rows(path)
    yield from _chunked(rows, chunk_size)


def count_rows(path: Path, fmt: str) -> int:
    """Rows in the file (for the progress bar; 0 when that cannot be told cheaply)."""
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except pa.ArrowException:
            return 0  # read_chunks names the problem
    with path.open("rb") as f:
        lines = sum(1 for line in f if line.strip())
    return max(lines - 1, 0) if fmt == "csv" else lines


def write_chunk(conn: Connection, backend: str, chunk: list[dict[str, Any]], first_row: int) -> int:
    """Validate and write one chunk inside ``conn``'s transaction; returns rows inserted."""
    result = write_in(conn, backend, RoundStream(chunk, first_row, MAX_ERRORS))
    return result.inserted.get("round", 0)


def import_rounds(
    db: Database,
    path: Path,
    *,
    fmt: str | None = None,
    resumable: bool = False,
    chunk_size: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import the rounds in ``path`` (see the module doc); ``progress(n)`` after each chunk."""
    fmt = format_of(path, fmt)
    result = ImportResult()
    chunks = read_chunks(path, fmt, chunk_size)
    if resumable:
        for chunk in chunks:
            first = result.rows + 1

            def one(
                conn: Connection, chunk: list[dict[str, Any]] = chunk, first: int = first
            ) -> int:
                return write_chunk(conn, db.backend, chunk, first)

            wait_for_fold(db.engine)
            inserted = run_write(db, one)
            fold_after_write(db.engine, inserted)
            result.inserted += inserted
            result.rows += len(chunk)
            result.chunks_committed += 1
            if progress:
                progress(len(chunk))
        return result

    def everything(conn: Connection) -> ImportResult:
        res = ImportResult()
        errors: list[FieldError] = []
        for chunk in chunks:
            first = res.rows + 1
            if not errors:
                try:
                    res.inserted += write_chunk(conn, db.backend, chunk, first)
                except ConflictingRecord:
                    raise
                except InvalidRecord as exc:
                    errors.extend(exc.errors)
            else:  # already failing: only validate, to report every bad row
                try:
                    validate_round_rows(chunk, first)
                except InvalidRecord as exc:
                    errors.extend(exc.errors)
            res.rows += len(chunk)
            if progress:
                progress(len(chunk))
            if len(errors) >= MAX_ERRORS:
                break
        if errors:
            raise InvalidRecord(errors[:MAX_ERRORS], f"rows in {path.name}")
        res.chunks_committed = 1
        return res

    wait_for_fold(db.engine)
    done = run_write(db, everything)
    fold_after_write(db.engine, done.inserted)
    return done
