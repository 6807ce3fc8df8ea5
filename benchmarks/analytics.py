"""Analytics at scale: load 100k then 1M (or 10M) rounds, time every get_* and a Parquet export.

Fleet: 40 bots on 3 games x 3 platforms (9 game-round streams that bots on the same platform
share, so the same game round is reported by several bots), 5 strategies, 4 sessions per bot,
signals on 10% of the rounds. Crash points follow P(crash >= x) = 0.97 / x.

Loading is COPY (psycopg) on PostgreSQL and executemany on SQLite, straight into the tables
(the summaries are kept by the insert trigger on PostgreSQL and folded before the commit on
SQLite, both inside the timed load): this measures the analytics, not the ingest path. Each
get_* is timed on its first call after the load, then warm (median of 3). PostgreSQL runs in
its own temporary database (created and dropped) on ``CRASHDB_BENCH_POSTGRES_URL``
(default: the local server).

Each function is also printed as a multiple of a baseline measured in the same run (one scan of
every round, ``x scan``): absolute times on a shared VM swing by +-50% between runs.

Usage: python benchmarks/analytics.py [--sizes 100000,1000000] [--backends sqlite,postgresql]
       [--no-export]   (10M: --sizes 1000000,10000000 --backends postgresql --no-export)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy.engine import make_url

from crashdb import Database, get_database_size
from crashdb.analytics import (
    get_bot_statistics,
    get_game_statistics,
    get_multiplier_distribution,
    get_session_summary,
    get_signal_effectiveness,
    get_strategy_performance,
)

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
GAMES = ("aviator", "aviatrix", "jetx")
PLATFORMS = ("dafabet", "fun88", "pmbetting")
STRATEGIES = {
    "compound_1.33x": 1.33,
    "martingale": 2.0,
    "fixed_stake": 1.5,
    "kelly_criterion": 2.0,
    "custom": 3.0,
}
N_BOTS = 40
SESSIONS_PER_BOT = 4
SIGNAL_SHARE = 0.10
RTP = 0.97
T0 = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = (
    "id",
    "bot_id",
    "session_id",
    "game_name",
    "platform_code",
    "round_external_id",
    "round_number",
    "bet_slot",
    "round_start_timestamp",
    "round_end_timestamp",
    "stake_value",
    "target_multiplier",
    "strategy_name",
    "crash_multiplier",
    "cashout_multiplier",
    "round_outcome",
    "profit_loss",
    "running_balance_before",
    "running_balance_after",
    "ocr_confidence",
)
SIGNAL_COLUMNS = (
    "id",
    "round_id",
    "round_number",
    "bot_id",
    "session_id",
    "game_name",
    "platform_code",
    "signal_type",
    "confidence_score",
    "target_multiplier",
    "timestamp",
    "date_bucket",
)


# --------------------------------------------------------------------------- data


def _decimal_array(units: np.ndarray, scale: int, precision: int) -> pa.Array:
    """Arrow decimal128 from integer units of 10^-scale (no Python objects)."""
    units = units.astype(np.int64)
    words = np.empty((len(units), 2), dtype=np.int64)
    words[:, 0] = units
    words[:, 1] = units >> 63
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), len(units), [None, pa.py_buffer(words.tobytes())]
    )


def generate(n_rounds: int, seed: int = 7) -> tuple[pa.Table, pa.Table, list[dict[str, Any]]]:
    """Rounds, signals (Arrow tables) and the session rows for ``n_rounds`` bot-rounds."""
    rng = np.random.default_rng(seed)
    per_bot = n_rounds // N_BOTS
    per_session = per_bot // SESSIONS_PER_BOT
    stream_len = per_bot * 2
    streams = {}
    for s, (g, p) in enumerate((g, p) for g in GAMES for p in PLATFORMS):
        u = 1.0 - rng.random(stream_len)
        cents = np.clip(np.floor(100 * RTP / u), 100, 100_000_000).astype(np.int64)
        streams[s] = (g, p, cents)
    cols: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    arrays: dict[str, list[np.ndarray]] = {
        k: [] for k in ("round_number", "ts", "stake", "target", "crash", "cash", "pl", "rb", "ra")
    }
    sessions = []
    strategies = list(STRATEGIES)
    for b in range(N_BOTS):
        bot = f"bench_bot_{b:03d}"
        s = b % 9
        game, platform, cents = streams[s]
        strategy = strategies[b % len(strategies)]
        target = round(STRATEGIES[strategy] * 100)
        offset = int(rng.integers(0, stream_len - per_bot))
        idx = np.arange(offset, offset + per_bot)
        crash = cents[idx]
        win = crash >= target
        stake = np.full(per_bot, 10 * 10_000, dtype=np.int64)  # 10.0000 in 1e-4 units
        pl = np.where(win, stake * (target - 100) // 100, -stake)
        rb = np.empty(per_bot, dtype=np.int64)
        ra = np.empty(per_bot, dtype=np.int64)
        initial = 100_000 * 10_000
        for k in range(SESSIONS_PER_BOT):
            sl = slice(
                k * per_session, (k + 1) * per_session if k < SESSIONS_PER_BOT - 1 else per_bot
            )
            cum = np.cumsum(pl[sl])
            ra[sl] = initial + cum
            rb[sl] = ra[sl] - pl[sl]
            sessions.append(
                {
                    "bot_id": bot,
                    "session_id": f"{bot}_s{k}",
                    "game_name": game,
                    "platform_code": platform,
                    "strategy_name": strategy,
                    "initial_balance": "100000.0000",
                    "start_timestamp": T0 + timedelta(seconds=10 * int(idx[sl][0])),
                }
            )
        session_of = np.minimum(np.arange(per_bot) // per_session, SESSIONS_PER_BOT - 1)
        cols["id"] += [uuid.uuid4().hex for _ in range(per_bot)]
        cols["bot_id"] += [bot] * per_bot
        cols["session_id"] += [f"{bot}_s{k}" for k in session_of]
        cols["game_name"] += [game] * per_bot
        cols["platform_code"] += [platform] * per_bot
        cols["round_external_id"] += [f"{platform}-{game}-{i}" for i in idx]
        cols["strategy_name"] += [strategy] * per_bot
        cols["round_outcome"] += ["WIN" if w else "LOSS" for w in win]
        arrays["round_number"].append(idx + 1)
        arrays["ts"].append(idx * 10_000_000 + rng.integers(0, 500_000, per_bot))
        arrays["stake"].append(stake)
        arrays["target"].append(np.full(per_bot, target))
        arrays["crash"].append(crash)
        arrays["cash"].append(np.where(win, target, -1))
        arrays["pl"].append(pl)
        arrays["rb"].append(rb)
        arrays["ra"].append(ra)
    a = {k: np.concatenate(v) for k, v in arrays.items()}
    n = len(a["ts"])
    t0_us = int(T0.timestamp() * 1_000_000)
    ts = pa.array(a["ts"] + t0_us, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    te = pa.array(a["ts"] + t0_us + 8_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    cash = _decimal_array(np.maximum(a["cash"], 0), 2, 12)
    cash = pa.compute.if_else(pa.array(a["cash"] < 0), pa.scalar(None, cash.type), cash)
    rounds = pa.table(
        {
            "id": pa.array(cols["id"]),
            "bot_id": pa.array(cols["bot_id"]),
            "session_id": pa.array(cols["session_id"]),
            "game_name": pa.array(cols["game_name"]),
            "platform_code": pa.array(cols["platform_code"]),
            "round_external_id": pa.array(cols["round_external_id"]),
            "round_number": pa.array(a["round_number"], pa.int64()),
            "bet_slot": pa.array(np.ones(n, dtype=np.int16)),
            "round_start_timestamp": ts,
            "round_end_timestamp": te,
            "stake_value": _decimal_array(a["stake"], 4, 18),
            "target_multiplier": _decimal_array(a["target"], 2, 12),
            "strategy_name": pa.array(cols["strategy_name"]),
            "crash_multiplier": _decimal_array(a["crash"], 2, 12),
            "cashout_multiplier": cash,
            "round_outcome": pa.array(cols["round_outcome"]),
            "profit_loss": _decimal_array(a["pl"], 4, 18),
            "running_balance_before": _decimal_array(a["rb"], 4, 18),
            "running_balance_after": _decimal_array(a["ra"], 4, 18),
            "ocr_confidence": _decimal_array(rng.integers(8000, 10_000, n), 4, 5),
        }
    )
    pick = np.flatnonzero(rng.random(n) < SIGNAL_SHARE)
    types = np.array(["early_flight", "pattern_match", "ml_model"])
    sig_ts = rounds.column("round_start_timestamp").take(pick)
    signals = pa.table(
        {
            "id": pa.array([uuid.uuid4().hex for _ in pick]),
            "round_id": rounds.column("id").take(pick),
            "round_number": rounds.column("round_number").take(pick),
            "bot_id": rounds.column("bot_id").take(pick),
            "session_id": rounds.column("session_id").take(pick),
            "game_name": rounds.column("game_name").take(pick),
            "platform_code": rounds.column("platform_code").take(pick),
            "signal_type": pa.array(types[rng.integers(0, 3, len(pick))]),
            "confidence_score": _decimal_array(rng.integers(3000, 9000, len(pick)), 4, 5),
            "target_multiplier": _decimal_array(np.full(len(pick), 200), 2, 12),
            "timestamp": sig_ts,
            "date_bucket": sig_ts.cast(pa.timestamp("us")).cast(pa.date32()),
        }
    )
    return rounds, signals, sessions


# --------------------------------------------------------------------------- loading


def _csv_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
    return bytes(sink.getvalue().to_pybytes())


def _insert_parents(db: Database, sessions: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    from crashdb.db.models import BotVMRegistration, SessionLog

    bots = sorted({s["bot_id"] for s in sessions})
    with db.write_connection() as conn:
        conn.execute(insert(BotVMRegistration), [{"bot_id": b} for b in bots])
        conn.execute(insert(SessionLog), sessions)


def load_postgres(db: Database, rounds: pa.Table, signals: pa.Table, sessions: list[Any]) -> None:
    _insert_parents(db, sessions)
    raw_url = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw_url) as conn, conn.cursor() as cur:
        for table, data, cols in (
            ("crash_game_rounds", rounds, COLUMNS),
            ("analytics_round_signals", signals, SIGNAL_COLUMNS),
        ):
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN (FORMAT csv)") as copy:
                for batch in data.to_batches(max_chunksize=100_000):
                    copy.write(_csv_bytes(pa.Table.from_batches([batch])))
        conn.commit()
    # A bulk statement leaves its runs to the fold crashdb's write path runs after the commit.
    from crashdb.db.folds import fold_pending

    fold_pending(db.engine)
    with psycopg.connect(raw_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _sqlite_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Rows as SQLite stores them: scaled integers for NUMERIC (crashdb.db.types), ISO text
    for times."""
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            # Arrow prints microseconds after %S: the text SQLAlchemy stores on SQLite.
            columns.append(pa.compute.strftime(col, format="%Y-%m-%d %H:%M:%S").to_pylist())
        elif pa.types.is_decimal(col.type):
            units = pa.compute.multiply(col.cast(pa.float64()), 10**col.type.scale)
            columns.append([None if v is None else round(v) for v in units.to_pylist()])
        elif pa.types.is_date(col.type):
            columns.append(col.cast(pa.string()).to_pylist())
        else:
            columns.append(col.to_pylist())
    return list(zip(*columns, strict=True))


