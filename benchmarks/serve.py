"""Load on the fleet service: N simulated bots against ``crashdb serve`` on PostgreSQL.

Each bot has its own token and its own remote ``RoundWriter`` (the HTTP sink, group commits
every ``flush_interval``), and logs ``--rate`` rounds per second for ``--seconds`` seconds.
The bots live in ``--procs`` load-generator processes on this machine. Reported:

* rounds stored per second, and whether every acknowledged round is stored exactly once;
* the latency of the writers' requests (one ``POST /api/v1/records`` per group commit):
  p50 / p99 / max;
* CPU seconds the server used (and per stored round), and the load generator's;

next to the same bots writing through the library straight to PostgreSQL (each a
``RoundWriter`` on a shared connection pool per process) in the same run: the baseline.

    python benchmarks/serve.py --bots 200 --seconds 30
    python benchmarks/serve.py --bots 1000 --seconds 60 --workers 2

Needs PostgreSQL (``CRASHDB_BENCH_POSTGRES_URL``, default the local server); creates and
drops a scratch database. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from crashdb import Database, RoundWriter
from crashdb.server.auth import create_token
from crashdb.writer.http import HttpSink

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


class TimedSink(HttpSink):
    """The writer's HTTP sink, timing each request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latencies: list[float] = []

    def write(self, records: Any) -> None:
        start = time.perf_counter()
        super().write(records)
        self.latencies.append(time.perf_counter() - start)


