"""How long does ``RoundWriter.log_crash_round`` keep the bot loop waiting?

Measures, in one run, the per-call latency (p50 / p99 / p99.9 / max) of:

1. baseline: ``crashdb.ingest.build_round(**kw)`` alone (the validation every call needs);
2. ``writer.log_crash_round(**kw)`` on an idle writer (nothing committed during the run: the
   cost of the hand-off alone), then in a tight loop on a running writer, with the background
   thread committing to the database meanwhile (the worst case: the writer competes for the
   GIL the whole time);
3. ``crashdb.log_crash_round(**kw)`` with ``CRASHDB_USE_WRITER=true`` (the plain function
   routed to the process-wide writer);
4. the same at a steady pace: ``--rate`` calls per second (default 1,000, far more than a
   bot loop produces, so many calls coincide with a group commit) and ``--slow-rate``
   (default 100/s, still more than a fleet of bots in one process).

Each writer run is compared with the baseline measured at the same pace (a call after a pause
runs with cold caches, so even the bare build is slower paced than in a tight loop). It prints
the latencies and their ratio to the baseline, then closes the writer and checks that every
round arrived. Target (issue 3): p99 <= 100 us.

    python benchmarks/writer_latency.py                     # embedded SQLite in a temp dir
    python benchmarks/writer_latency.py --db-url postgresql+psycopg://...   # a scratch DB!
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import crashdb
from crashdb import Database, DatabaseConnection, RoundWriter
from crashdb.db.models import CrashGameRound
from crashdb.ingest import build_round
from crashdb.writer import close_default_writer, get_default_writer


def round_kwargs(n: int, session: str) -> dict[str, Any]:
    crash = Decimal(f"{1 + (n * 37 % 400) / 100:.2f}")
    target = Decimal("1.50")
    stake = Decimal("10.00")
    win = crash >= target
    return {
        "bot_id": "bench_bot",
        "session_id": session,
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": stake,
        "crash_multiplier": crash,
        "cashout_multiplier": target if win else None,
        "round_outcome": "WIN" if win else "LOSS",
        "profit_loss": (target - 1) * stake if win else -stake,
        "ocr_text": f"{crash}x",
        "ocr_confidence": 0.95,
        "metadata": {"strategy": "fixed_stake"},
    }


def timed(call: Callable[..., Any], kws: list[dict[str, Any]], rate: float | None) -> list[int]:
    """Nanoseconds per call; with ``rate``, calls start on a fixed schedule."""
    out: list[int] = []
    clock = time.perf_counter_ns
    period = int(1e9 / rate) if rate else 0
    start = clock()
    for i, kw in enumerate(kws):
        if period:
            due = start + i * period
            while (now := clock()) < due:
                if due - now > 300_000:
                    time.sleep((due - now - 200_000) / 1e9)
        t0 = clock()
        call(**kw)
        out.append(clock() - t0)
    return out


def summary(name: str, ns: list[int], base: dict[str, float] | None) -> dict[str, float]:
    ns = sorted(ns)
    n = len(ns)
    s = {
        "p50": ns[n // 2] / 1000,
        "p99": ns[min(n - 1, int(n * 0.99))] / 1000,
        "p999": ns[min(n - 1, int(n * 0.999))] / 1000,
        "max": ns[-1] / 1000,
        "mean": statistics.fmean(ns) / 1000,
    }
    line = (
        f"{name:<45} p50 {s['p50']:7.1f} us  p99 {s['p99']:7.1f} us  "
        f"p99.9 {s['p999']:8.1f} us  max {s['max']:9.1f} us"
    )
    if base:
        line += f"   (x{s['p50'] / base['p50']:.2f} / x{s['p99'] / base['p99']:.2f} of baseline)"
    print(line)
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="calls/s of the paced run")
    parser.add_argument("--slow-rate", type=float, default=100.0, help="calls/s, 2nd paced run")
    parser.add_argument("--slow-calls", type=int, default=1_000)
    parser.add_argument("--db-url", default=None, help="scratch database (default: temp SQLite)")
    parser.add_argument("--flush-interval", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval() for the run (CPython's default is 0.005 s)",
    )
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)

    with tempfile.TemporaryDirectory(prefix="crashdb-bench-") as tmp:
        url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        db = Database(url)
        db.init_db()
        print(f"backend: {db.backend}; {args.calls} calls per run; ", end="")
        print(f"flush_interval {args.flush_interval} s, batch_size {args.batch_size}, ", end="")
        print(f"GIL switch interval {sys.getswitchinterval() * 1e6:.0f} us; ", end="")
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        tag = f"bench_{int(time.time())}"

        # warm-up (imports, caches, first connection)
        for kw in (round_kwargs(n, f"{tag}_warm") for n in range(1, 500)):
            build_round(**kw)
        gc.collect()

        modes: list[tuple[str, float | None, int]] = [
            ("tight loop", None, args.calls),
            (f"paced {args.rate:.0f}/s", args.rate, args.calls),
            (f"paced {args.slow_rate:.0f}/s", args.slow_rate, args.slow_calls),
        ]
        verdicts = []
        for i, (mode, rate, calls) in enumerate(modes):
            print(f"--- {mode}, {calls} calls")
            base_kws = [round_kwargs(n, f"{tag}_base{i}") for n in range(1, calls + 1)]
            gc.freeze()  # the benchmark's own inputs are not the bot's garbage
            base = summary("baseline: build_round(**kw)", timed(build_round, base_kws, rate), None)
            fi, bs = args.flush_interval, args.batch_size
            variants: list[tuple[str, float, int, bool]] = []
            if rate is None:
                variants.append(("writer, idle", 3600.0, 10**9, False))
            variants.append(("writer, committing", fi, bs, False))
            if rate is None or rate >= 1000:
                variants.append(("routed (USE_WRITER)", fi, bs, True))
            for label, interval, size, routed in variants:
                session = f"{tag}_{i}_{label.replace(' ', '').replace(',', '_')}"
                kws = [round_kwargs(n, session) for n in range(1, calls + 1)]
                gc.freeze()
                call: Callable[..., Any]
                if routed:  # the plain function, pointed at the default writer by settings
                    os.environ.update(
                        CRASHDB_USE_WRITER="true",
                        CRASHDB_SPOOL_DIR=str(Path(tmp) / "spool"),
                        CRASHDB_WRITER_FLUSH_INTERVAL=str(interval),
                        CRASHDB_WRITER_BATCH_SIZE=str(size),
                    )
                    DatabaseConnection.initialize(url)
                    call = crashdb.log_crash_round
                    call(**round_kwargs(0, session))
                    writer = get_default_writer()
                else:
                    writer = RoundWriter(
                        Path(tmp) / "spool",
                        db=db,
                        flush_interval=interval,
                        batch_size=size,
                        write_timeout=30,
                    )
                    call = writer.log_crash_round
                    call(**round_kwargs(0, session))
                writer.flush()
                t0 = time.perf_counter()
                ns = timed(call, kws, rate)
                elapsed = time.perf_counter() - t0
                res = summary(f"{label}: log_crash_round", ns, base)
                t1 = time.perf_counter()
                writer.close()
                drained = time.perf_counter() - t1
                if routed:
                    close_default_writer()
                    DatabaseConnection.close()
                    os.environ["CRASHDB_USE_WRITER"] = "false"
                with db.engine.connect() as conn:
                    stored = conn.execute(
                        select(func.count()).where(CrashGameRound.session_id == session)
                    ).scalar_one()
                print(
                    f"{'':<45} {calls / elapsed:,.0f} calls/s; "
                    f"{writer.stats.committed_batches} commits; close() took "
                    f"{drained * 1000:.0f} ms; {stored - 1}/{calls} rounds stored"
                )
                assert stored - 1 == calls, "rounds missing"
                verdicts.append((f"{mode}, {label}", res["p99"], base["p99"]))
        db.dispose()
        print("target p99 <= 100 us (baseline p99 in the same conditions in brackets):")
        for label, p99, base_p99 in verdicts:
            ok = "OK" if p99 <= 100 else "ABOVE"
            print(f"  {label:<50} p99 {p99:7.1f} us  [{base_p99:7.1f} us]  {ok}")


if __name__ == "__main__":
    main()
