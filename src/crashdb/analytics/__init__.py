"""The seed's analytics functions, aggregated in SQL, with honest uncertainty.

Each returns a plain JSON-serializable dict (see docs/analytics.md for the convention: money as
exact decimal strings, rates and statistics as floats, timestamps as ISO-8601 UTC strings, and
every estimate ``X`` next to ``X_ci95``). An unknown bot, session, strategy or game gives an
explicit empty result with ``"found": false`` rather than an exception.

* :func:`get_bot_statistics`, :func:`get_session_summary`, :func:`get_strategy_performance`:
  win rate, profit, ROI against the house edge, expectancy, profit factor, Sharpe-like ratio,
  drawdown, streaks, risk of ruin.
* :func:`get_game_statistics`, :func:`get_multiplier_distribution`: the RTP estimate, the fit
  of the crash multipliers to ``P(crash >= x) = RTP / x`` and the independence of rounds.
* :func:`get_signal_effectiveness`: signals judged against chance.

Modules: :mod:`~crashdb.analytics.bots`, :mod:`~crashdb.analytics.sessions`,
:mod:`~crashdb.analytics.strategies`, :mod:`~crashdb.analytics.games`,
:mod:`~crashdb.analytics.signals`, :mod:`~crashdb.analytics.export`,
:mod:`~crashdb.analytics.maintenance`, and the pure statistics of :mod:`~crashdb.analytics.stats`.
"""

from __future__ import annotations

from crashdb.analytics.bots import get_bot_statistics
from crashdb.analytics.export import (
    EXPORT_FORMATS,
    export_multipliers,
    export_multipliers_for_ml,
    export_rounds,
    export_rounds_to_json,
)
from crashdb.analytics.games import get_game_statistics, get_multiplier_distribution
from crashdb.analytics.maintenance import cleanup_old_records, get_database_size
from crashdb.analytics.sessions import get_session_summary
from crashdb.analytics.signals import get_signal_effectiveness
from crashdb.analytics.strategies import get_strategy_performance

__all__ = [
    "EXPORT_FORMATS",
    "cleanup_old_records",
    "export_multipliers",
    "export_multipliers_for_ml",
    "export_rounds",
    "export_rounds_to_json",
    "get_bot_statistics",
    "get_database_size",
    "get_game_statistics",
    "get_multiplier_distribution",
    "get_session_summary",
    "get_signal_effectiveness",
    "get_strategy_performance",
]