def load_sqlite(db: Database, rounds: pa.Table, signals: pa.Table, sessions: list[Any]) -> None:
    from crashdb.db.folds import fold_sqlite

    _insert_parents(db, sessions)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        for table, data, cols in (
            ("crash_game_rounds", rounds, COLUMNS),
            ("analytics_round_signals", signals, SIGNAL_COLUMNS),
        ):
            marks = ", ".join("?" for _ in cols)
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"
            for batch in data.to_batches(max_chunksize=100_000):
                cur.executemany(sql, _sqlite_rows(pa.Table.from_batches([batch])))
        fold_sqlite(raw.driver_connection)  # what crashdb's engine does before COMMIT
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()


# --------------------------------------------------------------------------- timing


def _time(fn: Callable[[], Any], repeat: int = 3) -> float:
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def _export_in_subprocess(url: str, out: Path) -> dict[str, Any]:
    code = (
        "import json, sys, time\n"
        "from crashdb import Database\n"
        "from crashdb.analytics.export import export_rounds\n"
        "db = Database(sys.argv[1])\n"
        "t = time.perf_counter()\n"
        "r = export_rounds(sys.argv[2], 'parquet', db=db)\n"
        "r['seconds'] = time.perf_counter() - t\n"
        # VmHWM: this process's own peak (ru_maxrss would include the parent's, on Linux).
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "r['peak_rss_mb'] = int(hwm.split()[1]) / 1024\n"
        "print(json.dumps(r))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, url, str(out)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


BASELINE = "baseline: scan of all rounds"


def _full_scan(db: Database) -> None:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("SELECT count(*), sum(profit_loss) FROM crash_game_rounds")).one()


