"""Game-level analytics: is the game what its provider says it is?

A *game round* is counted once however many bots reported it: rounds that carry a
``platform_code`` and a ``round_external_id`` are deduplicated on them; rounds without either
are taken as they are (each bot's own observation). Bots that disagree on the crash point of
the same game round are counted as ``conflicting_reports`` (an OCR misread, usually).

Both read the game-round summaries the database keeps (:mod:`crashdb.analytics.game_rounds`);
the bots' results in a game come from the run summaries (:mod:`crashdb.analytics.runs`).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import (
    Select,
    case,
    func,
    select,
    union_all,
)
from sqlalchemy.engine import Connection

from crashdb.analytics import stats
from crashdb.analytics.common import (
    ALPHA,
    R,
    ci,
    fnum,
    iso,
    money,
    mult,
    num,
    published_rtp,
    resolve_db,
    time_filters,
    tune,
)
from crashdb.analytics.game_rounds import G, own_rounds, stored_rounds
from crashdb.analytics.performance import add_up
from crashdb.analytics.runs import Selection, T, run_states
from crashdb.db.engine import Database

__all__ = ["get_game_statistics", "get_multiplier_distribution"]

DateLike = datetime | date | str | None
RTP_TARGETS = (1.5, 2.0, 3.0, 5.0, 10.0)


def median_threshold(rtp: float) -> float:
    """The grid point x with P(crash >= x) = 1/2 under the model (x = 2 * RTP)."""
    return math.ceil(round(200 * rtp, 6)) / 100


def _survival_counts(
    conn: Connection,
    shared: Select[Any],
    own: Select[Any],
    edges: list[float],
    threshold: float,
) -> dict[str, Any]:
    """Counts at each edge, consecutive-pair counts and summaries, in one pass.

    ``shared`` and ``own`` are one game's two kinds of game rounds (columns as
    :func:`~crashdb.analytics.game_rounds.game_rounds` with ``lean``). Each game round gets the
    index of
    the highest edge it reaches (one CASE per row); the grouped counts per (bucket, previous,
    current) are accumulated into survival counts here. The ``lag`` runs on each kind separately,
    partitioned by what its index already sorts it by (a platform's shared rounds by platform
    and time in idx_game_round_summaries_stream; a session's own rounds by session in
    idx_crash_rounds_game_own), so PostgreSQL sorts little or nothing instead of every round by
    the stream's name. A stream is a platform, or a bot's session.
    """
    windowed = []
    for kind, part in enumerate((shared, own)):
        g = part.subquery()
        # The shared rounds' stream within one game is its platform (s2); naming the constant
        # game too would make PostgreSQL sort by it again, under the database's collation.
        stream = [g.c.s2] if kind == 0 else [g.c.s1, g.c.s2]
        above = case((g.c.m >= num(threshold), 1), else_=0)
        bucket = case(
            *((g.c.m >= num(e), k + 1) for k, e in reversed(list(enumerate(edges)))), else_=0
        )
        windowed.append(
            select(
                g.c.m,
                g.c.mx,
                g.c.reports,
                g.c.ts,
                bucket.label("bucket"),
                above.label("a"),
                func.lag(above).over(partition_by=stream, order_by=[g.c.ts, g.c.rn]).label("prev"),
            )
        )
    w = union_all(*windowed).subquery("w")
    grouped = conn.execute(
        select(
            w.c.bucket,
            w.c.prev,
            w.c.a,
            func.count().label("n"),
            func.sum(w.c.reports).label("reports"),
            func.sum(case((w.c.mx != w.c.m, 1), else_=0)).label("conflicts"),
            func.min(w.c.ts).label("first_ts"),
            func.max(w.c.ts).label("last_ts"),
            func.max(w.c.m).label("max_m"),
        ).group_by(w.c.bucket, w.c.prev, w.c.a)
    ).all()
    out: dict[str, Any] = {"n": 0, "reports": 0, "conflicts": 0, "p00": 0, "p01": 0, "p10": 0}
    out |= {"p11": 0, "first_ts": None, "last_ts": None, "max_m": None}
    per_bucket = [0] * (len(edges) + 1)
    for row in grouped:
        out["n"] += int(row.n)
        out["reports"] += int(row.reports or 0)
        out["conflicts"] += int(row.conflicts or 0)
        per_bucket[int(row.bucket)] += int(row.n)
        if row.prev is not None:
            out[f"p{int(row.prev)}{int(row.a)}"] += int(row.n)
        if out["first_ts"] is None or row.first_ts < out["first_ts"]:
            out["first_ts"] = row.first_ts
        if out["last_ts"] is None or row.last_ts > out["last_ts"]:
            out["last_ts"] = row.last_ts
        if out["max_m"] is None or row.max_m > out["max_m"]:
            out["max_m"] = row.max_m
    # Rounds reaching edge k = rounds in buckets k+1 and above.
    for k in range(len(edges)):
        out[f"e{k}"] = sum(per_bucket[k + 1 :])
    return out


def _rtp_block(n: int, at_least: dict[float, int], rtp: float | None) -> dict[str, Any]:
    est, est_ci = stats.rtp_from_survival(n, at_least[1.01])
    by_target = []
    for x in RTP_TARGETS:
        hits = at_least[x]
        low, high = stats.wilson_interval(hits, n)
        by_target.append(
            {
                "target": x,
                "hits": hits,
                "hit_rate_percent": hits / n * 100 if n else None,
                "hit_rate_percent_ci95": [low * 100, high * 100] if n else None,
                "expected_hit_rate_percent": (rtp / x * 100) if rtp is not None else None,
                "return_per_unit": x * hits / n if n else None,
                "return_per_unit_ci95": [x * low, x * high] if n else None,
            }
        )
    return {
        "rtp_estimate": fnum(est),
        "rtp_estimate_ci95": ci(est_ci),
        "rtp_method": (
            "maximum likelihood under P(crash >= x) = RTP/x: 1.01 x share of rounds above 1.00 "
            "(Wilson interval)"
        ),
        "rtp_by_target": by_target,
    }


def get_game_statistics(
    game_name: str,
    platform_code: str | None = None,
    start_date: DateLike = None,
    end_date: DateLike = None,
    *,
    db: Database | None = None,
) -> dict[str, Any]:
    """RTP estimate next to the published RTP, goodness of fit and independence of rounds."""
    database = resolve_db(db)
    where = [R.game_name == game_name, *time_filters(start_date, end_date)]
    if platform_code is not None:
        where.append(R.platform_code == platform_code)
    edges = sorted(set(stats.DEFAULT_GOF_EDGES) | set(RTP_TARGETS))
    start, stop = _as_bound(start_date), _as_bound(end_date, True)
    of_game = [T.game_name == game_name]
    rounds_of_game = [R.game_name == game_name]
    if platform_code is not None:
        of_game.append(T.platform_code == platform_code)
        rounds_of_game.append(R.platform_code == platform_code)
    with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot for all reads
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        tune(conn)
        rtp = published_rtp(conn, game_name, platform_code)
        threshold = median_threshold(rtp if rtp is not None else 0.97)
        shared = stored_rounds(game_name, platform_code, start, stop)
        c = _survival_counts(conn, shared, own_rounds(where), edges, threshold)
        summaries, _runs = run_states(
            conn, Selection(of_game, rounds_of_game, start, stop), paths=False
        )
    bots: dict[str, int] = {}
    for summary in summaries:
        bots[summary["bot_id"]] = bots.get(summary["bot_id"], 0) + int(summary["rounds"])
    played = add_up(summaries)
    decided = played["wins"] + played["losses"]
    n = int(c["n"])
    at_least = {e: int(c[f"e{k}"]) for k, e in enumerate(edges)}
    gof_edges = list(stats.DEFAULT_GOF_EDGES)
    gof_counts = [at_least[e] for e in gof_edges]
    rtp_block = _rtp_block(n, at_least, rtp)
    gof = shape = None
    if n and rtp is not None:
        gof = stats.chi_square_survival_gof(n, gof_counts, rtp, gof_edges).as_dict()
    if n and rtp_block["rtp_estimate"]:
        shape = stats.chi_square_survival_gof(
            n, gof_counts, rtp_block["rtp_estimate"], gof_edges, fitted_parameters=1
        ).as_dict()
    indep = stats.lag1_independence(c["p00"], c["p01"], c["p10"], c["p11"]).as_dict()
    indep["threshold"] = threshold
    result: dict[str, Any] = {
        "game_name": game_name,
        "platform_code": platform_code,
        "found": n > 0 or bool(bots),
        "start_date": iso(start),
        "end_date": iso(stop),
        "published_rtp": rtp,
        "total_rounds": n,
        "total_reports": int(c["reports"]),
        "duplicate_reports": int(c["reports"]) - n,
        "conflicting_reports": int(c["conflicts"]),
        "first_round_at": iso(c["first_ts"]),
        "last_round_at": iso(c["last_ts"]),
        "max_multiplier": mult(c["max_m"]),
        # The bots that played the game (the seed's keys): their rounds are bets, not game
        # rounds, so one game round played by three bots counts three times here.
        "total_bots": len(bots),
        "bots": dict(sorted(bots.items())),
        "bot_rounds": played["rounds"],
        "wins": played["wins"],
        "losses": played["losses"],
        "win_rate_percent": played["wins"] / decided * 100 if decided else None,
        "total_profit": money(played["total_profit"]),
        **rtp_block,
        "house_edge_percent": (1 - rtp) * 100 if rtp is not None else None,
        "goodness_of_fit": gof,
        "shape_fit_with_estimated_rtp": shape,
        "independence": indep,
    }
    result["verdict"] = _game_verdict(result)
    return result


def _as_bound(value: DateLike, end: bool = False) -> datetime | None:
    from crashdb.analytics.common import as_utc

    return as_utc(value, end=end)


def _game_verdict(r: dict[str, Any]) -> str:
    if not r["total_rounds"]:
        return "No rounds recorded for this game."
    parts = []
    est, est_ci, rtp = r["rtp_estimate"], r["rtp_estimate_ci95"], r["published_rtp"]
    if est is not None and est_ci is not None:
        text = f"RTP estimate {est:.4f} (95% CI {est_ci[0]:.4f}-{est_ci[1]:.4f})"
        if rtp is not None:
            inside = est_ci[0] <= rtp <= est_ci[1]
            text += (
                f", consistent with the published {rtp:.4f}."
                if inside
                else f", NOT consistent with the published {rtp:.4f}."
            )
        parts.append(text)
    gof = r["goodness_of_fit"]
    if gof and gof["p_value"] is not None:
        if gof["p_value"] < ALPHA:
            parts.append(
                f"The multipliers do NOT follow P(crash >= x) = RTP/x (p = {gof['p_value']:.3g}): "
                "look for OCR misreads, a wrong game label or tampering."
            )
        else:
            parts.append(
                f"The multipliers fit P(crash >= x) = RTP/x (p = {gof['p_value']:.3g}; no "
                "significant deviation)."
            )
    ind = r["independence"]
    if ind["p_value"] is not None:
        if ind["p_value"] < ALPHA:
            parts.append(f"Consecutive rounds look dependent (p = {ind['p_value']:.3g}).")
        else:
            parts.append(
                f"No significant dependence between consecutive rounds (p = {ind['p_value']:.3g}):"
                " past crashes do not predict the next one."
            )
    return " ".join(parts)


def get_multiplier_distribution(
    game_name: str,
    limit: int = 10000,
    platform_code: str | None = None,
    *,
    db: Database | None = None,
) -> dict[str, Any]:
    """Histogram of the most recent ``limit`` game rounds against the theoretical distribution."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    database = resolve_db(db)
    where = [R.game_name == game_name]
    if platform_code is not None:
        where.append(R.platform_code == platform_code)
    edges = list(stats.DEFAULT_GOF_EDGES)
    with database.engine.connect() as conn:
        tune(conn)
        rtp = published_rtp(conn, game_name, platform_code)
        shared = (
            stored_rounds(game_name, platform_code)
            .order_by(G.round_start_timestamp.desc())
            .limit(limit)
            .subquery("shared")
        )
        # Rounds nobody can match across bots: found through their partial index (OFFSET 0
        # keeps PostgreSQL from walking the game's time index instead), then the newest.
        own_all = own_rounds(where).offset(0).subquery("own_all")
        own = (
            select(own_all.c.m, own_all.c.ts)
            .order_by(own_all.c.ts.desc())
            .limit(limit)
            .subquery("own")
        )
        both = union_all(select(shared.c.m, shared.c.ts), select(own.c.m, own.c.ts)).subquery()
        recent = conn.execute(
            select(both.c.m, both.c.ts).order_by(both.c.ts.desc()).limit(limit)
        ).all()
        first_ts = min((r.ts for r in recent), default=None)
        cashouts = 0
        if first_ts is not None:
            cashouts = conn.execute(
                select(func.count()).where(
                    *where,
                    R.round_start_timestamp >= first_ts,
                    R.cashout_multiplier.is_not(None),
                )
            ).scalar_one()
    values = sorted(r.m for r in recent)
    n = len(values)
    at_least = [sum(1 for v in values if v >= Decimal(repr(e))) for e in edges]
    c = {
        "min_m": values[0] if values else None,
        "max_m": values[-1] if values else None,
        "first_ts": first_ts,
        "last_ts": max((r.ts for r in recent), default=None),
    }
    floats = np.array([float(v) for v in values])
    pct = (
        {q: float(np.percentile(floats, q)) for q in (10, 50, 90)}
        if n
        else dict.fromkeys((10, 50, 90))
    )
    lows = [1.0, *edges]
    surv = [n, *at_least]
    bins = []
    for k, low in enumerate(lows):
        high = edges[k] if k < len(edges) else None
        count = surv[k] - (surv[k + 1] if k + 1 < len(surv) else 0)
        expected = None
        if rtp is not None:
            expected = stats.crash_survival(low, rtp) - (
                stats.crash_survival(high, rtp) if high is not None else 0.0
            )
        bins.append(
            {
                "low": low,
                "high": high,
                "count": count,
                "percent": count / n * 100 if n else None,
                "expected_percent": expected * 100 if expected is not None else None,
            }
        )
    survival = []
    for e, hits in zip(edges, at_least, strict=True):
        low, high = stats.wilson_interval(hits, n)
        survival.append(
            {
                "x": e,
                "observed_percent": hits / n * 100 if n else None,
                "observed_percent_ci95": [low * 100, high * 100] if n else None,
                "expected_percent": stats.crash_survival(e, rtp) * 100 if rtp is not None else None,
            }
        )
    gof = (
        stats.chi_square_survival_gof(n, at_least, rtp, edges).as_dict()
        if n and rtp is not None
        else None
    )
    return {
        "game_name": game_name,
        "platform_code": platform_code,
        "found": n > 0,
        "limit": limit,
        "rounds_analyzed": n,
        "total_records": n,
        "published_rtp": rtp,
        "avg_multiplier": float(sum(values) / n) if n else None,
        "percentile_10": pct[10],
        "percentile_50": pct[50],
        "percentile_90": pct[90],
        "crashes": n,
        "cashouts": int(cashouts),
        "min_multiplier": mult(c["min_m"]),
        "max_multiplier": mult(c["max_m"]),
        "first_round_at": iso(c["first_ts"]),
        "last_round_at": iso(c["last_ts"]),
        "bins": bins,
        "survival": survival,
        "goodness_of_fit": gof,
    }
