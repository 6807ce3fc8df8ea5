"""Betting performance (bot, session, strategy) in one window-function query.

A *run* is one bot's session: its rounds in ``(round_number, bet_slot)`` order, one bankroll.
Drawdown and streaks are properties of a run (balances restart with each session), so for a
bot, a shared session or a strategy we report the worst drawdown and the longest streaks over
its runs, and say which run it was. Everything else (counts, exact money totals, the sums
behind the confidence intervals) is pooled over all selected rounds.

The query has three window levels over ``PARTITION BY bot_id, session_id ORDER BY round_number,
bet_slot`` (the sort is served by an index), then one pass of ``OVER ()`` aggregates and a
top-1 sort for the worst drawdown: a few passes over the selected rows, nothing loaded into
Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from scipy.stats import norm
from sqlalchemy import ColumnElement, Float, case, func, literal_column, select, true
from sqlalchemy.engine import Connection

from crashdb.analytics import stats
from crashdb.analytics.common import ALPHA, R, ci, fnum, iso, money
from crashdb.config import GAMES
from crashdb.db.models import GamePlatformConfig

__all__: list[str] = []

Z95 = 1.959963984540054


def published_rtps(conn: Connection) -> dict[str, float]:
    """Published RTP per game: the reference table when its platforms agree, else GAMES."""
    t = GamePlatformConfig.__table__.c
    seen: dict[str, set[float]] = {}
    for game, pct in conn.execute(select(t.game_name, t.rtp_percent)).all():
        if pct is not None:
            seen.setdefault(game, set()).add(float(pct) / 100)
    out = {name: float(info.rtp) for name, info in GAMES.items()}
    out.update({g: v.pop() for g, v in seen.items() if len(v) == 1})
    return out


def _float(col: ColumnElement[Any]) -> ColumnElement[float]:
    return col.cast(Float(53))


def performance_metrics(
    conn: Connection, where: Sequence[ColumnElement[bool]], *, capital: float | None
) -> dict[str, Any]:
    """Win rate, profit, ROI vs the house edge, expectancy, profit factor, Sharpe, drawdown,
    streaks and risk of ruin for the rounds matching ``where``; ``capital`` is the bankroll
    used for the risk of ruin."""
    rtps = published_rtps(conn)
    zero: ColumnElement[Any] = literal_column("0")
    part = [R.bot_id, R.session_id]
    order = [R.round_number, R.bet_slot]
    frame = (None, 0)
    won = case((R.round_outcome == "WIN", 1), else_=0)
    lost = case((R.round_outcome == "LOSS", 1), else_=0)
    edge = case(*((R.game_name == g, rtp - 1) for g, rtp in rtps.items()), else_=None)
    l1 = (
        select(
            R.bot_id,
            R.session_id,
            R.round_number,
            R.bet_slot,
            R.round_start_timestamp.label("ts"),
            R.round_end_timestamp.label("te"),
            R.round_outcome.label("outcome"),
            R.profit_loss.label("profit"),
            R.stake_value.label("stake"),
            _float(R.profit_loss).label("pf"),
            _float(R.stake_value).label("sf"),
            edge.label("edge"),
            func.sum(R.profit_loss)
            .over(partition_by=part, order_by=order, rows=frame)
            .label("cum"),
            func.sum(won).over(partition_by=part, order_by=order, rows=frame).label("cw"),
            func.sum(lost).over(partition_by=part, order_by=order, rows=frame).label("cl"),
            func.first_value(R.running_balance_before)
            .over(partition_by=part, order_by=order, rows=frame)
            .label("first_balance"),
        )
        .where(*where)
        .subquery("l1")
    )
    p1 = [l1.c.bot_id, l1.c.session_id]
    o1 = [l1.c.round_number, l1.c.bet_slot]
    l2 = select(
        l1,
        func.max(l1.c.cum).over(partition_by=p1, order_by=o1, rows=frame).label("peak"),
        func.max(case((l1.c.outcome == "LOSS", l1.c.cw), else_=None))
        .over(partition_by=p1, order_by=o1, rows=frame)
        .label("cw_at_loss"),
        func.max(case((l1.c.outcome == "WIN", l1.c.cl), else_=None))
        .over(partition_by=p1, order_by=o1, rows=frame)
        .label("cl_at_win"),
    ).subquery("l2")
    peak = case((l2.c.peak > zero, l2.c.peak), else_=zero)
    l3 = select(
        l2,
        peak.label("peak_value"),
        (peak - l2.c.cum).label("fall"),
        (_float(peak - l2.c.cum) / func.nullif(_float(l2.c.first_balance) + _float(peak), 0)).label(
            "fall_pct"
        ),
        case(
            (l2.c.outcome == "WIN", l2.c.cw - func.coalesce(l2.c.cw_at_loss, zero)), else_=zero
        ).label("win_run"),
        case(
            (l2.c.outcome == "LOSS", l2.c.cl - func.coalesce(l2.c.cl_at_win, zero)), else_=zero
        ).label("loss_run"),
    ).cte("l3")
    c = l3.c
    bet = (c.stake > zero) & (c.outcome != "SKIP")
    pf = case((bet, c.pf), else_=None)
    sf = case((bet, c.sf), else_=None)
    gain = case((bet & (c.pf > 0), c.pf), else_=None)
    ret = case((bet, c.pf / c.sf), else_=None)
    total = func.count()

    def agg(expr: Any) -> Any:
        return expr

    totals = (
        select(
            total.label("rows"),
            agg(func.sum(case((c.outcome == "WIN", 1), else_=0))).label("wins"),
            agg(func.sum(case((c.outcome == "LOSS", 1), else_=0))).label("losses"),
            agg(func.sum(case((c.outcome == "SKIP", 1), else_=0))).label("skips"),
            agg(func.sum(case((c.outcome == "ERROR", 1), else_=0))).label("errors"),
            agg(func.count(pf)).label("bets"),
            agg(func.sum(c.profit)).label("total_profit"),
            agg(func.sum(case((bet, c.stake), else_=None))).label("total_staked"),
            agg(func.sum(pf)).label("sp"),
            agg(func.sum(pf * pf)).label("spp"),
            agg(func.sum(sf)).label("ss"),
            agg(func.sum(sf * sf)).label("sss"),
            agg(func.sum(pf * sf)).label("sps"),
            agg(func.sum(gain)).label("sg"),
            agg(func.sum(gain * gain)).label("sgg"),
            agg(func.sum(ret)).label("sr"),
            agg(func.sum(ret * ret)).label("srr"),
            agg(func.sum(sf * c.edge)).label("expected_profit"),
            (agg(func.count(sf)) - agg(func.count(sf * c.edge))).label("unknown_rtp"),
            agg(func.min(c.ts)).label("first_ts"),
            agg(func.max(func.coalesce(c.te, c.ts))).label("last_ts"),
            agg(func.max(c.fall_pct)).label("max_fall_pct"),
            agg(func.max(c.win_run)).label("longest_win"),
            agg(func.max(c.loss_run)).label("longest_loss"),
        )
    ).subquery("totals")
    worst = (
        select(c.fall, c.peak_value, c.bot_id, c.session_id, c.round_number, c.bet_slot, c.ts)
        .order_by(c.fall.desc(), c.ts)
        .limit(1)
        .subquery("worst")
    )
    final = select(totals, worst).select_from(totals.outerjoin(worst, true()))
    row = conn.execute(final).mappings().first()
    data = dict(row) if row is not None else None
    if data is not None:
        data.update(_drawdown_start(conn, where, data))
    return _metrics(data, capital)


def _drawdown_start(
    conn: Connection, where: Sequence[ColumnElement[bool]], worst: dict[str, Any]
) -> dict[str, Any]:
    """The last round at the peak before the worst trough, found in that one run only."""
    none = {"peak_round": None, "peak_ts": None}
    if worst["fall"] is None or float(worst["fall"]) <= 0 or float(worst["peak_value"]) <= 0:
        return none
    order = [R.round_number, R.bet_slot]
    run = (
        select(
            R.round_number,
            R.bet_slot,
            R.round_start_timestamp.label("ts"),
            func.sum(R.profit_loss).over(order_by=order, rows=(None, 0)).label("cum"),
        )
        .where(*where, R.bot_id == worst["bot_id"], R.session_id == worst["session_id"])
        .subquery("run")
    )
    peak = float(worst["peak_value"])
    found = conn.execute(
        select(run.c.round_number, run.c.ts)
        .where(
            (run.c.round_number < worst["round_number"])
            | (
                (run.c.round_number == worst["round_number"])
                & (run.c.bet_slot <= worst["bet_slot"])
            ),
            _float(run.c.cum) > peak - 5e-5,
            _float(run.c.cum) < peak + 5e-5,
        )
        .order_by(run.c.round_number.desc(), run.c.bet_slot.desc())
        .limit(1)
    ).first()
    if found is None:
        return none
    return {"peak_round": found.round_number, "peak_ts": found.ts}


def _metrics(row: dict[str, Any] | None, capital: float | None) -> dict[str, Any]:
    def f(key: str) -> float:
        return float(row[key] or 0) if row is not None else 0.0

    n_bets = int(f("bets"))
    wins, losses = int(f("wins")), int(f("losses"))
    decided = wins + losses
    win_low, win_high = stats.wilson_interval(wins, decided)
    sp, spp, ss, sss, sps = f("sp"), f("spp"), f("ss"), f("sss"), f("sps")
    sg, sgg = f("sg"), f("sgg")
    sl, sll = sg - sp, spp - sgg  # gains and losses never overlap in one bet
    roi, roi_ci = stats.ratio_ci_from_sums(n_bets, sp, ss, spp, sss, sps)
    exp_mean, exp_sd, exp_ci = stats.mean_ci_from_sums(n_bets, sp, spp)
    pf, pf_ci = stats.ratio_ci_from_sums(n_bets, sg, sl, sgg, sll, 0.0)
    sharpe, sharpe_ci = stats.sharpe_ratio_from_sums(n_bets, f("sr"), f("srr"))
    mean_ret, _sd, mean_ret_ci = stats.mean_ci_from_sums(n_bets, f("sr"), f("srr"))
    expected_roi = None
    if row is not None and ss > 0 and int(f("unknown_rtp")) == 0:
        expected_roi = f("expected_profit") / ss * 100
    roi_p = None
    if roi is not None and roi_ci is not None and expected_roi is not None:
        se = (roi_ci[1] - roi_ci[0]) / (2 * Z95)
        if se > 0:
            roi_p = float(2 * norm.sf(abs(roi - expected_roi / 100) / se))
    total_profit = Decimal(str(row["total_profit"])) if row and row["total_profit"] else Decimal(0)
    ruin = ruin_ci = None
    if exp_mean is not None and exp_sd is not None and exp_ci is not None and capital:
        bankroll = capital + float(total_profit)
        ruin = stats.risk_of_ruin(exp_mean, exp_sd, bankroll)
        ruin_ci = [
            stats.risk_of_ruin(exp_ci[1], exp_sd, bankroll),
            stats.risk_of_ruin(exp_ci[0], exp_sd, bankroll),
        ]
    fall = row["fall"] if row is not None else None
    has_dd = fall is not None and float(fall) > 0
    out: dict[str, Any] = {
        "total_rounds": int(f("rows")),
        "total_bets": n_bets,
        "wins": wins,
        "losses": losses,
        "skips": int(f("skips")),
        "errors": int(f("errors")),
        "win_rate_percent": wins / decided * 100 if decided else None,
        "win_rate_percent_ci95": [win_low * 100, win_high * 100] if decided else None,
        "total_staked": money(row["total_staked"] if row and row["total_staked"] else 0),
        "total_profit": money(total_profit),
        "roi_percent": fnum(roi * 100) if roi is not None else None,
        "roi_percent_ci95": ci(roi_ci, 100),
        "expected_roi_percent_at_published_rtp": fnum(expected_roi),
        "roi_vs_house_edge_p_value": roi_p,
        "expectancy": fnum(exp_mean),
        "expectancy_ci95": ci(exp_ci),
        "mean_return_per_bet": fnum(mean_ret),
        "mean_return_per_bet_ci95": ci(mean_ret_ci),
        "profit_factor": fnum(pf),
        "profit_factor_ci95": ci(pf_ci),
        "sharpe_per_round": fnum(sharpe),
        "sharpe_per_round_ci95": ci(sharpe_ci),
        "max_drawdown": money(fall if has_dd else 0),
        "max_drawdown_percent": (
            fnum(float(row["max_fall_pct"]) * 100)
            if row is not None and row["max_fall_pct"] is not None
            else None
        ),
        "max_drawdown_bot_id": row["bot_id"] if has_dd and row else None,
        "max_drawdown_session_id": row["session_id"] if has_dd and row else None,
        "max_drawdown_start_round": row["peak_round"] if has_dd and row else None,
        "max_drawdown_end_round": row["round_number"] if has_dd and row else None,
        "max_drawdown_start_timestamp": iso(row["peak_ts"]) if has_dd and row else None,
        "max_drawdown_end_timestamp": iso(row["ts"]) if has_dd and row else None,
        "longest_win_streak": int(f("longest_win")),
        "longest_loss_streak": int(f("longest_loss")),
        "risk_of_ruin": ruin,
        "risk_of_ruin_ci95": ruin_ci,
        "first_round_at": iso(row["first_ts"]) if row else None,
        "last_round_at": iso(row["last_ts"]) if row else None,
    }
    out["verdict"] = roi_verdict(out)
    return out


def roi_verdict(m: dict[str, Any]) -> str:
    """A plain-language sentence on the ROI against the house edge."""
    if not m["total_bets"]:
        return "No bets recorded."
    roi, roi_ci = m["roi_percent"], m["roi_percent_ci95"]
    expected, p = m["expected_roi_percent_at_published_rtp"], m["roi_vs_house_edge_p_value"]
    if roi is None or roi_ci is None:
        return "Too few bets to estimate the ROI."
    text = (
        f"ROI {roi:+.2f}% (95% CI {roi_ci[0]:+.2f}% to {roi_ci[1]:+.2f}%) "
        f"over {m['total_bets']} bets."
    )
    if expected is None or p is None:
        return text
    text += f" The published RTP implies {expected:+.2f}% per unit staked at any target."
    if p >= ALPHA:
        text += (
            f" The difference is NOT statistically significant (p = {p:.3g}): this record is "
            "consistent with the house edge, not evidence of an edge."
        )
    elif roi * 100 > expected:
        text += (
            f" Better than the house edge (p = {p:.3g}); with many bots and strategies tested, "
            "expect some to look lucky."
        )
    else:
        text += f" Worse than the house edge (p = {p:.3g})."
    return text
