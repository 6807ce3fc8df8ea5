"""``get_strategy_performance``: every bet placed with one strategy, pooled over bots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select

from crashdb.analytics.common import (
    DateLike,
    R,
    float_or_none,
    money,
    resolve_db,
    time_filters,
    tune,
)
from crashdb.analytics.performance import performance_metrics
from crashdb.analytics.rollup import refresh_strategy, strategy_capital, strategy_metrics
from crashdb.config import STRATEGIES
from crashdb.db.engine import Database
from crashdb.db.models import SessionLog

__all__ = ["get_strategy_performance"]

S = SessionLog.__table__.c


def get_strategy_performance(
    strategy_name: str,
    start_date: DateLike = None,
    end_date: DateLike = None,
    *,
    db: Database | None = None,
) -> dict[str, Any]:
    """Every bet placed with one strategy, pooled over bots (drawdown on the pooled curve)."""
    database = resolve_db(db)
    filters = time_filters(start_date, end_date)
    if not filters:
        # The whole history: from the per-run summaries (crashdb.analytics.rollup), not the rounds.
        refresh_strategy(database, strategy_name)
        with database.engine.connect() as conn:
            tune(conn)
            total, n_sessions = strategy_capital(conn, strategy_name)
            capital = float_or_none(total)
            metrics = strategy_metrics(conn, strategy_name, capital=capital)
    else:
        where = [R.strategy_name == strategy_name, *filters]
        used = exists().where(
            R.bot_id == S.bot_id, R.session_id == S.session_id, R.strategy_name == strategy_name
        )
        with database.engine.connect() as conn:
            tune(conn)
            capital_row = conn.execute(
                select(func.sum(S.initial_balance), func.count()).where(used)
            ).one()
            capital = float_or_none(capital_row[0])
            n_sessions = int(capital_row[1])
            metrics = performance_metrics(conn, where, capital=capital)
    return {
        "strategy_name": strategy_name,
        "found": metrics["total_rounds"] > 0,
        "known_strategy": strategy_name in STRATEGIES,
        "description": STRATEGIES.get(strategy_name),
        "sessions": n_sessions,
        "starting_capital": money(capital) if capital is not None else None,
        **metrics,
    }
