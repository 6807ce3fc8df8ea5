"""``get_bot_statistics``: one bot's betting performance over all its sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from crashdb.analytics.common import (
    DateLike,
    R,
    as_utc,
    float_or_none,
    iso,
    money,
    resolve_db,
    time_filters,
    tune,
)
from crashdb.analytics.performance import performance_metrics
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
        capital = float_or_none(first[0] if first is not None else None)
        if capital is None and registered is not None:
            capital = float_or_none(registered[0])
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
    return as_utc(value, end=end)
