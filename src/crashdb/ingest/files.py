"""``crashdb import FILE``: load round history from CSV, JSON Lines or Parquet.

Each record of the file is one round with the keywords of ``log_crash_round`` as columns
(``metadata`` as a JSON object, or JSON text in CSV). Rows are validated like every other
round and written in chunks with the bulk path of :func:`crashdb.log_batch_rounds` (COPY on
PostgreSQL, ``executemany`` on SQLite).

* **all-or-nothing** (default): one transaction for the whole file; one bad row and nothing
  is written (every bad row of the file is reported, up to :data:`MAX_ERRORS`).
* **resumable**: one transaction per chunk; a bad row stops the import after the chunks
  before it were committed. Rows already stored are skipped (idempotency key), so running the
  import again after fixing the file completes it without duplicates.

Rows are numbered from 1 (the first data row / line of the file) in error messages.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from crashdb.db.engine import Database
from crashdb.exceptions import ConflictingRecord, FieldError, InvalidRecord
from crashdb.ingest.columnar import RoundStream
from crashdb.ingest.registry import run_write
from crashdb.ingest.rounds import validate_round_rows
from crashdb.ingest.store import write_in

__all__ = ["FORMATS", "ImportResult", "count_rows", "import_rounds", "read_chunks"]

FORMATS = ("csv", "jsonl", "parquet")
MAX_ERRORS = 100
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass
class ImportResult:
    rows: int = 0  # rows read and validated
    inserted: int = 0  # rows that were new
    chunks_committed: int = 0

    @property
    def skipped(self) -> int:
        """Rows that were already stored."""
        return self.rows - self.inserted


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
        return fmt
    try:
        return _SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"cannot tell the format of {path.name!r} from its suffix: pass --format"
        ) from None


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
    """A file row as round keywords. In CSV an empty cell is "not given" and ``metadata`` is
    JSON text; Parquet carries ``metadata`` as JSON text too; JSON Lines values are as typed."""
    out = {}
    for k, v in row.items():
        if v is None or (fmt == "csv" and v == ""):
            continue
        if k in ("metadata", "round_metadata"):
            if isinstance(v, str) and fmt != "jsonl":
                with contextlib.suppress(json.JSONDecodeError):  # else: "expected a dict"
                    v = json.loads(v)
            v = _plain_json(v)
        out[k] = v
    return out


def read_chunks(path: Path, fmt: str, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    """The file's rows as round keyword dicts, ``chunk_size`` at a time."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size):
            yield [_clean(r, fmt) for r in batch.to_pylist()]
        return
    with path.open(newline="", encoding="utf-8") as f:
        rows: Iterator[dict[str, Any]]
        if fmt == "csv":
            rows = csv.DictReader(f)
        else:
            rows = (json.loads(line, parse_float=Decimal) for line in f if line.strip())
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(_clean(row, fmt) if isinstance(row, dict) else row)
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def count_rows(path: Path, fmt: str) -> int:
    """Rows in the file (for the progress bar)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as f:
        lines = sum(1 for line in f if line.strip())
    return max(lines - 1, 0) if fmt == "csv" else lines


def write_chunk(conn: Connection, backend: str, chunk: list[dict[str, Any]], first_row: int) -> int:
    """Validate and write one chunk inside ``conn``'s transaction; returns rows inserted."""
    return write_in(conn, backend, RoundStream(chunk, first_row, MAX_ERRORS)).inserted.get(
        "round", 0
    )


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
    fmt = detect_format(path, fmt)
    result = ImportResult()
    chunks = read_chunks(path, fmt, chunk_size)
    if resumable:
        for chunk in chunks:
            first = result.rows + 1

            def one(
                conn: Connection, chunk: list[dict[str, Any]] = chunk, first: int = first
            ) -> int:
                return write_chunk(conn, db.backend, chunk, first)

            result.inserted += run_write(db, one)
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

    return run_write(db, everything)
