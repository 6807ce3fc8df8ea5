"""Shared pieces of the analytics: the output convention, time filters and reusable SQL.

Output convention (documented in docs/analytics.md) -- every result is a plain JSON dict:

* money (NUMERIC(18,4): stakes, profits, balances) -> string of the exact decimal, "-3.3000";
* multipliers (NUMERIC(12,2)) -> JSON number (the float whose shortest repr is the exact
  two-decimal value, e.g. 2.45);
* rates, percentages, statistics, p-values -> floats; counts -> ints;
* timestamps -> ISO-8601 strings in UTC ("2026-11-21T12:00:00+00:00");
* every estimate ``X`` comes with ``X_ci95: [low, high]`` (null when it cannot be computed);
* missing / undefined -> null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from crashdb.config import GAMES
from crashdb.db.engine import Database, get_database
from crashdb.db.models import CrashGameRound, GamePlatformConfig
from crashdb.db.types import real

__all__: list[str] = []

R = CrashGameRound.__table__.c
DateLike = datetime | date | str | None
MONEY_Q = Decimal("0.0001")
ALPHA = 0.05


def float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def resolve_db(db: Database | None) -> Database:
    return db if db is not None else get_database()


def tune(conn: Connection) -> None:
    """Give this transaction's sorts and hashes room in memory (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        # Analytic queries are short: JIT compilation costs more than it saves here.
        conn.exec_driver_sql("SET LOCAL jit = off")


# --------------------------------------------------------------------------- conversions


def money(value: Any) -> str | None:
    """Exact decimal string with 4 places."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return str(value.quantize(MONEY_Q))


def mult(value: Any) -> float | None:
    return None if value is None else float(value)


def fnum(value: Any) -> float | None:
    """A finite float or None (JSON has no NaN / infinity)."""
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def ci(interval: Sequence[float] | None, scale: float = 1.0) -> list[float] | None:
    if interval is None:
        return None
    low, high = (fnum(v * scale) for v in interval)
    if low is None or high is None:
        return None
    return [low, high]


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat())


def as_utc(value: datetime | date | str | None, *, end: bool = False) -> datetime | None:
    """A filter bound: aware datetimes as given; dates are whole UTC days (end inclusive)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                "naive datetime: pass a timezone-aware datetime (e.g. tzinfo=UTC) or a date"
            )
        return value.astimezone(UTC)
    moment = datetime.combine(value, time(0), tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def time_filters(
    start_date: datetime | date | str | None, end_date: datetime | date | str | None
) -> list[ColumnElement[bool]]:
    """``start <= round_start_timestamp < end`` (a date as ``end_date`` includes that day)."""
    out: list[ColumnElement[bool]] = []
    start = as_utc(start_date)
    stop = as_utc(end_date, end=True)
    if start is not None:
        out.append(R.round_start_timestamp >= start)
    if stop is not None:
        out.append(R.round_start_timestamp < stop)
    return out


def published_rtp(
    conn: Connection, game_name: str, platform_code: str | None = None
) -> float | None:
    """The game's published RTP: game_platform_config (editable reference data), else GAMES."""
    t = GamePlatformConfig.__table__.c
    q = select(t.rtp_percent).where(t.game_name == game_name, t.rtp_percent.is_not(None))
    if platform_code is not None:
        q = q.where(t.platform_code == platform_code)
    values = {float(v) / 100 for v in conn.execute(q).scalars()}
    if len(values) == 1:
        return values.pop()
    info = GAMES.get(game_name)
    return float(info.rtp) if info is not None else None


def num(value: float) -> Any:
    """A constant to compare a NUMERIC column with: a Decimal, which the column's type binds
    exactly (NUMERIC on PostgreSQL, the scaled integer on SQLite)."""
    return Decimal(repr(float(value)))


def f8(col: ColumnElement[Any]) -> ColumnElement[float]:
    """A NUMERIC column as a double for statistics (exact sums stay NUMERIC)."""
    return real(col)
