"""Monte Carlo: K independent sessions of M rounds, vectorized with NumPy (no database).

For the built-in strategies (fixed stake, martingale, compound, Kelly, with stop-loss and
take-profit) all K sessions advance together, one round per step, in exact integer money
(units of 0.0001, the precision of the ``MONEY`` columns), so a run of 10,000 sessions x 1,000
rounds takes about a second. Custom strategies fall back to the Decimal engine of
:mod:`crashdb.sim.backtest`, one session at a time. The same ``seed`` gives the same result.

Reported:

* the distribution of final balances (percentiles),
* the probability of ruin (bankroll below the minimum stake) with its Wilson 95% interval,
* the expected ROI, estimated as total profit / total staked over all sessions, with a 95%
  interval from the ratio estimator's standard error across sessions, next to the theoretical
  ``RTP - 1``. Whatever the strategy, each bet returns ``RTP - 1`` per unit staked in
  expectation, so the interval should contain ``RTP - 1`` (in about 95% of runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from crashdb.analytics.stats import ratio_ci_from_sums, wilson_interval
from crashdb.sim.backtest import DEFAULT_MIN_STAKE, run_session
from crashdb.sim.games import CrashGame, decimal_to_cents
from crashdb.sim.strategies import (
    CompoundStrategy,
    FixedStake,
    KellyCriterion,
    Martingale,
    StopLoss,
    Strategy,
    TakeProfit,
)

__all__ = ["MonteCarloResult", "monte_carlo"]

I64 = npt.NDArray[np.int64]
UNIT = 10_000  # money units per 1.00
CENT_UNITS = 100  # money units per 0.01


@dataclass(slots=True)
class MonteCarloResult:
    """The distribution of K sessions' outcomes."""

    strategy: str
    game: str
    rtp: Decimal
    sessions: int
    rounds: int
    initial_balance: Decimal
    final_balances: npt.NDArray[np.float64] = field(repr=False)
    staked: npt.NDArray[np.float64] = field(repr=False)
    profit: npt.NDArray[np.float64] = field(repr=False)
    bets: npt.NDArray[np.int64] = field(repr=False)
    ruined: npt.NDArray[np.bool_] = field(repr=False)

    @property
    def expected_roi(self) -> float:
        """Theoretical ROI per unit staked: ``RTP - 1``."""
        return float(self.rtp) - 1.0

    @property
    def total_bets(self) -> int:
        return int(self.bets.sum())

    @property
    def roi(self) -> float | None:
        total = float(self.staked.sum())
        return float(self.profit.sum()) / total if total > 0 else None

    @property
    def roi_ci(self) -> tuple[float, float] | None:
        """95% interval of the pooled ROI (ratio estimator across sessions)."""
        x, y = self.profit, self.staked
        _, ci = ratio_ci_from_sums(
            self.sessions,
            float(x.sum()),
            float(y.sum()),
            float((x * x).sum()),
            float((y * y).sum()),
            float((x * y).sum()),
        )
        return ci

    @property
    def ruin_probability(self) -> float:
        return float(self.ruined.mean()) if self.sessions else 0.0

    @property
    def ruin_ci(self) -> tuple[float, float]:
        return wilson_interval(int(self.ruined.sum()), self.sessions)

    def percentiles(self, qs: tuple[float, ...] = (5, 25, 50, 75, 95)) -> dict[float, float]:
        values = np.percentile(self.final_balances, qs)
        return {q: float(v) for q, v in zip(qs, values, strict=True)}

    @property
    def ci_contains_expected(self) -> bool | None:
        ci = self.roi_ci
        return None if ci is None else ci[0] <= self.expected_roi <= ci[1]

    def as_dict(self) -> dict[str, Any]:
        ci = self.roi_ci
        return {
            "strategy": self.strategy,
            "game": self.game,
            "rtp": str(self.rtp),
            "sessions": self.sessions,
            "rounds_per_session": self.rounds,
            "initial_balance": str(self.initial_balance),
            "bets": self.total_bets,
            "final_balance_mean": float(self.final_balances.mean()),
            "final_balance_percentiles": {f"p{q:g}": v for q, v in self.percentiles().items()},
            "ruin_probability": self.ruin_probability,
            "ruin_probability_ci95": list(self.ruin_ci),
            "roi": self.roi,
            "roi_ci95": list(ci) if ci else None,
            "expected_roi": self.expected_roi,
            "ci_contains_expected": self.ci_contains_expected,
        }


