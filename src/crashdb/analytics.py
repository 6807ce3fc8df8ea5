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
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select

from crashdb._analytics_sql import R, iso, money, resolve_db, time_filters, tune
from crashdb._game_analytics import get_game_statistics, get_multiplier_distribution
from crashdb._performance import performance_metrics
from crashdb._rollup import refresh_strategy, strategy_capital, strategy_metrics
from crashdb._signal_analytics import get_signal_effectiveness
from crashdb.config import STRATEGIES
from crashdb.db import Database
from crashdb.models import BotVMRegistration, SessionLog

__all__ = [
    "get_bot_statistics",
    "get_game_statistics",
    "get_multiplier_distribution",
    "get_session_summary",
    "get_signal_effectiveness",
    "get_strategy_performance",
]

DateLike = datetime | date | str | None
S = SessionLog.__table__.c
B = BotVMRegistration.__table__.c


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def get_bot_statistics(
    bot_id: str,
    start_date: DateLike = None,
    end_date: DateLike = None,
    *,
    db: Database | None = None,
) -> dict[str, Any]:
    """Performance of one bot over all its sessions (optionally within a time window)."""
    database = resolve_db(db)
    where = [R.bot_id == bot_id, *time_filters(start_date, end_date)]
    with database.engine.connect() as conn:
        tune(conn)
        registered = conn.execute(select(B.initial_balance).where(B.bot_id == bot_id)).first()
        first = conn.execute(
            select(R.running_balance_before)
            .where(*where)
            .order_by(R.round_start_timestamp, R.round_number, R.bet_slot)
            .limit(1)
        ).first()
        capital = _float_or_none(first[0] if first is not None else None)
        if capital is None and registered is not None:
            capital = _float_or_none(registered[0])
        sessions = conn.execute(
            select(func.count()).select_from(SessionLog).where(S.bot_id == bot_id)
        ).scalar_one()
        metrics = performance_metrics(conn, where, capital=capital)
    return {
        "bot_id": bot_id,
        "found": registered is not None or metrics["total_rounds"] > 0,
        "start_date": iso(_bound(start_date)),
        "end_date": iso(_bound(end_date, end=True)),
        "sessions": int(sessions),
        "starting_capital": money(capital) if capital is not None else None,
        **metrics,
    }


def _bound(value: DateLike, end: bool = False) -> datetime | None:
    from crashdb._analytics_sql import as_utc

    return as_utc(value, end=end)


def get_session_summary(session_id: str, *, db: Database | None = None) -> dict[str, Any]:
    """One session, aggregated over every bot that used this session id."""
    database = resolve_db(db)
    with database.engine.connect() as conn:
        tune(conn)
        logs = (
            conn.execute(select(SessionLog.__table__).where(S.session_id == session_id))
            .mappings()
            .all()
        )
        where = [R.session_id == session_id]
        last_round = conn.execute(
            select(func.max(func.coalesce(R.round_end_timestamp, R.round_start_timestamp))).where(
                *where
            )
        ).scalar_one()
        initial = [row["initial_balance"] for row in logs if row["initial_balance"] is not None]
        capital = float(sum(initial)) if initial else None
        metrics = performance_metrics(conn, where, capital=capital)
    bots = sorted({row["bot_id"] for row in logs})
    starts = [row["start_timestamp"] for row in logs if row["start_timestamp"] is not None]
    ends = [row["end_timestamp"] for row in logs if row["end_timestamp"] is not None]
    start = min(starts) if starts else None
    closed = len(ends) == len(logs) and bool(logs)
    end = max(ends) if closed else last_round
    if start is None and metrics["first_round_at"] is not None:
        start = datetime.fromisoformat(metrics["first_round_at"])
    duration = (end - start).total_seconds() if start is not None and end is not None else None
    finals: list[Decimal] = []
    for row in logs:
        value = row["final_balance"] if row["final_balance"] is not None else row["current_balance"]
        if value is not None:
            finals.append(value)
    per_bot = [
        {
            "bot_id": row["bot_id"],
            "status": row["status"],
            "game_name": row["game_name"],
            "strategy_name": row["strategy_name"],
            "start_timestamp": iso(row["start_timestamp"]),
            "end_timestamp": iso(row["end_timestamp"]),
            "initial_balance": money(row["initial_balance"]),
            "final_balance": money(row["final_balance"]),
            "current_balance": money(row["current_balance"]),
            "total_rounds": row["total_rounds"],
            "total_wins": row["total_wins"],
            "total_losses": row["total_losses"],
            "total_profit": money(row["total_profit"]),
        }
        for row in logs
    ]
    statuses = sorted({row["status"] for row in logs})
    return {
        "session_id": session_id,
        "found": bool(logs) or metrics["total_rounds"] > 0,
        "bots": bots,
        "bot_id": bots[0] if len(bots) == 1 else None,
        "shared_by_several_bots": len(bots) > 1,
        "status": statuses[0] if len(statuses) == 1 else ("mixed" if statuses else None),
        "start_timestamp": iso(start),
        "end_timestamp": iso(end),
        "is_closed": closed,
        "duration_seconds": duration,
        "initial_balance": money(sum(initial)) if initial else None,
        "final_balance": money(sum(finals)) if finals else None,
        "per_bot": per_bot,
        **metrics,
    }


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
        # The whole history: from the per-run summaries (crashdb._rollup), not the rounds.
        refresh_strategy(database, strategy_name)
        with database.engine.connect() as conn:
            tune(conn)
            total, n_sessions = strategy_capital(conn, strategy_name)
            capital = _float_or_none(total)
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
            capital = _float_or_none(capital_row[0])
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
