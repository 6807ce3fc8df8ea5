"""``get_bot_statistics``: one bot's betting performance over all its sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from crashdb.analytics.common import DateLike, R, as_utc, iso, money, resolve_db, tune
from crashdb.analytics.performance import metrics_from
from crashdb.analytics.runs import Selection, T, run_states
from crashdb.db.engine import Database
from crashdb.db.models import BotVMRegistration, SessionLog

__all__ = ["get_bot_statistics"]

S = SessionLog.__table__.c
B = BotVMRegistration.__table__.c


def get_bot_statistics(
    bot_id: str,
    start_date: DateLike = None,
    end_date: DateLike = None,
    *,
    db: Database | None = None,
) -> dict[str, Any]:
    """Performance of one bot over all its sessions (optionally within a time window)."""
    database = resolve_db(db)
    start, stop = as_utc(start_date), as_utc(end_date, end=True)
    selection = Selection([T.bot_id == bot_id], [R.bot_id == bot_id], start, stop)
    with database.engine.connect() as conn:
        tune(conn)
        registered = conn.execute(select(B.initial_balance).where(B.bot_id == bot_id)).first()
        summaries, runs = run_states(conn, selection)
        # The bankroll: the balance before the bot's first round, else its registration.
        first = min(summaries, key=lambda s: s["first_ts"], default=None)
        balance = first["first_balance"] if first is not None else None
        if balance is None and registered is not None:
            balance = registered[0]
        capital = float(balance) if balance is not None else None
        sessions = conn.execute(
            select(func.count()).select_from(SessionLog).where(S.bot_id == bot_id)
        ).scalar_one()
        metrics = metrics_from(conn, summaries, runs, capital=capital)
    return {
        "bot_id": bot_id,
        "found": registered is not None or metrics["total_rounds"] > 0,
        "start_date": iso(start),
        "end_date": iso(stop),
        "sessions": int(sessions),
        "starting_capital": money(balance),
        **metrics,
    }
