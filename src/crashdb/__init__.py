"""crashdb: record every round a fleet of crash-game bots plays, and answer honest questions.

The public API is the union of the ``__all__`` lists of the modules below; a test checks that
every name listed is importable from ``crashdb``, and that ``_LAZY`` matches the modules.

What a bot needs to log (database, records, the seed's ``log_*`` functions, the writer) is
imported with the package. Analytics, exports, simulation and the report pull in SciPy,
pyarrow and Plotly (over a second and ~150 MB at start-up), so their names are resolved on
first use (PEP 562): ``crashdb.get_bot_statistics`` works as before, a bot that only logs
never pays for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crashdb import db, exceptions, ingest, records, writer
from crashdb.db import *  # noqa: F403
from crashdb.exceptions import *  # noqa: F403
from crashdb.ingest import *  # noqa: F403
from crashdb.records import *  # noqa: F403
from crashdb.writer import *  # noqa: F403

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from crashdb import analytics as analytics
    from crashdb import export as export
    from crashdb import fairness as fairness
    from crashdb import games as games
    from crashdb import maintenance as maintenance
    from crashdb import report as report
    from crashdb import simulate as simulate
    from crashdb import stats as stats
    from crashdb import strategies as strategies
    from crashdb.analytics import *  # noqa: F403
    from crashdb.export import *  # noqa: F403
    from crashdb.fairness import *  # noqa: F403
    from crashdb.games import *  # noqa: F403
    from crashdb.maintenance import *  # noqa: F403
    from crashdb.report import *  # noqa: F403
    from crashdb.simulate import *  # noqa: F403
    from crashdb.stats import *  # noqa: F403
    from crashdb.strategies import *  # noqa: F403

# module -> its __all__ (kept equal to the module's own list by tests/test_db.py)
_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    "stats": (
        "DEFAULT_GOF_EDGES",
        "Drawdown",
        "GofResult",
        "IndependenceResult",
        "binomial_p_value",
        "bootstrap_mean_ci",
        "brier_score",
        "chi_square_survival_gof",
        "crash_survival",
        "lag1_independence",
        "longest_streaks",
        "max_drawdown",
        "mean_ci",
        "mean_ci_from_sums",
        "poisson_binomial_z_test",
        "profit_factor",
        "ratio_ci_from_sums",
        "reliability_bins",
        "risk_of_ruin",
        "rtp_from_survival",
        "runs_test",
        "sharpe_ratio",
        "sharpe_ratio_from_sums",
        "wilson_interval",
    ),
    "analytics": (
        "get_bot_statistics",
        "get_game_statistics",
        "get_multiplier_distribution",
        "get_session_summary",
        "get_signal_effectiveness",
        "get_strategy_performance",
    ),
    "export": (
        "EXPORT_FORMATS",
        "export_multipliers",
        "export_multipliers_for_ml",
        "export_rounds",
        "export_rounds_to_json",
    ),
    "maintenance": ("cleanup_old_records", "get_database_size"),
    "games": (
        "CrashGame",
        "cents_to_decimal",
        "decimal_to_cents",
        "expected_roi",
        "get_game",
        "survival_probability",
    ),
    "fairness": (
        "FAIRNESS_KEY",
        "RoundVerification",
        "aviator_combined_hash",
        "aviator_commitment",
        "aviator_fairness_metadata",
        "bustabit_chain",
        "bustabit_fairness_metadata",
        "bustabit_game_result",
        "bustabit_previous_hash",
        "find_broken_links",
        "verify_aviator_round",
        "verify_bustabit_round",
        "verify_recorded_rounds",
        "verify_round_metadata",
        "walk_to_terminating_hash",
    ),
    "strategies": (
        "BUILTIN_STRATEGIES",
        "Bet",
        "CompoundStrategy",
        "CustomStrategy",
        "FixedStake",
        "KellyCriterion",
        "Martingale",
        "RoundResult",
        "StopLoss",
        "Strategy",
        "StrategyLike",
        "TakeProfit",
        "kelly_fraction",
        "load_custom_strategy",
        "make_strategy",
        "parse_strategy_spec",
        "quantize_stake",
    ),
    "simulate": (
        "DEFAULT_START",
        "FleetConfig",
        "FleetResult",
        "LogSink",
        "MonteCarloResult",
        "SessionOutcome",
        "SessionSummary",
        "StrategyRow",
        "backtest",
        "load_multipliers_csv",
        "load_multipliers_db",
        "monte_carlo",
        "play_session",
        "register_fleet_bots",
        "run_fleet",
        "run_session",
        "settle",
        "simulate_fleet",
    ),
    "report": ("write_report",),
}
_LAZY: dict[str, str] = {name: module for module, names in _LAZY_MODULES.items() for name in names}

__all__ = [
    *db.__all__,
    *exceptions.__all__,
    *records.__all__,
    *ingest.__all__,
    *writer.__all__,
    *_LAZY,
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f"crashdb.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crashdb' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"crashdb.{module}"), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_LAZY_MODULES})
