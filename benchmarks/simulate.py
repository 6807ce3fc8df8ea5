"""Simulation speed, as ratios against baselines measured in the same run.

1. Monte Carlo: the vectorized NumPy kernels against the Decimal engine (``run_session``, one
   session at a time) on the same sessions x rounds of martingale.
2. Fleet: simulating into SQLite through the RoundWriter (what ``crashdb demo`` does) against
   the same simulation into a sink that only builds the records (no database).

Run: ``.venv/bin/python benchmarks/simulate.py``
"""

from __future__ import annotations

import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from crashdb import Database
from crashdb import ingest as records
from crashdb.sim.backtest import run_session
from crashdb.sim.games import get_game
from crashdb.sim.montecarlo import monte_carlo
from crashdb.sim.simulate import FleetConfig, run_fleet, simulate_fleet
from crashdb.sim.strategies import make_strategy


class BuildOnlySink:
    """Validates every record like the writer does, then drops it."""

    def log_crash_round(self, **kw: Any) -> uuid.UUID:
        return records.build_round(**kw).id

    def log_round_multiplier_analytics(self, **kw: Any) -> uuid.UUID:
        return records.build_multiplier(**kw).id

    def log_round_signal(self, **kw: Any) -> uuid.UUID:
        return records.build_signal(**kw).id

    def log_round_outcome(self, **kw: Any) -> uuid.UUID:
        return records.build_outcome(**kw).id

    def create_session_log(self, **kw: Any) -> str:
        return str(records.build_session_start(**kw).session_id)

    def update_session_log(self, **kw: Any) -> bool:
        records.build_session_update(**kw)
        return True


def bench_monte_carlo(sessions: int = 2000, rounds: int = 300) -> None:
    game, strategy = get_game("aviator"), make_strategy("martingale[max_stake=64]")
    bankroll = Decimal(100_000)  # no session busts: both engines play every round
    t0 = time.perf_counter()
    monte_carlo(strategy, game, sessions=sessions, rounds=rounds, bankroll=bankroll, seed=1)
    vec = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    for _ in range(sessions):
        run_session(strategy, game.crash_points(rounds, rng), bankroll)
    dec = time.perf_counter() - t0
    n = sessions * rounds
    print(f"Monte Carlo, {sessions} x {rounds} martingale session-rounds:")
    print(f"  Decimal engine (baseline) {n / dec:>12,.0f} session-rounds/s")
    print(f"  NumPy kernels             {n / vec:>12,.0f} session-rounds/s  ({dec / vec:,.0f}x)")


def bench_fleet() -> None:
    config = FleetConfig(bots=6, rounds=60, seed=2025)
    t0 = time.perf_counter()
    base = simulate_fleet(config, BuildOnlySink())
    build_only = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        db.init_db()
        t0 = time.perf_counter()
        result = run_fleet(db, config, spool_dir=Path(tmp) / "spool")
        logged = time.perf_counter() - t0
        db.dispose()
    assert result.digest == base.digest
    print(f"Fleet (crashdb demo's), {result.rounds:,} rounds, {result.records:,} records:")
    print(f"  simulate + build records (baseline) {result.rounds / build_only:>8,.0f} rounds/s")
    print(
        f"  simulate + RoundWriter into SQLite  {result.rounds / logged:>8,.0f} rounds/s"
        f"  ({logged / build_only:.1f}x the baseline's time; {logged:.1f} s)"
    )


if __name__ == "__main__":
    bench_monte_carlo()
    bench_fleet()
