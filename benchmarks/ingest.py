"""Ingest benchmark: log_batch_rounds vs a raw psycopg COPY vs one transaction per round.

Same rows, same table, one run, on PostgreSQL. Creates and drops its own database on the
server at ``CRASHDB_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/
postgres``).

* **raw COPY** (the baseline): psycopg 3 ``COPY crash_game_rounds FROM STDIN`` of the rows,
  already converted to column tuples (no validation, no idempotency), then COMMIT.
* **log_batch_rounds**: the seed-style dicts in, validated (every check of
  :mod:`crashdb.ingest`), ids derived, bots/sessions registered, COPY, COMMIT. Like the raw
  COPY it returns with the load's runs stale; their summary fold then runs in the background.
  For reference, both are also timed with that fold: raw COPY + ``fold_pending`` against
  log_batch_rounds + ``wait_for_fold``.
* **one transaction per round** (the seed's design), on a smaller sample, the way the seed's
  ``log_crash_round`` worked: open ``session_scope()``, look the bot up in
  ``bot_vm_registration`` (the original returned None, and logged nothing, for a bot it could
  not find), add the ORM row, flush to get its id, commit. The target is judged against this.
  For transparency the bare variant (add + commit, no bot lookup, no flush) is printed too.

Each timed phase starts from an empty ``crash_game_rounds`` (TRUNCATE + CHECKPOINT); the
throughputs are medians over ``--repeat`` runs. Targets: log_batch_rounds >= 0.85x raw COPY
and >= 25x one transaction per round.

    python benchmarks/ingest.py [--rows 100000] [--sample 2000] [--repeat 3]

What the summaries cost a bulk load (``--summaries``, issue 11):

* **COPY into the full schema vs the same COPY with user triggers disabled**, PostgreSQL: the
  same pre-built rows (60,000 rounds over 40 bot sessions by default), the same table and
  indexes; the only difference is the statement-level triggers that keep the summaries
  (crashdb.db.summaries). Target >= 0.85x.
* **SQLite 1M-round load vs a plain executemany**: the same tuples into the same tables and
  indexes, in one transaction; crashdb's load folds the rounds into the summaries before the
  COMMIT (what its engine does on every commit), the plain one does not. Target >= 0.6x.

    python benchmarks/ingest.py --summaries [--copy-rows 60000] [--sqlite-rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from crashdb import Database, DatabaseConnection, log_batch_rounds, log_crash_round
from crashdb.db.folds import fold_pending, wait_for_fold
from crashdb.db.models import BotVMRegistration, CrashGameRound
from crashdb.ingest.copy import copy_rows, raw_connection
from crashdb.ingest.rounds import build_round, validate_round_rows
from crashdb.ingest.tables import ROUND_COLUMNS, round_tuple

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BOTS = 8


def make_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Seed-style round dicts (what a bot passes to log_crash_round), ``BOTS`` bots."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stake = Decimal("10.00")
    target = Decimal("1.33")
    rows = []
    balance = {b: Decimal("100000.00") for b in range(BOTS)}
    for i in range(n):
        bot = i % BOTS
        crash = Decimal(str(round(max(1.0, 0.97 / max(rng.random(), 1e-6)), 2)))
        win = crash >= target
        profit = (target - 1) * stake if win else -stake
        before = balance[bot]
        balance[bot] = before + profit
        rows.append(
            {
                "bot_id": f"bench_bot_{bot:02d}",
                "session_id": "bench_session",
                "game_name": "aviator",
                "platform_code": "dafabet",
                "round_number": i // BOTS + 1,
                "stake_value": stake,
                "target_multiplier": target,
                "crash_multiplier": crash,
                "cashout_multiplier": target if win else None,
                "round_outcome": "WIN" if win else "LOSS",
                "profit_loss": profit,
                "running_balance_before": before,
                "running_balance_after": balance[bot],
                "ocr_text": f"{crash}x",
                "ocr_confidence": 0.95,
                "strategy_name": "compound_1.33x",
                "round_start_timestamp": start + timedelta(seconds=10 * i),
                "metadata": {"strategy": "compound_1.33x", "prediction_correct": win},
            }
        )
    return rows


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def reset(db: Database) -> None:
    wait_for_fold(db.engine)  # a fold log_batch_rounds left running (not timed)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE crash_game_rounds CASCADE")
        conn.exec_driver_sql(
            "UPDATE session_logs SET total_rounds = 0, total_wins = 0, total_losses = 0, "
            "total_profit = 0, last_round_number = NULL"
        )
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("CHECKPOINT")


def count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM crash_game_rounds").scalar_one())


def timed(db: Database, n_expected: int, fn: Callable[[], None]) -> float:
    reset(db)
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    got = count(db)
    if got != n_expected:
        raise SystemExit(f"expected {n_expected} rows after the run, found {got}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000, help="rows for 1 txn/round")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--single", type=int, default=2_000, help="single calls to time")
    parser.add_argument("--summaries", action="store_true", help="the summaries' cost only")
    parser.add_argument("--copy-rows", type=int, default=60_000)
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.summaries:
        return summaries_cost(args)

    server = os.environ.get("CRASHDB_BENCH_POSTGRES_URL", DEFAULT_SERVER)
    name = f"crashdb_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(make_url(server).set(database=name))
    try:
        return run(db, args)
    finally:
        db.dispose()
        with psycopg.connect(libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(db: Database, args: argparse.Namespace) -> int:
    db.init_db()
    rows = make_rows(args.rows)
    # Register the bots and their session once (all phases need them for the foreign keys).
    log_batch_rounds(rows[:BOTS], db=db)

    # Baseline: a raw COPY of the same rows, as a developer would write it without crashdb:
    # each dict becomes a tuple (an id, the values, the metadata as JSON text) fed to COPY.
    # No validation, no derived columns, no idempotency.
    keys = list(rows[0])
    copy_columns = ["id", *keys]
    meta_at = copy_columns.index("metadata")

    def raw_copy() -> None:
        with db.engine.connect() as conn:
            raw = raw_connection(conn)

            def tuples() -> Iterator[tuple[Any, ...]]:
                for r in rows:
                    values = [uuid.uuid4(), *(r[k] for k in keys)]
                    values[meta_at] = json.dumps(values[meta_at])
                    yield tuple(values)

            copy_rows(raw, "crash_game_rounds", copy_columns, tuples())
            raw.commit()

    # For reference: the raw COPY plus the summary fold it leaves due (a COPY of this size
    # leaves its runs to the fold that crashdb's write path runs right after the commit).
    def raw_copy_and_fold() -> None:
        raw_copy()
        fold_pending(db.engine)

    # For reference: COPY of tuples prepared before the clock starts (server-bound floor).
    prepared = validate_round_rows(rows)
    i_meta = ROUND_COLUMNS.index("metadata")
    ready = []
    for r in prepared:
        values = list(round_tuple(r, {}))
        values[i_meta] = json.dumps(values[i_meta]) if values[i_meta] is not None else None
        ready.append(tuple(values))

    def prebuilt_copy() -> None:
        with db.engine.connect() as conn:
            raw = raw_connection(conn)
            copy_rows(raw, "crash_game_rounds", ROUND_COLUMNS, ready)
            raw.commit()

    def batch() -> None:
        log_batch_rounds(rows, db=db)

    def batch_and_fold() -> None:
        log_batch_rounds(rows, db=db)
        wait_for_fold(db.engine)

    sample = rows[: args.sample]

    def orm_kwargs(r: dict[str, Any]) -> dict[str, Any]:
        kw = dict(r)
        kw["round_metadata"] = kw.pop("metadata")
        kw["id"] = uuid.uuid5(uuid.NAMESPACE_OID, f"{r['bot_id']}/{r['round_number']}")
        return kw

    def seed_logger() -> None:
        # The seed's log_crash_round, call by call: its own session and transaction, a lookup
        # of the bot's registration, the insert, a flush for the id, the commit.
        for r in sample:
            with db.session_scope() as session:
                bot = session.scalars(
                    select(BotVMRegistration).where(BotVMRegistration.bot_id == r["bot_id"])
                ).first()
                if bot is None:
                    raise SystemExit(f"bot {r['bot_id']} is not registered")
                row = CrashGameRound(bet_slot=1, **orm_kwargs(r))
                session.add(row)
                session.flush()
                assert row.id is not None

    def bare_txn_per_round() -> None:
        # The least a one-transaction-per-round design can do: add + commit.
        for r in sample:
            with db.session_scope() as session:
                session.add(CrashGameRound(bet_slot=1, **orm_kwargs(r)))

    results: dict[str, list[float]] = {
        "raw": [],
        "raw_fold": [],
        "prebuilt": [],
        "batch": [],
        "batch_fold": [],
        "per_round": [],
        "bare": [],
    }
    load_before = os.getloadavg()[0]
    for i in range(args.repeat):
        results["raw"].append(args.rows / timed(db, args.rows, raw_copy))
        results["batch"].append(args.rows / timed(db, args.rows, batch))
        results["batch_fold"].append(args.rows / timed(db, args.rows, batch_and_fold))
        results["prebuilt"].append(args.rows / timed(db, args.rows, prebuilt_copy))
        results["raw_fold"].append(args.rows / timed(db, args.rows, raw_copy_and_fold))
        if i % 2 == 0:
            results["per_round"].append(len(sample) / timed(db, len(sample), seed_logger))
            results["bare"].append(len(sample) / timed(db, len(sample), bare_txn_per_round))
    load_after = os.getloadavg()[0]

    raw = statistics.median(results["raw"])
    pre = statistics.median(results["prebuilt"])
    raw_fold = statistics.median(results["raw_fold"])
    bat = statistics.median(results["batch"])
    bat_fold = statistics.median(results["batch_fold"])
    per = statistics.median(results["per_round"])
    bare = statistics.median(results["bare"])
    print(f"crashdb ingest benchmark: {args.rows} rows, PostgreSQL, {len(ROUND_COLUMNS)} columns")
    print(
        f"  medians of {args.repeat} interleaved runs; {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} before / {load_after:.1f} after"
    )
    print(f"  raw psycopg COPY (baseline)     {raw:>10,.0f} rows/s  runs: {fmt(results['raw'])}")
    print(
        f"  COPY of pre-built tuples (ref)  {pre:>10,.0f} rows/s  runs: {fmt(results['prebuilt'])}"
    )
    raw_fold_runs = fmt(results["raw_fold"])
    print(f"  raw COPY + summary fold (ref)   {raw_fold:>10,.0f} rows/s  runs: {raw_fold_runs}")
    print(f"  log_batch_rounds                {bat:>10,.0f} rows/s  runs: {fmt(results['batch'])}")
    bf_runs = fmt(results["batch_fold"])
    print(f"  log_batch_rounds + fold (ref)   {bat_fold:>10,.0f} rows/s  runs: {bf_runs}")
    per_runs = fmt(results["per_round"])
    print(f"  seed's logger, 1 txn/round ({len(sample)}) {per:>7,.0f} rows/s  runs: {per_runs}")
    bare_runs = fmt(results["bare"])
    print(f"  bare add+commit per round (ref) {bare:>10,.0f} rows/s  runs: {bare_runs}")
    r1, r2, r3 = bat / raw, bat / per, bat / pre
    print(f"  log_batch_rounds / raw COPY     {r1:>10.2f}x  (target >= 0.85x) {ok(r1 >= 0.85)}")
    print(f"  log_batch_rounds / pre-built    {r3:>10.2f}x  (for reference)")
    print(f"  ... + fold / raw COPY + fold    {bat_fold / raw_fold:>10.2f}x  (for reference)")
    print(f"  log_batch_rounds / seed logger  {r2:>10.1f}x  (target >= 25x)   {ok(r2 >= 25)}")
    print(f"  log_batch_rounds / bare add+commit {bat / bare:>7.1f}x  (for reference)")
    single_ok = single_call(db, args.single)
    return 0 if r1 >= 0.85 and r2 >= 25 and single_ok else 1


def single_call(db: Database, n: int) -> bool:
    """One ``log_crash_round`` per round (the guide's bot loop, through the default database)
    against a raw psycopg ``INSERT`` + ``COMMIT`` of the same row, interleaved call by call."""
    reset(db)
    rows = make_rows(2 * n + 2, seed=11)
    ours = [
        dict(r, bot_id="single_bot", session_id="single_ours", round_number=i)
        for i, r in enumerate(rows[: n + 1])
    ]
    theirs = [
        dict(r, bot_id="single_bot", session_id="single_raw", round_number=i)
        for i, r in enumerate(rows[n + 1 :])
    ]
    DatabaseConnection.initialize(db.url)
    log_crash_round(**ours[0])  # registers the bot and the sessions: not timed
    log_crash_round(**theirs[0])
    i_meta = ROUND_COLUMNS.index("metadata")
    prepared = []
    for r in theirs[1:]:
        values = list(round_tuple(build_round(**r), {}))
        values[i_meta] = json.dumps(values[i_meta])
        prepared.append(tuple(values))
    sql = (
        f"INSERT INTO crash_game_rounds ({', '.join(ROUND_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(ROUND_COLUMNS))})"
    )
    mine: list[float] = []
    raw: list[float] = []
    with psycopg.connect(libpq(db.url.render_as_string(hide_password=False))) as pg:
        for kw, values in zip(ours[1:], prepared, strict=True):
            t0 = time.perf_counter()
            log_crash_round(**kw)
            t1 = time.perf_counter()
            pg.execute(sql, values)
            pg.commit()
            t2 = time.perf_counter()
            mine.append(t1 - t0)
            raw.append(t2 - t1)
    DatabaseConnection.close()
    p50, r50 = statistics.median(mine), statistics.median(raw)
    p99 = statistics.quantiles(mine, n=100)[98]
    r99 = statistics.quantiles(raw, n=100)[98]
    ratio = p50 / r50
    print(f"  single round, {n} calls each, interleaved (PostgreSQL):")
    print(f"  raw INSERT + COMMIT (baseline)  p50 {r50 * 1e3:7.3f} ms  p99 {r99 * 1e3:7.3f} ms")
    print(f"  log_crash_round                 p50 {p50 * 1e3:7.3f} ms  p99 {p99 * 1e3:7.3f} ms")
    print(f"  log_crash_round / raw INSERT    {ratio:10.2f}x  (target <= 1.5x)  {ok(ratio <= 1.5)}")
    return ratio <= 1.5


# --------------------------------------------------------------------------- summaries


SESSIONS = 40


def summary_rows(n: int, seed: int = 11) -> list[tuple[Any, ...]]:
    """``n`` rounds over ``SESSIONS`` bot sessions as ROUND_COLUMNS tuples (Python values)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stake = Decimal("10.0000")
    target = Decimal("1.33")
    balance = [Decimal("100000.0000")] * SESSIONS
    out = []
    for i in range(n):
        k = i % SESSIONS
        crash = Decimal(str(round(max(1.0, 0.97 / max(rng.random(), 1e-6)), 2)))
        win = crash >= target
        profit = (target - 1) * stake if win else -stake
        before = balance[k]
        balance[k] = before + profit
        ts = start + timedelta(seconds=10 * (i // SESSIONS))
        row = {
            "id": uuid.uuid4(),
            "bot_id": f"bench_bot_{k:02d}",
            "session_id": f"bench_session_{k:02d}",
            "game_name": ("aviator", "aviatrix", "jetx")[k % 3],
            "platform_code": ("dafabet", "fun88", "pmbetting")[k % 3],
            "round_external_id": f"r{i // SESSIONS}",
            "round_number": i // SESSIONS + 1,
            "bet_slot": 1,
            "round_start_timestamp": ts,
            "round_end_timestamp": ts + timedelta(seconds=8),
            "stake_value": stake,
            "target_multiplier": target,
            "strategy_name": "compound_1.33x",
            "crash_multiplier": crash,
            "cashout_multiplier": target if win else None,
            "round_outcome": "WIN" if win else "LOSS",
            "profit_loss": profit,
            "running_balance_before": before,
            "running_balance_after": balance[k],
            "ocr_confidence": Decimal("0.9500"),
            "is_simulated": False,
            "is_valid": True,
            "retry_count": 0,
        }
        out.append(tuple(row.get(c) for c in ROUND_COLUMNS))
    return out


def _parents(db: Database) -> None:
    from sqlalchemy import insert

    from crashdb.db.models import SessionLog

    with db.write_connection() as conn:
        conn.execute(
            insert(BotVMRegistration), [{"bot_id": f"bench_bot_{k:02d}"} for k in range(SESSIONS)]
        )
        conn.execute(
            insert(SessionLog),
            [
                {"bot_id": f"bench_bot_{k:02d}", "session_id": f"bench_session_{k:02d}"}
                for k in range(SESSIONS)
            ],
        )


def copy_trigger_cost(db: Database, rows: list[tuple[Any, ...]], repeat: int) -> float:
    """COPY into the full schema vs the same COPY with user triggers disabled (PostgreSQL)."""
    db.init_db()
    _parents(db)
    with db.engine.connect() as conn:
        indexes = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'crash_game_rounds'"
        ).scalar_one()

    def copy(disable: bool) -> None:
        with db.engine.connect() as conn:
            raw = raw_connection(conn)
            if disable:
                raw.execute("ALTER TABLE crash_game_rounds DISABLE TRIGGER USER")
            copy_rows(raw, "crash_game_rounds", ROUND_COLUMNS, rows)
            if disable:
                raw.execute("ALTER TABLE crash_game_rounds ENABLE TRIGGER USER")
            raw.commit()

    def copy_and_fold() -> None:
        copy(False)
        fold_pending(db.engine)  # what crashdb's write path runs right after the commit

    full: list[float] = []
    bare: list[float] = []
    folded: list[float] = []
    for _ in range(repeat):
        full.append(len(rows) / timed(db, len(rows), lambda: copy(False)))
        bare.append(len(rows) / timed(db, len(rows), lambda: copy(True)))
        folded.append(len(rows) / timed(db, len(rows), copy_and_fold))
    f, b = statistics.median(full), statistics.median(bare)
    print(
        f"PostgreSQL COPY of {len(rows):,} rounds over {SESSIONS} sessions "
        f"({indexes} indexes on crash_game_rounds), medians of {repeat}"
    )
    print(f"  COPY, user triggers disabled    {b:>10,.0f} rows/s  runs: {fmt(bare)}")
    print(f"  COPY into the full schema       {f:>10,.0f} rows/s  runs: {fmt(full)}")
    fo = statistics.median(folded)
    print(f"  ... + fold after commit (ref)   {fo:>10,.0f} rows/s  runs: {fmt(folded)}")
    ratio = f / b
    print(
        f"  full / triggers disabled        {ratio:>10.2f}x  (target >= 0.85x) {ok(ratio >= 0.85)}"
    )
    return ratio


def sqlite_load(n: int, repeat: int = 2) -> float:
    """SQLite: executemany + fold before COMMIT (crashdb) vs the plain executemany, each into a
    fresh database with the same schema; the two alternate, medians of ``repeat``."""
    import tempfile
    from pathlib import Path

    from crashdb.db.folds import fold_sqlite

    columns = ", ".join(f'"{c}"' for c in ROUND_COLUMNS)
    insert_sql = (
        f"INSERT INTO crash_game_rounds ({columns}) VALUES ({', '.join('?' * len(ROUND_COLUMNS))})"
    )
    rows = summary_rows(n)
    results: dict[str, list[float]] = {"plain": [], "crashdb": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeat):
            for mode in ("plain", "crashdb") if k % 2 == 0 else ("crashdb", "plain"):
                path = Path(tmp) / f"{mode}_{k}.sqlite3"
                db = Database(f"sqlite:///{path}")
                db.init_db()
                _parents(db)
                dialect = db.engine.dialect
                binders = [
                    CrashGameRound.__table__.c[c].type._cached_bind_processor(dialect)
                    for c in ROUND_COLUMNS
                ]
                tuples = [
                    tuple(v if p is None else p(v) for v, p in zip(r, binders, strict=True))
                    for r in rows
                ]
                raw = db.engine.raw_connection()
                try:
                    cur = raw.cursor()
                    t0 = time.perf_counter()
                    cur.execute("BEGIN IMMEDIATE")
                    cur.executemany(insert_sql, tuples)
                    if mode == "crashdb":
                        fold_sqlite(raw.driver_connection)
                    cur.execute("COMMIT")
                    results[mode].append(n / (time.perf_counter() - t0))
                    if mode == "crashdb":
                        got = cur.execute("SELECT sum(rounds) FROM run_summaries").fetchone()[0]
                        if got != n:
                            raise SystemExit(f"summaries hold {got} rounds, expected {n}")
                finally:
                    raw.close()
                    db.dispose()
                    path.unlink()
    plain, full = statistics.median(results["plain"]), statistics.median(results["crashdb"])
    ratio = full / plain
    print(f"SQLite load of {n:,} rounds in one transaction (same tuples, tables and indexes)")
    print(
        f"  plain executemany               {plain:>10,.0f} rows/s  runs: {fmt(results['plain'])}"
    )
    print(
        f"  crashdb (fold before COMMIT)    {full:>10,.0f} rows/s  runs: {fmt(results['crashdb'])}"
    )
    print(f"  crashdb / plain                 {ratio:>10.2f}x  (target >= 0.6x) {ok(ratio >= 0.6)}")
    return ratio


def summaries_cost(args: argparse.Namespace) -> int:
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    server = os.environ.get("CRASHDB_BENCH_POSTGRES_URL", DEFAULT_SERVER)
    name = f"crashdb_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq(server), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(make_url(server).set(database=name))
    try:
        copy_ratio = copy_trigger_cost(db, summary_rows(args.copy_rows), args.repeat)
    finally:
        db.dispose()
        with psycopg.connect(libpq(server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sqlite_ratio = sqlite_load(args.sqlite_rows, max(args.repeat - 1, 1))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0 if copy_ratio >= 0.85 and sqlite_ratio >= 0.6 else 1


def fmt(values: list[float]) -> str:
    return ", ".join(f"{v:,.0f}" for v in values)


def ok(flag: bool) -> str:
    return "OK" if flag else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
