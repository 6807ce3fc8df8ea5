"""Direct computations over rounds in Python: what the summaries must equal.

Written from the definitions in docs/analytics.md, independently of the SQL in
crashdb/db/sql: a run's rounds in (round_number, bet_slot) order, drawdown from the running
peak of the cumulative profit (the start counts as a peak of 0), streaks over WIN/LOSS only.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

T0 = datetime(2026, 3, 1, tzinfo=UTC)
GAMES = ("aviator", "jetx")
PLATFORMS = ("dafabet", "fun88", None)
STRATEGIES = ("martingale", "fixed_stake", None)


def run_key(row: dict[str, Any], kind: str = "fine") -> tuple[str, ...]:
    strategy = row["strategy_name"] or ""
    if kind == "session":
        return (row["bot_id"], row["session_id"])
    if kind == "strategy":
        return (strategy, row["bot_id"], row["session_id"])
    return (
        row["bot_id"],
        row["session_id"],
        strategy,
        row["game_name"],
        row["platform_code"] or "",
    )


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary of one run's rows (any order: sorted here)."""
    rows = sorted(rows, key=lambda r: (r["round_number"], r["bet_slot"]))
    bets = [r for r in rows if r["stake_value"] > 0 and r["round_outcome"] != "SKIP"]
    crashes = [r["crash_multiplier"] for r in rows if r["crash_multiplier"] is not None]
    pf = [float(r["profit_loss"]) for r in bets]
    sf = [float(r["stake_value"]) for r in bets]
    out: dict[str, Any] = {
        "rounds": len(rows),
        "wins": sum(r["round_outcome"] == "WIN" for r in rows),
        "losses": sum(r["round_outcome"] == "LOSS" for r in rows),
        "skips": sum(r["round_outcome"] == "SKIP" for r in rows),
        "errors": sum(r["round_outcome"] == "ERROR" for r in rows),
        "bets": len(bets),
        "total_staked": sum((r["stake_value"] for r in bets), Decimal(0)),
        "total_profit": sum((r["profit_loss"] for r in rows), Decimal(0)),
        "sum_profit": sum(pf),
        "sum_profit_sq": sum(p * p for p in pf),
        "sum_stake": sum(sf),
        "sum_stake_sq": sum(s * s for s in sf),
        "sum_profit_stake": sum(p * s for p, s in zip(pf, sf, strict=True)),
        "sum_gain": sum(p for p in pf if p > 0),
        "sum_gain_sq": sum(p * p for p in pf if p > 0),
        "sum_return": sum(p / s for p, s in zip(pf, sf, strict=True)),
        "sum_return_sq": sum((p / s) ** 2 for p, s in zip(pf, sf, strict=True)),
        "crash_count": len(crashes),
        "crash_sum": sum(crashes, Decimal(0)) if crashes else None,
        "crash_min": min(crashes) if crashes else None,
        "crash_max": max(crashes) if crashes else None,
        "largest_win": max(r["profit_loss"] for r in rows),
        "largest_loss": min(r["profit_loss"] for r in rows),
        "first_ts": min(r["round_start_timestamp"] for r in rows),
        "last_ts": max(r["round_start_timestamp"] for r in rows),
        "last_end_ts": max(r["round_end_timestamp"] or r["round_start_timestamp"] for r in rows),
        "first_balance": rows[0]["running_balance_before"],
        "last_balance": rows[-1]["running_balance_after"],
        "last_round": rows[-1]["round_number"],
        "last_slot": rows[-1]["bet_slot"],
    }
    base = rows[0]["running_balance_before"]
    cum = Decimal(0)
    peak = Decimal(0)
    at_peak: int | None = None  # index of the last row at the running peak
    worst = Decimal(0)
    worst_i: int | None = None
    worst_start: int | None = None
    pct: float | None = None
    for i, r in enumerate(rows):
        cum += r["profit_loss"]
        if cum >= peak:
            peak = cum
            at_peak = i
        fall = peak - cum
        if fall > worst:
            worst, worst_i, worst_start = fall, i, at_peak
        if base is not None and base + peak != 0:
            p = float(peak - cum) / float(base + peak)
            pct = p if pct is None else max(pct, p)
    out["peak"] = peak
    out["peak_round"] = rows[at_peak]["round_number"] if at_peak is not None else None
    out["max_drawdown"] = worst
    out["max_drawdown_pct"] = pct
    out["drawdown_end_round"] = rows[worst_i]["round_number"] if worst_i is not None else None
    out["drawdown_start_round"] = (
        rows[worst_start]["round_number"] if worst_start is not None else None
    )
    decided = [r["round_outcome"] == "WIN" for r in rows if r["round_outcome"] in ("WIN", "LOSS")]
    longest = {True: 0, False: 0}
    run = 0
    for k, won in enumerate(decided):
        run = run + 1 if k and decided[k - 1] == won else 1
        longest[won] = max(longest[won], run)
    out["longest_win"] = longest[True]
    out["longest_loss"] = longest[False]
    out["win_run"] = run if decided and decided[-1] else 0
    out["loss_run"] = run if decided and not decided[-1] else 0
    return out


