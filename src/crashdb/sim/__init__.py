"""Simulation: crash games, provably-fair checks, betting strategies, fleets, backtests.

Modules: :mod:`~crashdb.sim.games` (the multiplier distributions), :mod:`~crashdb.sim.fairness`
(bustabit and Aviator verification), :mod:`~crashdb.sim.strategies`,
:mod:`~crashdb.sim.simulate` with :mod:`~crashdb.sim.fleet`, :mod:`~crashdb.sim.backtest` and
:mod:`~crashdb.sim.montecarlo`.
"""

from __future__ import annotations

from crashdb.sim.backtest import backtest, load_multipliers_csv, load_multipliers_db
from crashdb.sim.fleet import FleetConfig, FleetResult
from crashdb.sim.games import CrashGame, get_game
from crashdb.sim.montecarlo import MonteCarloResult, monte_carlo
from crashdb.sim.simulate import run_fleet, run_session, simulate_fleet
from crashdb.sim.strategies import Strategy, make_strategy

__all__ = [
    "CrashGame",
    "FleetConfig",
    "FleetResult",
    "MonteCarloResult",
    "Strategy",
    "backtest",
    "get_game",
    "load_multipliers_csv",
    "load_multipliers_db",
    "make_strategy",
    "monte_carlo",
    "run_fleet",
    "run_session",
    "simulate_fleet",
]