def _units(value: Decimal) -> int:
    return int((value * UNIT).to_integral_value(rounding="ROUND_FLOOR"))


def _cents(value: Decimal) -> int:
    return decimal_to_cents(value)


class _Kernel:
    """Next stake (in cents) and target (in cents) for all sessions, from the last bet."""

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy

    def next_bet(
        self, last_stake: I64, last_won: npt.NDArray[np.bool_], step: I64, balance: I64
    ) -> tuple[I64, I64, I64]:
        s = self.strategy
        n = balance.shape[0]
        if isinstance(s, FixedStake):
            return (
                np.full(n, _cents(s.stake), np.int64),
                np.full(n, _cents(s.target), np.int64),
                np.zeros(n, np.int64),
            )
        if isinstance(s, Martingale):
            base, cap = _cents(s.base_stake), _cents(s.max_stake)
            f = Fraction(s.factor)
            lost = (last_stake > 0) & ~last_won
            grown = last_stake * f.numerator // f.denominator
            stake = np.where(lost, grown, base)
            new_step = np.where(lost, step + 1, 0)
            over = stake > cap
            if s.at_limit == "reset":
                stake = np.where(over, base, stake)
                new_step = np.where(over, 0, new_step)
            else:
                stake = np.where(over, cap, stake)
            return stake, np.full(n, _cents(s.target), np.int64), new_step
        if isinstance(s, CompoundStrategy):
            base, target = _cents(s.base_stake), _cents(s.target)
            won = (last_stake > 0) & last_won
            new_step = np.where(won, step + 1, 0)
            reset = new_step > s.max_steps
            grown = last_stake * target // 100
            if s.max_stake is not None:
                grown = np.minimum(grown, _cents(s.max_stake))
            stake = np.where(won & ~reset, grown, base)
            new_step = np.where(reset, 0, new_step)
            return stake, np.full(n, target, np.int64), new_step
        if isinstance(s, KellyCriterion):
            kf = s.kelly
            if kf <= 0:
                stake = np.zeros(n, np.int64)
            else:
                frac = float(s.fraction) * kf
                stake = np.floor(balance / CENT_UNITS * frac).astype(np.int64)
            return stake, np.full(n, _cents(s.target), np.int64), np.zeros(n, np.int64)
        raise TypeError(type(s).__name__)


def _unwrap(strategy: Strategy) -> tuple[Strategy, list[Strategy]]:
    wrappers: list[Strategy] = []
    while isinstance(strategy, StopLoss | TakeProfit):
        wrappers.append(strategy)
        strategy = strategy.inner
    return strategy, wrappers


def _vectorizable(strategy: Strategy) -> bool:
    inner, _ = _unwrap(strategy)
    return type(inner) in (FixedStake, Martingale, CompoundStrategy, KellyCriterion)


