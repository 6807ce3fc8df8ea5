"""Betting performance (bot, session, strategy) from run summaries.

A *run* is one bot's session: its rounds in ``(round_number, bet_slot)`` order, one bankroll.
Drawdown and streaks are properties of a run (balances restart with each session), so for a
bot, a shared session or a strategy we report the worst drawdown and the longest streaks over
its runs, and say which run it was. Everything else (counts, exact money totals, the sums
behind the confidence intervals) is added up over the summaries
(:func:`crashdb.analytics.runs.run_states`); nothing here reads a round.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from scipy.stats import norm
from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Connection

from crashdb.analytics import stats
from crashdb.analytics.common import ALPHA, ci, fnum, iso, money, mult
from crashdb.analytics.runs import Selection, fold_rounds, run_states, runs_of
from crashdb.config import GAMES
from crashdb.db.folds import RUN_FIELDS
from crashdb.db.models import GamePlatformConfig

__all__: list[str] = []

Z95 = 1.959963984540054
# the double-precision sums of a run summary (run_fold.sql), added up across runs
_FLOAT_SUMS = tuple(f for f in RUN_FIELDS if f.startswith("sum_"))
_COUNTS = ("rounds", "wins", "losses", "skips", "errors", "bets", "crash_count")


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


def add_up(summaries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The totals of run summaries: counts, exact money, float sums, extremes, time span."""
    out: dict[str, Any] = {k: 0 for k in _COUNTS} | {k: 0.0 for k in _FLOAT_SUMS}
    out |= {"total_staked": Decimal(0), "total_profit": Decimal(0), "crash_sum": Decimal(0)}
    extremes: dict[str, Any] = {
        "crash_min": None,
        "crash_max": None,
        "largest_win": None,
        "largest_loss": None,
        "first_ts": None,
        "last_end_ts": None,
    }
    lowest = {"crash_min", "largest_loss", "first_ts"}
    for s in summaries:
        for k in _COUNTS:
            out[k] += int(s[k] or 0)
        for k in _FLOAT_SUMS:
            out[k] += float(s[k] or 0.0)
        for k in ("total_staked", "total_profit", "crash_sum"):
            if s[k] is not None:
                out[k] += s[k]
        for k in extremes:
            v = s[k]
            if v is None:
                continue
            cur = extremes[k]
            if cur is None or (v < cur if k in lowest else v > cur):
                extremes[k] = v
    return out | extremes