class TimedDatabaseSink:
    """The library path (write_records straight to PostgreSQL), timing each transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.latencies: list[float] = []

    def write(self, records: Any) -> None:
        from crashdb.ingest.store import write_records

        start = time.perf_counter()
        write_records(self.db, records)
        self.latencies.append(time.perf_counter() - start)


def _kw(bot: str, n: int, run: str) -> dict[str, Any]:
    crash = f"{1 + (n * 37 % 400) / 100:.2f}"
    win = float(crash) >= 1.5
    return {
        "bot_id": bot,
        "session_id": run,
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": "10.00",
        "crash_multiplier": crash,
        "cashout_multiplier": "1.50" if win else None,
        "round_outcome": "WIN" if win else "LOSS",
        "round_start_timestamp": datetime.now(UTC),
    }


def load_process(job: dict[str, Any]) -> None:
    """One load generator: its bots log on schedule; returns counts and latencies."""
    spool = Path(job["spool"])
    shared = Database(job["db_url"]) if job["mode"] == "library" else None
    writers = []
    sinks: list[Any] = []
    for bot, token in job["bots"]:
        sink: Any = TimedSink(job["server"], token) if shared is None else TimedDatabaseSink(shared)
        sinks.append(sink)
        writers.append(
            RoundWriter(
                spool_dir=spool / bot, sink=sink, flush_interval=job["flush"], write_timeout=10
            )
        )
    job["ready"].wait()  # every generator set up: start together
    start = time.time() + 0.2
    cpu0 = time.process_time()
    period = 1.0 / job["rate"]
    n_bots = len(writers)
    acked = 0
    lag = 0.0
    while time.time() < start:
        time.sleep(0.01)
    ticks = int(job["seconds"] * job["rate"])
    for tick in range(ticks):
        for i, ((bot, _), writer) in enumerate(zip(job["bots"], writers, strict=True)):
            due = start + tick * period + period * i / n_bots  # bots spread over the period
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            else:
                lag = max(lag, -wait)
            writer.log_crash_round(**_kw(bot, tick + 1, job["run"]))
            acked += 1
    for writer in writers:
        writer.flush(60)
    for writer in writers:
        writer.close()
    spooled = sum(w.stats.spooled_records for w in writers)
    dead = sum(w.stats.dead_lettered_units for w in writers)
    job["results"].put(
        {
            "acked": acked,
            "latencies": [x for s in sinks for x in s.latencies],
            "cpu": time.process_time() - cpu0,
            "lag": lag,
            "spooled": spooled,
            "dead": dead,
            "start": start,
            "end": time.time(),
        }
    )


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children (uvicorn workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        pids += [int(p) for p in out.stdout.split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _count(db_url: str, run: str) -> tuple[int, int]:
    with psycopg.connect(db_url.replace("postgresql+psycopg", "postgresql")) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT (bot_id, round_number)) FROM crash_game_rounds "
            "WHERE session_id = %s",
            (run,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def phase(
    mode: str,
    args: argparse.Namespace,
    db_url: str,
    server: str | None,
    tokens: list[tuple[str, str]],
    server_pid: int | None,
    tmp: Path,
) -> dict[str, Any]:
    run = f"{mode}-{uuid.uuid4().hex[:6]}"
    per = [tokens[i :: args.procs] for i in range(args.procs)]
    ctx = mp.get_context("spawn")
    chunks = [chunk for chunk in per if chunk]
    ready = ctx.Barrier(len(chunks) + 1)
    queue = ctx.Queue()
    jobs = [
        {
            "mode": mode,
            "bots": chunk,
            "server": server,
            "db_url": db_url,
            "rate": args.rate,
            "seconds": args.seconds,
            "flush": args.flush,
            "run": run,
            "spool": str(tmp / f"spool-{run}-{i}"),
            "ready": ready,
            "results": queue,
        }
        for i, chunk in enumerate(chunks)
    ]
    procs = [ctx.Process(target=load_process, args=(job,)) for job in jobs]
    for p in procs:
        p.start()
    ready.wait()
    cpu0 = _cpu_seconds(server_pid) if server_pid else 0.0
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    start_at = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    server_cpu = (_cpu_seconds(server_pid) - cpu0) if server_pid else 0.0
    stored, distinct = _count(db_url, run)
    acked = sum(r["acked"] for r in results)
    lat = [x for r in results for x in r["latencies"]]
    elapsed = end - start_at
    return {
        "mode": mode,
        "acked": acked,
        "stored": stored,
        "distinct": distinct,
        "rate": stored / elapsed,
        "p50": _pct(lat, 0.50) * 1000,
        "p99": _pct(lat, 0.99) * 1000,
        "max": max(lat) * 1000 if lat else float("nan"),
        "requests": len(lat),
        "server_cpu": server_cpu,
        "elapsed": elapsed,
        "load_cpu": sum(r["cpu"] for r in results),
        "lag": max(r["lag"] for r in results),
        "spooled": sum(r["spooled"] for r in results),
        "dead": sum(r["dead"] for r in results),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bots", type=int, default=200)
    parser.add_argument("--rate", type=float, default=1.0, help="rounds per second per bot")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--workers", type=int, default=1, help="crashdb serve workers")
    parser.add_argument("--flush", type=float, default=0.5, help="writer flush interval (s)")
    parser.add_argument("--skip-library", action="store_true")
    args = parser.parse_args()

    admin = os.environ.get("CRASHDB_BENCH_POSTGRES_URL", DEFAULT_PG)
    name = f"crashdb_bench_serve_{os.getpid()}"
    libpq = make_url(admin).set(drivername="postgresql")
    with psycopg.connect(libpq.render_as_string(False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    db_url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
    url = db_url.render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="crashdb-bench-serve-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        db = Database(url)
        db.init_db()
        tokens = [
            (f"bench_{i:04d}", create_token(db, "bot", f"bench_{i:04d}")[1])
            for i in range(args.bots)
        ]
        db.dispose()
        port = _free_port()
        config = tmp / "fleet.toml"
        config.write_text(
            "rate_limit = 1000\nrate_burst = 1000\ntoken_cache_seconds = 60\n"
            "[alerts]\nevaluate_seconds = 10\n"
        )
        log = open(tmp / "serve.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crashdb",
                "serve",
                "--db-url",
                url,
                "--port",
                str(port),
                "--config",
                str(config),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{server}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        print(f"load before: {Path('/proc/loadavg').read_text().strip()}  (2 cores, shared)")
        print(
            f"{args.bots} bots x {args.rate:g} round/s for {args.seconds:g} s, "
            f"{args.procs} load processes, {args.workers} server worker(s), "
            f"writer flush every {args.flush:g} s"
        )
        results = [phase("http", args, url, server, tokens, proc.pid, tmp)]
        if not args.skip_library:
            results.append(phase("library", args, url, None, tokens, None, tmp))
        print(f"load after:  {Path('/proc/loadavg').read_text().strip()}")
        target = args.bots * args.rate
        print(
            f"\n{'path':8} {'stored/s':>9} {'of goal':>8} {'acked':>7} {'stored':>7} {'dupes':>6} "
            f"{'req p50':>8} {'req p99':>8} {'req max':>8} {'requests':>8} {'srv CPU':>8} "
            f"{'load CPU':>8} {'lag max':>8} {'spooled':>7}"
        )
        for r in results:
            print(
                f"{r['mode']:8} {r['rate']:9.1f} {r['rate'] / target:8.0%} {r['acked']:7d} "
                f"{r['stored']:7d} {r['stored'] - r['distinct']:6d} {r['p50']:7.1f}ms "
                f"{r['p99']:7.1f}ms {r['max']:7.0f}ms {r['requests']:8d} "
                f"{r['server_cpu'] / r['elapsed']:7.0%} {r['load_cpu'] / r['elapsed']:8.0%} "
                f"{r['lag']:7.2f}s {r['spooled']:7d}"
            )
        if len(results) == 2:
            http, lib = results
            print(
                f"\nHTTP / library: stored/s x{http['rate'] / lib['rate']:.2f}, "
                f"request p50 x{http['p50'] / lib['p50']:.1f}, p99 x{http['p99'] / lib['p99']:.1f}"
            )
        http = results[0]
        lost = http["acked"] - http["stored"]
        per_round = http["server_cpu"] / max(http["stored"], 1) * 1e3
        print(f"server CPU per stored round: {per_round:.2f} ms")
        ok = lost == 0 and http["stored"] == http["distinct"] and http["p99"] < 250
        print(
            f"goal (every round once, p99 < 250 ms at {target:g} rounds/s): "
            f"{'MET' if ok and http['lag'] < 1 else 'NOT MET'}"
            f" (lost {lost}, duplicated {http['stored'] - http['distinct']}, "
            f"generator lag {http['lag']:.2f} s)"
        )
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        with psycopg.connect(libpq.render_as_string(False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
