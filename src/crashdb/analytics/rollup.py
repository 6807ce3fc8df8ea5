"""Per-run summaries behind get_strategy_performance (table ``strategy_run_rollups``).

A strategy's *run* is its rounds in one bot's session, in ``(round_number, bet_slot)`` order
(see :mod:`crashdb.analytics.performance`). Everything the strategy report needs folds over a run in
that order into a small state: counts, exact money totals, the float sums behind the
confidence intervals, per-game stakes (the expected profit at the published RTP, which is
editable reference data, is applied at query time), and the order-dependent part -- running
cumulative profit, its peak, the worst fall from the peak and where it ended, the current and
longest streaks.

Triggers (migration 0004) mark runs stale; on PostgreSQL a statement of many rounds is folded
by its insert trigger instead (migration 0005, the same fold in SQL). :func:`refresh_strategy`
brings the stale runs
of one strategy up to date: when every new round comes after the summarised ones, only the
new rounds are read and folded into the stored state; otherwise (rounds out of order, deletes,
updates) the run is recomputed. A strategy report then combines its runs' states in Python
(a few rows per session) instead of running window functions over all its rounds.

Concurrency: the refresh takes the stale rows ``FOR NO KEY UPDATE`` in key order (SQLite:
``BEGIN IMMEDIATE``). A batch that inserts rounds of a locked run waits at its trigger until
the refresh commits and then marks the run stale again, so no round is missed or folded twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, and_, delete, func, or_, select, type_coerce, update
from sqlalchemy.engine import Connection, Engine

from crashdb.analytics.common import R
from crashdb.analytics.performance import _drawdown_start, _metrics, published_rtps
from crashdb.db.engine import SQLITE_IMMEDIATE, Database
from crashdb.db.models import SessionLog, StrategyRunRollup

__all__: list[str] = []

T = StrategyRunRollup.__table__.c
S = SessionLog.__table__.c

_SUMS = ("sp", "spp", "ss", "sss", "sps", "sg", "sgg", "sr", "srr")
_COUNTS = ("rows", "wins", "losses", "skips", "errors", "bets")
_OUTCOME_COUNT = {"WIN": "wins", "LOSS": "losses", "SKIP": "skips", "ERROR": "errors"}


def _empty() -> dict[str, Any]:
    state: dict[str, Any] = dict.fromkeys(_COUNTS, 0)
    state.update(dict.fromkeys(_SUMS, 0.0))
    state.update(
        {
            "total_profit": Decimal(0),
            "total_staked": Decimal(0),
            "games": {},  # game -> [bets, sum of stakes as float]
            "first_ts": None,
            "last_ts": None,
            "first_balance": None,
            "has_first": False,
            "cum": Decimal(0),
            "peak": Decimal(0),  # max(0, running max of cum)
            "max_fall_pct": None,
            "fall": None,  # the worst fall: value, peak then, and the round where it ended
            "fall_peak": None,
            "fall_round": None,
            "fall_slot": None,
            "fall_ts": None,
            "win_run": 0,
            "loss_run": 0,
            "longest_win": 0,
            "longest_loss": 0,
            "last_round": None,
            "last_slot": None,
        }
    )
    return state


_DECIMALS = ("total_profit", "total_staked", "cum", "peak", "fall", "fall_peak", "first_balance")
_TIMES = ("first_ts", "last_ts", "fall_ts")


def _dump(state: dict[str, Any]) -> dict[str, Any]:
    out = dict(state)
    for key in _DECIMALS:
        out[key] = None if state[key] is None else str(state[key])
    for key in _TIMES:
        out[key] = None if state[key] is None else state[key].isoformat()
    return out


def _load(raw: dict[str, Any] | str) -> dict[str, Any]:
    state = dict(json.loads(raw) if isinstance(raw, str) else raw)
    for key in _DECIMALS:
        state[key] = None if state[key] is None else Decimal(state[key])
    for key in _TIMES:
        state[key] = None if state[key] is None else datetime.fromisoformat(state[key])
    return state


def _fold(state: dict[str, Any], rows: Iterable[Any]) -> None:
    """Fold rounds, in run order, into ``state`` (the SQL of _performance, row by row)."""
    for r in rows:
        outcome, stake, profit = r.round_outcome, r.stake_value, r.profit_loss
        state["rows"] += 1
        if outcome in _OUTCOME_COUNT:
            state[_OUTCOME_COUNT[outcome]] += 1
        state["total_profit"] += profit
        if stake > 0 and outcome != "SKIP":
            pf, sf = float(profit), float(stake)
            state["bets"] += 1
            state["total_staked"] += stake
            state["sp"] += pf
            state["spp"] += pf * pf
            state["ss"] += sf
            state["sss"] += sf * sf
            state["sps"] += pf * sf
            if pf > 0:
                state["sg"] += pf
                state["sgg"] += pf * pf
            ret = pf / sf
            state["sr"] += ret
            state["srr"] += ret * ret
            game = state["games"].setdefault(r.game_name, [0, 0.0])
            game[0] += 1
            game[1] += sf
        ts = r.round_start_timestamp
        te = r.round_end_timestamp if r.round_end_timestamp is not None else ts
        if state["first_ts"] is None or ts < state["first_ts"]:
            state["first_ts"] = ts
        if state["last_ts"] is None or te > state["last_ts"]:
            state["last_ts"] = te
        if not state["has_first"]:
            state["has_first"] = True
            state["first_balance"] = r.running_balance_before
        cum = state["cum"] = state["cum"] + profit
        if cum > state["peak"]:
            state["peak"] = cum
        peak = state["peak"]
        fall = peak - cum
        base = state["first_balance"]
        if base is not None:
            denominator = float(base) + float(peak)
            if denominator != 0:
                pct = float(fall) / denominator
                if state["max_fall_pct"] is None or pct > state["max_fall_pct"]:
                    state["max_fall_pct"] = pct
        if (
            state["fall"] is None
            or fall > state["fall"]
            or (fall == state["fall"] and ts < state["fall_ts"])
        ):
            state.update(fall=fall, fall_peak=peak, fall_round=r.round_number, fall_slot=r.bet_slot)
            state["fall_ts"] = ts
        if outcome == "WIN":
            state["win_run"] += 1
            state["loss_run"] = 0
            state["longest_win"] = max(state["longest_win"], state["win_run"])
        elif outcome == "LOSS":
            state["loss_run"] += 1
            state["win_run"] = 0
            state["longest_loss"] = max(state["longest_loss"], state["loss_run"])
        state["last_round"], state["last_slot"] = r.round_number, r.bet_slot


def _run_rows(
    conn: Connection, strategy: str, bot_id: str, session_id: str, after: tuple[int, int] | None
) -> Any:
    money: list[Any] = [R.stake_value, R.profit_loss, R.running_balance_before]
    times: list[Any] = [R.round_start_timestamp, R.round_end_timestamp]
    if conn.dialect.name == "postgresql":
        # psycopg already returns exact Decimals and aware datetimes: skip the per-value
        # checks of crashdb.db.types (most of the cost of reading a long run).
        money = [type_coerce(c, Numeric(18, 4, asdecimal=True)).label(c.name) for c in money]
        times = [type_coerce(c, DateTime(timezone=True)).label(c.name) for c in times]
    q = select(R.round_number, R.bet_slot, R.game_name, R.round_outcome, *money, *times).where(
        R.strategy_name == strategy, R.bot_id == bot_id, R.session_id == session_id
    )
    if after is not None:
        q = q.where(
            or_(
                R.round_number > after[0],
                and_(R.round_number == after[0], R.bet_slot > after[1]),
            )
        )
    return conn.execute(q.order_by(R.round_number, R.bet_slot))


def _refresh(conn: Connection, strategy: str) -> int:
    locked = select(T.bot_id, T.session_id, T.rebuild, T.stale_round, T.stale_slot, T.state).where(
        T.strategy_name == strategy, T.stale
    )
    locked = locked.order_by(T.bot_id, T.session_id)
    if conn.dialect.name == "postgresql":
        locked = locked.with_for_update(key_share=True)  # FOR NO KEY UPDATE
    runs = conn.execute(locked).all()
    for run in runs:
        state = None if run.rebuild or run.state is None else _load(run.state)
        after: tuple[int, int] | None = None
        if state is not None and state["last_round"] is not None:
            after = (state["last_round"], state["last_slot"])
            if run.stale_round is None or (run.stale_round, run.stale_slot) <= after:
                state, after = None, None  # a round arrived before the summarised ones
        if state is None:
            state = _empty()
        _fold(state, _run_rows(conn, strategy, run.bot_id, run.session_id, after))
        key = (T.strategy_name == strategy, T.bot_id == run.bot_id, T.session_id == run.session_id)
        if state["rows"] == 0:
            conn.execute(delete(StrategyRunRollup).where(*key))
            continue
        conn.execute(
            update(StrategyRunRollup)
            .where(*key)
            .values(
                stale=False, rebuild=False, stale_round=None, stale_slot=None, state=_dump(state)
            )
        )
    return len(runs)


def _engine(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


def refresh_strategy(db: Database | Engine, strategy: str) -> int:
    """Bring the stale runs of ``strategy`` up to date (nothing to write: no transaction);
    the number of runs folded."""
    engine = _engine(db)
    if not has_stale_runs(engine, strategy):
        return 0
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            return _refresh(conn, strategy)


def has_stale_runs(db: Database | Engine | Connection, strategy: str) -> bool:
    """True when a run of ``strategy`` changed since it was summarised (as seen by ``db``)."""
    q = select(T.bot_id).where(T.strategy_name == strategy, T.stale).limit(1)
    if isinstance(db, Connection):
        return db.execute(q).first() is not None
    with _engine(db).connect() as conn:
        return conn.execute(q).first() is not None


def refresh_all(db: Database | Engine) -> int:
    """Bring every stale run of every strategy up to date; the number of runs folded."""
    with _engine(db).connect() as conn:
        names = conn.execute(select(T.strategy_name).where(T.stale).distinct()).scalars().all()
    return sum(refresh_strategy(db, name) for name in sorted(names))


def strategy_runs(conn: Connection, strategy: str) -> list[dict[str, Any]]:
    """The summarised run states of ``strategy`` with their bot and session (a run that a
    concurrent batch marked stale after the refresh is reported as summarised)."""
    out = []
    for row in conn.execute(
        select(T.bot_id, T.session_id, T.state).where(
            T.strategy_name == strategy, T.state.is_not(None)
        )
    ):
        state = _load(row.state)
        state["bot_id"], state["session_id"] = row.bot_id, row.session_id
        out.append(state)
    return out


def combine(runs: Sequence[dict[str, Any]], rtps: dict[str, float]) -> dict[str, Any]:
    """The row performance_metrics' SQL returns, from run states."""
    if not runs:
        data: dict[str, Any] = dict.fromkeys(
            (*_COUNTS, *_SUMS, "total_profit", "total_staked", "expected_profit"), None
        )
        data.update(rows=0, unknown_rtp=0, first_ts=None, last_ts=None, max_fall_pct=None)
        data.update(longest_win=None, longest_loss=None, fall=None, peak_value=None)
        data.update(bot_id=None, session_id=None, round_number=None, bet_slot=None, ts=None)
        return data
    data = {key: sum(run[key] for run in runs) for key in (*_COUNTS, *_SUMS)}
    data["total_profit"] = sum((run["total_profit"] for run in runs), Decimal(0))
    data["total_staked"] = sum((run["total_staked"] for run in runs), Decimal(0))
    expected = 0.0
    unknown = 0
    for run in runs:
        for game, (bets, staked) in run["games"].items():
            if game in rtps:
                expected += staked * (rtps[game] - 1)
            else:
                unknown += bets
    data["expected_profit"] = expected
    data["unknown_rtp"] = unknown
    data["first_ts"] = min(run["first_ts"] for run in runs)
    data["last_ts"] = max(run["last_ts"] for run in runs)
    pcts = [run["max_fall_pct"] for run in runs if run["max_fall_pct"] is not None]
    data["max_fall_pct"] = max(pcts) if pcts else None
    data["longest_win"] = max(run["longest_win"] for run in runs)
    data["longest_loss"] = max(run["longest_loss"] for run in runs)
    worst = min(runs, key=lambda run: (-run["fall"], run["fall_ts"]))
    data.update(
        fall=worst["fall"],
        peak_value=worst["fall_peak"],
        bot_id=worst["bot_id"],
        session_id=worst["session_id"],
        round_number=worst["fall_round"],
        bet_slot=worst["fall_slot"],
        ts=worst["fall_ts"],
    )
    return data


def strategy_metrics(conn: Connection, strategy: str, *, capital: float | None) -> dict[str, Any]:
    """performance_metrics(conn, [strategy_name == strategy]) from the run summaries (call
    :func:`refresh_strategy` first)."""
    data = combine(strategy_runs(conn, strategy), published_rtps(conn))
    data.update(_drawdown_start(conn, [R.strategy_name == strategy], data))
    return _metrics(data, capital)


def strategy_capital(conn: Connection, strategy: str) -> tuple[Any, int]:
    """Sum of initial balances and number of the sessions in which ``strategy`` was played."""
    joined = T.bot_id == S.bot_id
    row = conn.execute(
        select(func.sum(S.initial_balance), func.count())
        .select_from(StrategyRunRollup.__table__.join(SessionLog.__table__, joined))
        .where(T.strategy_name == strategy, T.session_id == S.session_id)
    ).one()
    return row[0], int(row[1])