def worst_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The run with the largest drawdown (the earliest one on ties), if any fell at all."""
    fallen = [r for r in runs if r["max_drawdown"] is not None and r["max_drawdown"] > 0]
    if not fallen:
        return None
    return min(fallen, key=lambda r: (-r["max_drawdown"], r["drawdown_end_ts"]))


def metrics_for(conn: Connection, selection: Selection, *, capital: float | None) -> dict[str, Any]:
    """The performance metrics of a selection of runs (see :func:`_metrics`)."""
    summaries, runs = run_states(conn, selection)
    return metrics_from(conn, summaries, runs, capital=capital)


def metrics_from(
    conn: Connection,
    summaries: Sequence[dict[str, Any]],
    runs: Sequence[dict[str, Any]],
    *,
    capital: float | None,
) -> dict[str, Any]:
    rtps = published_rtps(conn)
    total = add_up(summaries)
    expected = 0.0
    unknown = 0
    for s in summaries:
        edge = rtps.get(s["game_name"])
        if edge is None:
            unknown += int(s["bets"] or 0)
        else:
            expected += float(s["sum_stake"] or 0.0) * (edge - 1)
    total["expected_profit"] = expected
    total["unknown_rtp"] = unknown
    worst = worst_run(runs)
    pcts = [r["max_drawdown_pct"] for r in runs if r["max_drawdown_pct"] is not None]
    total["max_fall_pct"] = max(pcts) if pcts else None
    total["longest_win"] = max((int(r["longest_win"] or 0) for r in runs), default=0)
    total["longest_loss"] = max((int(r["longest_loss"] or 0) for r in runs), default=0)
    total["worst"] = worst
    return _metrics(total if summaries else None, capital)


def performance_metrics(
    conn: Connection, where: Sequence[ColumnElement[bool]], *, capital: float | None
) -> dict[str, Any]:
    """The metrics of the rounds matching ``where`` (any filter on crash_game_rounds): their
    runs are folded from the rounds (``run_fold.sql``), no summary is read."""
    summaries = fold_rounds(conn, where)
    return metrics_from(conn, summaries, runs_of(conn, summaries, where), capital=capital)


def _metrics(row: dict[str, Any] | None, capital: float | None) -> dict[str, Any]:
    def f(key: str) -> float:
        return float(row[key] or 0) if row is not None else 0.0

    n_bets = int(f("bets"))
    wins, losses = int(f("wins")), int(f("losses"))
    decided = wins + losses
    win_low, win_high = stats.wilson_interval(wins, decided)
    sp, spp, ss = f("sum_profit"), f("sum_profit_sq"), f("sum_stake")
    sss, sps = f("sum_stake_sq"), f("sum_profit_stake")
    sg, sgg = f("sum_gain"), f("sum_gain_sq")
    sr, srr = f("sum_return"), f("sum_return_sq")
    sl, sll = sg - sp, spp - sgg  # gains and losses never overlap in one bet
    roi, roi_ci = stats.ratio_ci_from_sums(n_bets, sp, ss, spp, sss, sps)
    exp_mean, exp_sd, exp_ci = stats.mean_ci_from_sums(n_bets, sp, spp)
    pf, pf_ci = stats.ratio_ci_from_sums(n_bets, sg, sl, sgg, sll, 0.0)
    sharpe, sharpe_ci = stats.sharpe_ratio_from_sums(n_bets, sr, srr)
    mean_ret, _sd, mean_ret_ci = stats.mean_ci_from_sums(n_bets, sr, srr)
    expected_roi = None
    if row is not None and ss > 0 and int(f("unknown_rtp")) == 0:
        expected_roi = f("expected_profit") / ss * 100
    roi_p = None
    if roi is not None and roi_ci is not None and expected_roi is not None:
        se = (roi_ci[1] - roi_ci[0]) / (2 * Z95)
        if se > 0:
            roi_p = float(2 * norm.sf(abs(roi - expected_roi / 100) / se))
    total_profit: Decimal = row["total_profit"] if row is not None else Decimal(0)
    total_staked: Decimal = row["total_staked"] if row is not None else Decimal(0)
    ruin = ruin_ci = None
    if exp_mean is not None and exp_sd is not None and exp_ci is not None and capital:
        bankroll = capital + float(total_profit)
        ruin = stats.risk_of_ruin(exp_mean, exp_sd, bankroll)
        ruin_ci = [
            stats.risk_of_ruin(exp_ci[1], exp_sd, bankroll),
            stats.risk_of_ruin(exp_ci[0], exp_sd, bankroll),
        ]
    worst = row["worst"] if row is not None else None
    n_rounds = int(f("rounds"))
    crashes = int(f("crash_count"))
    out: dict[str, Any] = {
        "total_rounds": n_rounds,
        "total_bets": n_bets,
        "wins": wins,
        "losses": losses,
        "skips": int(f("skips")),
        "errors": int(f("errors")),
        "win_rate_percent": wins / decided * 100 if decided else None,
        "win_rate_percent_ci95": [win_low * 100, win_high * 100] if decided else None,
        "total_staked": money(total_staked),
        "total_stakes": money(total_staked),
        "total_profit": money(total_profit),
        "avg_profit_per_round": money(total_profit / n_rounds) if n_rounds else None,
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
        "max_drawdown": money(worst["max_drawdown"] if worst else 0),
        "max_drawdown_percent": (
            fnum(float(row["max_fall_pct"]) * 100)
            if row is not None and row["max_fall_pct"] is not None
            else None
        ),
        "max_drawdown_bot_id": worst["bot_id"] if worst else None,
        "max_drawdown_session_id": worst["session_id"] if worst else None,
        "max_drawdown_start_round": worst["drawdown_start_round"] if worst else None,
        "max_drawdown_end_round": worst["drawdown_end_round"] if worst else None,
        "max_drawdown_start_timestamp": iso(worst["drawdown_start_ts"]) if worst else None,
        "max_drawdown_end_timestamp": iso(worst["drawdown_end_ts"]) if worst else None,
        "longest_win_streak": int(f("longest_win")),
        "longest_loss_streak": int(f("longest_loss")),
        "risk_of_ruin": ruin,
        "risk_of_ruin_ci95": ruin_ci,
        "largest_win": money(row["largest_win"]) if row is not None else None,
        "largest_loss": money(row["largest_loss"]) if row is not None else None,
        "avg_multiplier": (
            float(row["crash_sum"] / crashes) if row is not None and crashes else None
        ),
        "min_multiplier": mult(row["crash_min"]) if row is not None else None,
        "max_multiplier": mult(row["crash_max"]) if row is not None else None,
        "first_round_at": iso(row["first_ts"]) if row else None,
        "last_round_at": iso(row["last_end_ts"]) if row else None,
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
