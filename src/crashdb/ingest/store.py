"""The one write path: validated records into the database, in one transaction.

Every entry point ends here: the ``log_*`` functions and ``log_batch_rounds``
(:mod:`crashdb.api`), the RoundWriter's group commits, ``crashdb import``, the simulator (through
those) and the HTTP collector. :func:`write_records` runs one transaction;
:func:`write_in` does the same work inside a transaction the caller holds (an all-or-nothing
import of many chunks).

Order of work inside the transaction:

1. register the bots and sessions the records name and the database does not know yet
   (``INSERT ... ON CONFLICT DO NOTHING`` in sorted key order, so that concurrent writers
   cannot deadlock on each other); auto-registered bots have ``auto_registered = true``;
   rounds without a strategy take the bot's;
2. write the records, grouped by kind (see :func:`_groups`), one statement per group: rounds
   with :func:`~crashdb.ingest.tables.insert_rows`, or COPY past :data:`COPY_THRESHOLD` rounds
   on PostgreSQL (:mod:`crashdb.ingest.copy`); every insert ``ON CONFLICT DO NOTHING``;
3. when fewer rows were new than written, compare the others with what is stored
   (:mod:`crashdb.ingest.conflicts`): identical is a replay, anything else is
   :class:`~crashdb.ConflictingRecord` and the transaction is rolled back.

Analytics, error and OCR records that name a round are completed from it (bot, session, game,
round number, time; an outcome's result, profit, stake and strategy) and checked against it;
a ``round_id`` that names no round, or a given value the round contradicts, is
:class:`~crashdb.InvalidRecord`. Derived columns (an outcome's ROI, the date and hour buckets)
are computed here, from the final values, with the rules of :mod:`crashdb.ingest.rules`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from crashdb.db.engine import Database
from crashdb.db.folds import fold_after_write, wait_for_fold
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.columnar import RoundStream, gc_paused
from crashdb.ingest.conflicts import Candidate, check_stored, compare_repeats, dedupe
from crashdb.ingest.copy import copy_rounds
from crashdb.ingest.fields import OUTCOME_RULES
from crashdb.ingest.records import (
    Record,
    RoundRecord,
    SessionStartRecord,
    SessionUpdateRecord,
)
from crashdb.ingest.registry import Known, WriteResult, known_for, register, run_write
from crashdb.ingest.rules import roi_percent
from crashdb.ingest.tables import (
    COLUMNS,
    ROUNDS,
    SESSIONS,
    TABLE_OF,
    insert_rows,
    record_columns,
    round_row,
    round_tuple,
)
from crashdb.ingest.values import BadValue

__all__ = ["COPY_THRESHOLD", "WriteResult", "write_in", "write_records"]

COPY_THRESHOLD = 200  # round batches at least this large use COPY on PostgreSQL
Batch = Sequence[Record] | RoundStream


def write_records(db: Database, records: Batch) -> WriteResult:
    """Write ``records`` in one transaction, in order, idempotently (see the module doc).

    Raises :class:`~crashdb.InvalidRecord` for records the database contradicts (a missing
    round, a value the round disagrees with), :class:`~crashdb.ConflictingRecord` for a key
    stored with other content, and SQLAlchemy's ``OperationalError`` / ``DBAPIError`` when
    the database is unreachable; nothing is written then. SQLite "database is locked" errors
    are retried with backoff.
    """
    if not isinstance(records, RoundStream) and not records:
        return WriteResult()
    if isinstance(records, RoundStream):
        # One bulk load after the other's fold, as when the fold ran in the caller's thread.
        wait_for_fold(db.engine)
    known = known_for(db)
    try:
        written = run_write(db, lambda conn: write_in(conn, db.backend, records, known))
    except IntegrityError:
        if not (known.bots or known.sessions):
            raise
        known.clear()  # perhaps stale (database recreated): register again, once
        written = run_write(db, lambda conn: write_in(conn, db.backend, records, known))
    # --- analytics summaries: a bulk statement left its runs to be folded (PostgreSQL)
    fold_after_write(db.engine, written.inserted.get("round", 0))
    return written


def write_in(
    conn: Connection, backend: str, records: Batch, known: Known | None = None
) -> WriteResult:
    """:func:`write_records` inside the caller's transaction (which it must roll back when
    this raises)."""
    result = WriteResult()
    if isinstance(records, RoundStream):
        bulk = backend == "postgresql" and len(records) >= COPY_THRESHOLD
        strategies = register(
            conn, backend, records.heads, (), result, known, lock_sessions=not bulk
        )
        # Validating and writing a batch builds objects that all live until it is written.
        with gc_paused():
            if bulk:
                result.add("round", copy_rounds(conn, records.rows(), strategies))
            else:
                _write_rounds(conn, backend, records, len(records), strategies, result)
        return result
    rounds = [r for r in records if isinstance(r, RoundRecord)]
    strategies = register(conn, backend, rounds, records, result, known, lock_sessions=True)
    numbered = len(records) > 1
    for kind, indices in _groups(records):
        items = [(i if numbered else None, records[i]) for i in indices]
        if kind == "round":
            _write_rounds(conn, backend, items, len(items), strategies, result)  # type: ignore[arg-type]
        elif kind == "session_start":
            for _, rec in items:
                _upsert_session(conn, backend, rec)  # type: ignore[arg-type]
                result.add("session_start", 1)
        elif kind == "session_update":
            for _, rec in items:
                result.sessions_updated += _update_session(conn, rec)  # type: ignore[arg-type]
        else:
            _write_linked(conn, kind, items, result)
    return result


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


# --------------------------------------------------------------------------- rounds


def round_candidate(row: int | None, rec: RoundRecord) -> Candidate:
    """What a round says, for comparison with a stored round of the same key."""
    return row, record_columns(rec), rec.defaulted


def _write_rounds(
    conn: Connection,
    backend: str,
    items: Iterable[tuple[int | None, RoundRecord]],
    count: int,
    strategies: Mapping[str, str | None],
    result: WriteResult,
) -> None:
    if backend == "postgresql" and count >= COPY_THRESHOLD:
        rows = ((i, round_row(rec)) for i, rec in items)
        result.add("round", copy_rounds(conn, rows, strategies))
        return
    firsts, repeats = dedupe(items)
    new = insert_rows(conn, ROUNDS, [round_tuple(rec, strategies) for _, rec in firsts.values()])
    result.add("round", new)
    compare_repeats("round", firsts, repeats)
    if new < len(firsts):
        check_stored(conn, ROUNDS, "round", [round_candidate(i, r) for i, r in firsts.values()])


# --------------------------------------------------------------------------- linked records

_ROUND_FACTS = (
    ROUNDS.c.id,
    ROUNDS.c.bot_id,
    ROUNDS.c.session_id,
    ROUNDS.c.round_number,
    ROUNDS.c.game_name,
    ROUNDS.c.platform_code,
    ROUNDS.c.strategy_name,
    ROUNDS.c.stake_value,
    ROUNDS.c.profit_loss,
    ROUNDS.c.round_outcome,
    ROUNDS.c.round_start_timestamp,
)
_IDENTITY = ("bot_id", "session_id", "round_number")  # given and contradicted: an error
_FILLED = ("game_name", "platform_code")  # taken from the round when left out


def _rounds_of(conn: Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    wanted = sorted(set(ids))
    found: dict[uuid.UUID, Any] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        # FOR KEY SHARE (PostgreSQL): a round a record links to cannot be deleted (crashdb
        # cleanup) before this transaction commits, so the insert never meets a raw
        # foreign-key violation; the lock is the one the foreign key check takes anyway.
        q = select(*_ROUND_FACTS).where(ROUNDS.c.id.in_(chunk))
        for r in conn.execute(q.with_for_update(read=True, key_share=True)):
            found[r.id] = r
    return found


def _complete(
    kind: str, row: dict[str, Any], src: Any, at: int | None, errors: list[FieldError]
) -> None:
    """Fill what a linked record left out from its round, and check what it gave."""
    table = TABLE_OF[kind]
    for name in _IDENTITY:
        given = row.get(name)
        mine = getattr(src, name)
        if given is None:
            row[name] = mine
        elif given != mine:
            errors.append(FieldError(name, f"{given!r} is not the round's {name} ({mine!r})", at))
    for name in _FILLED:
        if name in table.c and row.get(name) is None:
            row[name] = getattr(src, name)
    if "timestamp" in row and row["timestamp"] is None:
        row["timestamp"] = src.round_start_timestamp
    if kind != "outcome":
        return
    for mine, theirs in (("outcome", "round_outcome"), ("profit_loss", "profit_loss")):
        value = getattr(src, theirs)
        if row.get(mine) is None:
            row[mine] = value
        elif row[mine] != value:
            errors.append(
                FieldError(mine, f"{row[mine]} does not match the round's {theirs} ({value})", at)
            )
    if row.get("bet_amount") is None:
        row["bet_amount"] = src.stake_value
    if row.get("strategy_name") is None:
        row["strategy_name"] = src.strategy_name


def _derive_outcome(row: dict[str, Any], at: int | None, errors: list[FieldError]) -> None:
    """An outcome's ROI on its bet, derived from the final profit and bet amount."""
    profit, bet = row.get("profit_loss"), row.get("bet_amount")
    if profit is None or bet is None or bet <= 0:
        return
    try:
        roi: Decimal = OUTCOME_RULES["roi_percent"].check_derived(roi_percent(profit, bet))
    except BadValue as exc:
        errors.append(FieldError("roi_percent", str(exc), at))
        return
    given = row.get("roi_percent")
    if given is not None and given != roi:
        errors.append(
            FieldError(
                "roi_percent", f"{given} does not match profit_loss / bet_amount * 100 = {roi}", at
            )
        )
    row["roi_percent"] = roi


