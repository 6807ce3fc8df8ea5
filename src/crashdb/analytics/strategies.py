"""``get_strategy_performance``: every bet placed with one strategy, pooled over bots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, tuple_

from crashdb.analytics.common import DateLike, R, as_utc, money, resolve_db, tune
from crashdb.analytics.performance import metrics_from
from crashdb.analytics.runs import Selection, T, run_states
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
    """Every bet placed with one strategy, pooled over bots (drawdown per run: one strategy's
    rounds in one bot session)."""
    database = resolve_db(db)
    start, stop = as_utc(start_date), as_utc(end_date, end=True)
    selection = Selection(
        [T.strategy_name == strategy_name],
        [R.strategy_name == strategy_name],
        start,
        stop,
        run="strategy",
    )
    with database.engine.connect() as conn:
        tune(conn)
        summaries, runs = run_states(conn, selection)
        capital_total, n_sessions = strategy_capital(conn, summaries)
        capital = float(capital_total) if capital_total is not None else None
        metrics = metrics_from(conn, summaries, runs, capital=capital)
    return {
        "strategy_name": strategy_name,
        "strategy": strategy_name,
        "found": metrics["total_rounds"] > 0,
        "known_strategy": strategy_name in STRATEGIES,
        "description": STRATEGIES.get(strategy_name),
        "sessions": n_sessions,
        "starting_capital": money(capital_total),
        **metrics,
    }


def strategy_capital(conn: Any, summaries: list[dict[str, Any]]) -> tuple[Any, int]:
    """Sum of the initial balances of the sessions in ``summaries``, and how many there are."""
    sessions = sorted({(s["bot_id"], s["session_id"]) for s in summaries})
    if not sessions:
        return None, 0
    total = conn.execute(
        select(func.sum(S.initial_balance)).where(tuple_(S.bot_id, S.session_id).in_(sessions))
    ).scalar()
    return total, len(sessions)