def run_one(
    backend: str, n: int, pg_admin: str, workdir: Path, with_export: bool = True
) -> dict[str, Any]:
    rounds, signals, sessions = generate(n)
    dbname = None
    if backend == "postgresql":
        dbname = f"crashdb_bench_{os.getpid()}_{n}"
        admin = make_url(pg_admin).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{dbname}"')  # type: ignore[arg-type]
        url = make_url(pg_admin).set(database=dbname).render_as_string(False)
    else:
        url = f"sqlite:///{workdir / f'bench_{n}.sqlite3'}"
    db = Database(url)
    try:
        db.init_db()
        t = time.perf_counter()
        (load_postgres if backend == "postgresql" else load_sqlite)(db, rounds, signals, sessions)
        load_s = time.perf_counter() - t
        bot = "bench_bot_007"
        day1 = T0 + timedelta(hours=6)
        day2 = day1 + timedelta(days=1, hours=3)
        calls: dict[str, Callable[[], Any]] = {
            "get_bot_statistics": lambda: get_bot_statistics(bot, db=db),
            "get_bot_statistics(dates)": lambda: get_bot_statistics(bot, day1, day2, db=db),
            "get_session_summary": lambda: get_session_summary(f"{bot}_s1", db=db),
            "get_game_statistics": lambda: get_game_statistics("aviator", db=db),
            "get_game_statistics(dates)": lambda: get_game_statistics(
                "aviatrix", start_date=day1, end_date=day2, db=db
            ),
            "get_strategy_performance": lambda: get_strategy_performance("martingale", db=db),
            "get_strategy_performance(dates)": lambda: get_strategy_performance(
                "kelly_criterion", day1, day2, db=db
            ),
            "get_multiplier_distribution": lambda: get_multiplier_distribution("jetx", db=db),
            "get_signal_effectiveness": lambda: get_signal_effectiveness(db=db),
            "get_signal_effectiveness(bot)": lambda: get_signal_effectiveness(bot_id=bot, db=db),
            "get_database_size": lambda: get_database_size(db=db),
        }
        # The machine's own speed, measured in the same run: one pass over every round (a
        # sequential scan summing a NUMERIC column). The report prints each function as a
        # multiple of it, which stays comparable across machines and noisy neighbours.
        calls[BASELINE] = lambda: _full_scan(db)
        # Every function's first call after the load (cold caches, plans), then warm.
        first: dict[str, float] = {}
        for name, fn in calls.items():
            t = time.perf_counter()
            fn()
            first[name] = time.perf_counter() - t
        timings = {name: _time(fn) for name, fn in calls.items()}
        for name in calls:
            if name != BASELINE:
                timings[f"{name} 1st"] = first[name]
        db.dispose()
        export = (
            _export_in_subprocess(url, workdir / f"export_{backend}_{n}.parquet")
            if with_export
            else None
        )
        return {
            "rows": rounds.num_rows,
            "signals": signals.num_rows,
            "load_s": load_s,
            "timings": timings,
            "export": export,
        }
    finally:
        db.dispose()
        if dbname is not None:
            admin = make_url(pg_admin).set(drivername="postgresql").render_as_string(False)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-export", action="store_true", help="skip the Parquet export")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    pg_admin = os.environ.get("CRASHDB_BENCH_POSTGRES_URL", DEFAULT_PG)
    results: dict[str, dict[int, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results[backend] = {}
            for n in sizes:
                print(f"[{backend}] loading {n:,} rounds ...", flush=True)
                print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)
                r = run_one(backend, n, pg_admin, Path(tmp), not args.no_export)
                results[backend][n] = r
                print(
                    f"[{backend}] {r['rows']:,} rounds + {r['signals']:,} signals loaded in "
                    f"{r['load_s']:.1f} s",
                    flush=True,
                )
                report({backend: {n: r}}, [n])  # at once: a long run may be cut short
    report(results, sizes)


def report(results: dict[str, dict[int, dict[str, Any]]], sizes: list[int]) -> None:
    lo, hi = sizes[0], sizes[-1]
    for backend, by_size in results.items():
        print(f"\n== {backend} ==")
        names = list(by_size[lo]["timings"])
        head = f"{'function':32}" + "".join(f"{n:>12,}" for n in sizes)
        if len(sizes) > 1:
            head += f"{'ratio':>8}"
        print(head + f"{'x scan':>8}" + ("   target<=300ms" if backend == "postgresql" else ""))
        scan = by_size[hi]["timings"][BASELINE] * 1000
        for name in names:
            vals = [by_size[n]["timings"][name] * 1000 for n in sizes]
            line = f"{name:32}" + "".join(f"{v:10.1f}ms" for v in vals)
            if len(sizes) > 1:
                line += f"{vals[-1] / vals[0]:8.2f}"
            line += f"{vals[-1] / scan:8.2f}"
            if backend == "postgresql" and name != BASELINE:
                line += "   " + ("OK" if vals[-1] <= 300 else "MISSED")
            print(line)
        for n in sizes:
            print(f"load of {n:>10,} rounds: {by_size[n]['load_s']:8.1f} s")
        for n in sizes:
            e = by_size[n]["export"]
            if e is None:
                continue
            print(
                f"parquet export {e['rows']:>9,} rows: {e['seconds']:6.2f} s, "
                f"peak RSS {e['peak_rss_mb']:6.1f} MB, {e['bytes'] / 1e6:6.1f} MB file"
                + (
                    f"   target <=10 s / <=300 MB: "
                    f"{'OK' if e['seconds'] <= 10 and e['peak_rss_mb'] <= 300 else 'MISSED'}"
                    if backend == "postgresql" and n == hi
                    else ""
                )
            )
        if len(sizes) > 1 and by_size[lo]["export"] and by_size[hi]["export"]:
            e0, e1 = by_size[lo]["export"], by_size[hi]["export"]
            print(
                f"cost ratio {hi // lo}x rows: export time x{e1['seconds'] / e0['seconds']:.2f}; "
                f"load time x{by_size[hi]['load_s'] / by_size[lo]['load_s']:.2f}"
            )
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"\n(benchmark driver peak RSS {usage:.0f} MB; "
        f"load average {load} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