def _write_linked(
    conn: Connection, kind: str, items: Sequence[tuple[int | None, Record]], result: WriteResult
) -> None:
    """Analytics, error and OCR records: complete from their rounds, derive, insert."""
    table = TABLE_OF[kind]
    rows = [record_columns(rec) for _, rec in items]
    sources = _rounds_of(conn, (r["round_id"] for r in rows if r.get("round_id") is not None))
    errors: list[FieldError] = []
    for (at, _), row in zip(items, rows, strict=True):
        rid = row.get("round_id")
        if rid is not None:
            src = sources.get(rid)
            if src is None:
                errors.append(FieldError("round_id", f"no round with id {rid}", at))
                continue
            _complete(kind, row, src, at, errors)
        if kind == "outcome":
            _derive_outcome(row, at, errors)
        if "date_bucket" in table.c:
            row["date_bucket"] = row["timestamp"].date()
        if "hour_bucket" in table.c:
            row["hour_bucket"] = row["timestamp"].hour
    if errors:
        raise InvalidRecord(errors, kind)
    columns = COLUMNS[table.name]
    firsts: dict[uuid.UUID, tuple[int | None, Record]] = {}
    repeats: list[tuple[int | None, Record]] = []
    unique: list[dict[str, Any]] = []
    candidates: list[Candidate] = []
    for (at, rec), row in zip(items, rows, strict=True):
        if rec.id in firsts:
            repeats.append((at, rec))
            continue
        firsts[rec.id] = (at, rec)
        unique.append(row)
        candidates.append((at, row, rec.defaulted))
    new = insert_rows(conn, table, [tuple(r.get(c) for c in columns) for r in unique])
    result.add(kind, new)
    compare_repeats(kind, firsts, repeats)
    if new < len(unique):
        check_stored(conn, table, kind, candidates)


# --------------------------------------------------------------------------- sessions


def _upsert_session(conn: Connection, backend: str, rec: SessionStartRecord) -> None:
    """Create the session, or complete one that rounds registered (explicit values win,
    status and totals are left alone so that a replay cannot reopen a closed session)."""
    row = record_columns(rec)
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