def summaries(rows: Iterable[dict[str, Any]], kind: str = "fine") -> dict[tuple[str, ...], Any]:
    runs: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        runs[run_key(r, kind)].append(r)
    return {k: summarize(v) for k, v in runs.items()}


def random_rounds(
    rng: random.Random, n_runs: int = 12, max_rounds: int = 40
) -> list[dict[str, Any]]:
    """Rounds of a few bots: random profits to the 0.0001, skips, errors, missing crash points,
    second bet slots, strategies that change within a session, platforms left out."""
    rows = []
    for k in range(n_runs):
        bot = f"bot_{k % 4}"
        session = f"s{k}"
        game = rng.choice(GAMES)
        platform = rng.choice(PLATFORMS)
        strategy = rng.choice(STRATEGIES)
        balance: Decimal | None = Decimal(rng.randint(0, 10**7)).scaleb(-4)
        if rng.random() < 0.2:
            balance = None
        t = T0 + timedelta(hours=rng.randint(0, 96))
        for n in range(1, rng.randint(1, max_rounds) + 1):
            if rng.random() < 0.1:
                strategy = rng.choice(STRATEGIES)
            for slot in (1, 2) if rng.random() < 0.1 else (1,):
                outcome = rng.choices(("WIN", "LOSS", "SKIP", "ERROR"), (40, 45, 10, 5))[0]
                stake = (
                    Decimal(rng.randint(1, 10**6)).scaleb(-4) if outcome != "SKIP" else Decimal(0)
                )
                if rng.random() < 0.05:
                    stake = Decimal(0)
                profit = Decimal(rng.randint(-(10**6), 10**6)).scaleb(-4)
                if rng.random() < 0.1:
                    profit = Decimal(0)
                crash = None if rng.random() < 0.1 else Decimal(rng.randint(100, 5000)).scaleb(-2)
                after = None if balance is None else max(balance + profit, Decimal(0))
                t += timedelta(seconds=rng.randint(5, 30))
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "bot_id": bot,
                        "session_id": session,
                        "game_name": game,
                        "platform_code": platform,
                        "round_external_id": f"{game}-{n + k % 3}" if rng.random() < 0.9 else None,
                        "round_number": n,
                        "bet_slot": slot,
                        "round_start_timestamp": t,
                        "round_end_timestamp": None
                        if rng.random() < 0.1
                        else t + timedelta(seconds=4),
                        "stake_value": stake,
                        "strategy_name": strategy,
                        "crash_multiplier": crash,
                        "round_outcome": outcome,
                        "profit_loss": profit,
                        "running_balance_before": balance,
                        "running_balance_after": after,
                        "is_valid": rng.random() < 0.95,
                    }
                )
                balance = after
    return rows


def game_rounds(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Game-round summaries from their reports."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:
        if (
            r["round_external_id"] is None
            or r["platform_code"] is None
            or r["crash_multiplier"] is None
            or not r.get("is_valid", True)
        ):
            continue
        key = (r["game_name"], r["platform_code"], r["round_external_id"])
        g = out.setdefault(
            key,
            {
                "crash_multiplier": r["crash_multiplier"],
                "crash_multiplier_max": r["crash_multiplier"],
                "round_start_timestamp": r["round_start_timestamp"],
                "round_number": r["round_number"],
                "reports": 0,
            },
        )
        g["crash_multiplier"] = min(g["crash_multiplier"], r["crash_multiplier"])
        g["crash_multiplier_max"] = max(g["crash_multiplier_max"], r["crash_multiplier"])
        g["round_start_timestamp"] = min(g["round_start_timestamp"], r["round_start_timestamp"])
        g["round_number"] = min(g["round_number"], r["round_number"])
        g["reports"] += 1
    return out
