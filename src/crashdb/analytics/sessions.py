"""``get_session_summary``: one session, over every bot that used its id."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crashdb.analytics.common import R, iso, money, resolve_db, tune
from crashdb.analytics.performance import metrics_for
from crashdb.analytics.runs import Selection, T
from crashdb.db.engine import Database
from crashdb.db.models import SessionLog

__all__ = ["get_session_summary"]

S = SessionLog.__table__.c


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
        initial = [row["initial_balance"] for row in logs if row["initial_balance"] is not None]
        capital = float(sum(initial)) if initial else None
        selection = Selection([T.session_id == session_id], [R.session_id == session_id])
        metrics = metrics_for(conn, selection, capital=capital)
    last_round = (
        datetime.fromisoformat(metrics["last_round_at"]) if metrics["last_round_at"] else None
    )
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
    games = sorted({row["game_name"] for row in logs if row["game_name"]})
    return {
        "session_id": session_id,
        "found": bool(logs) or metrics["total_rounds"] > 0,
        "bots": bots,
        "bot_id": bots[0] if len(bots) == 1 else None,
        "shared_by_several_bots": len(bots) > 1,
        "status": statuses[0] if len(statuses) == 1 else ("mixed" if statuses else None),
        "game_name": games[0] if len(games) == 1 else None,
        "start_timestamp": iso(start),
        "end_timestamp": iso(end),
        "start_time": iso(start),
        "end_time": iso(end),
        "is_closed": closed,
        "duration_seconds": duration,
        "initial_balance": money(sum(initial)) if initial else None,
        "final_balance": money(sum(finals)) if finals else None,
        "per_bot": per_bot,
        **metrics,
        "total_profit_loss": metrics["total_profit"],
        "win_rate": metrics["win_rate_percent"],
    }
