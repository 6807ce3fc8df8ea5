"""Signals judged against chance.

A signal recommends a cash-out ``target_multiplier``; it *hits* when the round's crash point
(``actual_multiplier`` on the signal, copied from its round) reaches the target.
By chance alone a target ``x`` hits with probability ``RTP / x`` (the game's published RTP), so
that is the baseline every hit rate is compared with (exact binomial test when all signals
share one baseline, else a normal approximation to the Poisson-binomial). Signals without a
target fall back to the stored ``signal_correctness`` and cannot be compared with chance.
How each signal is judged and binned is defined once, in ``signal_cells.sql``; this module reads
the signal summaries the database keeps with it (:class:`~crashdb.db.summaries.SignalSummary`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from crashdb.analytics import stats
from crashdb.analytics.common import ALPHA, fnum, mult, published_rtp, resolve_db
from crashdb.db.engine import Database
from crashdb.db.signal_folds import CONFIDENCE_BINS, cell_values
from crashdb.db.summaries import SignalSummary

__all__ = ["get_signal_effectiveness"]

S = SignalSummary.__table__.c
SUMMED = (
    S.signals,
    S.resolved,
    S.hits,
    S.with_confidence,
    S.hits_with_confidence,
    S.confidence_units,
    S.brier_units,
)


def get_signal_effectiveness(
    bot_id: str | None = None,
    signal_type: str | None = None,
    game_name: str | None = None,
    *,
    db: Database | None = None,
) -> dict[str, Any]:
    """Hit rate of each signal type with its CI, against the chance rate RTP / target."""
    database = resolve_db(db)
    # The signal summaries (signal_cells.sql defines how a signal is judged and binned): a
    # few cells per bot, whatever the number of signals.
    where = []
    if bot_id is not None:
        where.append(S.bot_id == bot_id)
    if signal_type is not None:
        where.append(S.signal_type == signal_type)
    if game_name is not None:
        where.append(S.game_name == game_name)
    stmt = (
        select(
            S.signal_type,
            S.game_name,
            S.target_multiplier,
            S.confidence_bin,
            *(func.sum(c).label(c.name) for c in SUMMED),
        )
        .where(*where)
        .group_by(S.signal_type, S.game_name, S.target_multiplier, S.confidence_bin)
    )
    with database.engine.connect() as conn:
        cells = [cell_values(r) for r in conn.execute(stmt).mappings() if r["signals"]]
        rtps = {g: published_rtp(conn, g) for g in {row["game"] for row in cells if row["game"]}}

    # Fold the (type, game, target, bin) cells into targets and into reliability bins.
    keys = ("n", "resolved", "hits", "n_conf", "brier_sum", "hits_conf")
    group_map: dict[tuple[Any, ...], dict[str, Any]] = {}
    bin_map: dict[tuple[str, int], dict[str, Any]] = {}
    for cell in cells:
        gk = (cell["signal_type"], cell["game"], cell["target_multiplier"])
        acc = group_map.setdefault(
            gk,
            {"signal_type": gk[0], "game": gk[1], "target_multiplier": gk[2]}
            | {k: 0 for k in keys},
        )
        for k in keys:
            acc[k] += cell[k] or 0
        if cell["bin"] is not None:
            bk = (cell["signal_type"], int(cell["bin"]))
            b = bin_map.setdefault(
                bk, {"signal_type": bk[0], "bin": bk[1], "n": 0, "hits": 0, "sum_conf": 0.0}
            )
            b["n"] += int(cell["n_conf"])
            b["hits"] += int(cell["hits_conf"] or 0)
            b["sum_conf"] += float(cell["sum_conf"] or 0)
    groups = list(group_map.values())
    bins = [b | {"mean_conf": b["sum_conf"] / b["n"]} for b in bin_map.values() if b["n"]]

    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in groups:
        by_type[row["signal_type"]].append(row)
    bins_by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in bins:
        bins_by_type[row["signal_type"]].append(row)

    types = []
    all_parts: list[dict[str, Any]] = []
    for name in sorted(by_type):
        parts = [_target_block(g, rtps) for g in by_type[name]]
        all_parts.extend(parts)
        block = _pooled(parts)
        block["signal_type"] = name
        block["reliability_bins"] = _reliability(bins_by_type.get(name, []))
        block["by_target"] = parts
        types.append(block)
    overall = _pooled(all_parts)
    for part in all_parts:
        for key in [k for k in part if k.startswith("_")]:
            part.pop(key)
    total = sum(int(g["n"]) for g in groups)
    n_conf = sum(int(c["n_conf"]) for c in cells)
    sum_conf = sum(float(c["sum_conf"] or 0.0) for c in cells)
    return {
        "bot_id": bot_id,
        "signal_type": signal_type,
        "game_name": game_name,
        "found": total > 0,
        "total_signals": total,
        **overall,
        # the seed's names
        "evaluated_signals": overall["resolved_signals"],
        "correct_predictions": overall["hits"],
        "accuracy_percent": overall["hit_rate_percent"],
        "avg_confidence": sum_conf / n_conf if n_conf else None,
        "signal_types": types,
    }


def _target_block(g: dict[str, Any], rtps: dict[str, float | None]) -> dict[str, Any]:
    """One (signal type, game, target): exact binomial test against RTP / target."""
    n, hits = int(g["resolved"]), int(g["hits"])
    target = mult(g["target_multiplier"])
    rtp = rtps.get(g["game"]) if g["game"] else None
    baseline = min(1.0, rtp / target) if rtp is not None and target else None
    p_value = stats.binomial_p_value(hits, n, baseline) if baseline is not None and n else None
    low, high = stats.wilson_interval(hits, n)
    n_conf = int(g["n_conf"])
    block = {
        "game_name": g["game"],
        "target_multiplier": target,
        "signals": int(g["n"]),
        "resolved": n,
        "hits": hits,
        "hit_rate_percent": hits / n * 100 if n else None,
        "hit_rate_percent_ci95": [low * 100, high * 100] if n else None,
        "baseline_hit_rate_percent": baseline * 100 if baseline is not None else None,
        "p_value": p_value,
        "significant": (p_value < ALPHA) if p_value is not None else False,
        # pooled-sum helpers (removed from the public block by _pooled)
        "_expected": baseline * n if baseline is not None else None,
        "_variance": baseline * (1 - baseline) * n if baseline is not None else None,
        "_n_conf": n_conf,
        "_brier_sum": float(g["brier_sum"]),
        "_hits_conf": int(g["hits_conf"]),
        "_baseline": baseline,
    }
    block["verdict"] = _verdict(block)
    return block


def _pooled(parts: list[dict[str, Any]]) -> dict[str, Any]:
    n = sum(p["resolved"] for p in parts)
    hits = sum(p["hits"] for p in parts)
    comparable = [p for p in parts if p["_expected"] is not None]
    n_cmp = sum(p["resolved"] for p in comparable)
    hits_cmp = sum(p["hits"] for p in comparable)
    baselines = {p["_baseline"] for p in comparable if p["resolved"]}
    baseline = p_value = None
    method = None
    if n_cmp:
        expected = sum(p["_expected"] for p in comparable)
        baseline = expected / n_cmp
        if len(baselines) == 1:
            p_value = stats.binomial_p_value(hits_cmp, n_cmp, baselines.pop())
            method = "exact binomial test"
        else:
            variance = sum(p["_variance"] for p in comparable)
            p_value = stats.poisson_binomial_z_test(hits_cmp, expected, variance)
            method = "normal approximation to the Poisson-binomial (targets differ)"
    n_conf = sum(p["_n_conf"] for p in parts)
    brier = sum(p["_brier_sum"] for p in parts) / n_conf if n_conf else None
    # The chance forecaster says RTP/target for every signal: its Brier score, for comparison.
    base_brier_sum = 0.0
    base_n = 0
    for p in comparable:
        b, k, m = p["_baseline"], p["_hits_conf"], p["_n_conf"]
        base_brier_sum += m * b * b - 2 * b * k + k
        base_n += m
    base_brier = base_brier_sum / base_n if base_n and base_n == n_conf else None
    low, high = stats.wilson_interval(hits, n)
    out = {
        "resolved_signals": n,
        "hits": hits,
        "hit_rate_percent": hits / n * 100 if n else None,
        "hit_rate_percent_ci95": [low * 100, high * 100] if n else None,
        "baseline_hit_rate_percent": baseline * 100 if baseline is not None else None,
        "p_value": p_value,
        "test": method,
        "significant": (p_value < ALPHA) if p_value is not None else False,
        "brier_score": fnum(brier),
        "baseline_brier_score": fnum(base_brier),
        "brier_skill_score": (
            fnum(1 - brier / base_brier) if brier is not None and base_brier else None
        ),
    }
    out["verdict"] = _verdict(out)
    return out


def _verdict(b: dict[str, Any]) -> str:
    n = b.get("resolved", b.get("resolved_signals", 0))
    if not n:
        return "No resolved signals."
    rate, base, p = b["hit_rate_percent"], b["baseline_hit_rate_percent"], b["p_value"]
    if base is None or p is None:
        return f"Hit rate {rate:.1f}% over {n} signals; no target, so no chance baseline."
    lead = f"Hit rate {rate:.1f}% vs {base:.1f}% by chance (RTP/target) over {n} signals"
    if p >= ALPHA:
        return (
            f"{lead}: the difference is NOT statistically significant (p = {p:.3g}); "
            "no evidence that this signal beats chance."
        )
    direction = "better" if rate > base else "worse"
    return (
        f"{lead}: significantly {direction} than chance (p = {p:.3g}). Even a real edge in hit "
        "rate does not beat the house edge unless it exceeds RTP/target by enough to pay for it."
    )


def _reliability(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in sorted(rows, key=lambda r: int(r["bin"])):
        k = int(row["bin"])
        n, hits = int(row["n"]), int(row["hits"] or 0)
        low, high = stats.wilson_interval(hits, n)
        out.append(
            {
                "bin_low": k / CONFIDENCE_BINS,
                "bin_high": (k + 1) / CONFIDENCE_BINS,
                "count": n,
                "mean_confidence": fnum(row["mean_conf"]),
                "observed_rate": hits / n,
                "observed_rate_ci95": [low, high],
            }
        )
    return out