def monte_carlo(
    strategy: Strategy,
    game: CrashGame,
    *,
    sessions: int,
    rounds: int,
    bankroll: Decimal = Decimal("100.00"),
    min_stake: Decimal = DEFAULT_MIN_STAKE,
    seed: int | None = 0,
    progress: Callable[[int], None] | None = None,
) -> MonteCarloResult:
    """Run ``sessions`` independent sessions of up to ``rounds`` rounds each.

    ``progress`` is called with the number of session-rounds done since its last call.
    """
    if sessions < 1 or rounds < 1:
        raise ValueError("sessions and rounds must be >= 1")
    rng = np.random.default_rng(seed)
    if _vectorizable(strategy):
        arrays = _run_vectorized(
            strategy, game, sessions, rounds, bankroll, min_stake, rng, progress
        )
    else:
        arrays = _run_sequential(
            strategy, game, sessions, rounds, bankroll, min_stake, rng, progress
        )
    final, staked, profit, bets, ruined = arrays
    return MonteCarloResult(
        strategy=strategy.name,
        game=game.name,
        rtp=game.rtp,
        sessions=sessions,
        rounds=rounds,
        initial_balance=bankroll,
        final_balances=final,
        staked=staked,
        profit=profit,
        bets=bets,
        ruined=ruined,
    )


_Arrays = tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
]


def _run_vectorized(
    strategy: Strategy,
    game: CrashGame,
    k: int,
    m: int,
    bankroll: Decimal,
    min_stake: Decimal,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None,
) -> _Arrays:
    inner, wrappers = _unwrap(strategy)
    kernel = _Kernel(inner)
    start = _units(bankroll)
    min_units = _units(min_stake)
    balance = np.full(k, start, np.int64)
    last_stake = np.zeros(k, np.int64)  # cents of the last bet placed (0: none yet)
    last_won = np.zeros(k, np.bool_)
    step = np.zeros(k, np.int64)
    staked = np.zeros(k, np.int64)
    profit = np.zeros(k, np.int64)
    bets = np.zeros(k, np.int64)
    active = np.ones(k, np.bool_)
    for i in range(m):
        crash = game.crash_cents(k, rng)
        active &= balance >= min_units
        room = np.full(k, np.iinfo(np.int64).max, np.int64)
        for w in wrappers:
            if isinstance(w, StopLoss):
                left = _units(w.max_loss) - (start - balance)
                active &= left >= _units(w.min_stake)
                room = np.minimum(room, left)
            elif isinstance(w, TakeProfit):
                active &= (balance - start) < _units(w.target_profit)
        stake_c, target_c, new_step = kernel.next_bet(last_stake, last_won, step, balance)
        stake_u = np.minimum(stake_c * CENT_UNITS, balance // CENT_UNITS * CENT_UNITS)
        stake_u = np.minimum(stake_u, room // CENT_UNITS * CENT_UNITS)
        betting = active & (stake_u >= min_units) & (stake_u > 0)
        won = crash >= target_c
        delta = np.where(won, stake_u * (target_c - 100) // 100, -stake_u)
        balance = np.where(betting, balance + delta, balance)
        staked += np.where(betting, stake_u, 0)
        profit += np.where(betting, delta, 0)
        bets += betting
        last_stake = np.where(betting, stake_u // CENT_UNITS, last_stake)
        last_won = np.where(betting, won, last_won)
        step = np.where(betting, new_step, step)
        if progress is not None:
            progress(k)
        if not active.any():
            if progress is not None:
                progress(k * (m - i - 1))
            break
    ruined = balance < min_units
    return (
        balance / UNIT,
        staked / UNIT,
        profit / UNIT,
        bets,
        ruined,
    )


def _run_sequential(
    strategy: Strategy,
    game: CrashGame,
    k: int,
    m: int,
    bankroll: Decimal,
    min_stake: Decimal,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None,
) -> _Arrays:
    final = np.zeros(k)
    staked = np.zeros(k)
    profit = np.zeros(k)
    bets = np.zeros(k, np.int64)
    ruined = np.zeros(k, np.bool_)
    for j in range(k):
        summary = run_session(strategy, game.crash_points(m, rng), bankroll, min_stake=min_stake)
        final[j] = float(summary.final_balance)
        staked[j] = float(summary.staked)
        profit[j] = float(summary.profit)
        bets[j] = summary.bets
        ruined[j] = summary.ruined
        if progress is not None:
            progress(m)
    return final, staked, profit, bets, ruined
