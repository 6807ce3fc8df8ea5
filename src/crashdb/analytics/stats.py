"""Pure statistics for crash-game analytics (NumPy / SciPy, no database).

Everything here works either on arrays or on the small sufficient statistics (counts, sums,
sums of squares) that SQL aggregates return, so the analytics never have to load rounds into
Python. Intervals are 95% unless ``confidence`` says otherwise and are returned as
``(low, high)`` tuples of floats.

The crash model: with return-to-player ``rtp`` and multipliers shown rounded *down* to 0.01,
``crash = max(1, floor(100 * rtp / U) / 100)`` with ``U ~ Uniform(0, 1)``, so for every grid
point ``x > 1.00``: ``P(crash >= x) = rtp / x`` exactly, and ``P(crash = 1.00) = 1 - rtp/1.01``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

__all__ = [
    "DEFAULT_GOF_EDGES",
    "Drawdown",
    "GofResult",
    "IndependenceResult",
    "binomial_p_value",
    "bootstrap_mean_ci",
    "brier_score",
    "chi_square_survival_gof",
    "crash_survival",
    "lag1_independence",
    "longest_streaks",
    "max_drawdown",
    "mean_ci",
    "mean_ci_from_sums",
    "poisson_binomial_z_test",
    "profit_factor",
    "ratio_ci_from_sums",
    "reliability_bins",
    "risk_of_ruin",
    "rtp_from_survival",
    "runs_test",
    "sharpe_ratio",
    "sharpe_ratio_from_sums",
    "wilson_interval",
]

Interval = tuple[float, float]

# Bin edges for the goodness-of-fit test: bins [1.00, 1.01), [1.01, 1.2), ..., [1000, inf).
DEFAULT_GOF_EDGES: tuple[float, ...] = (
    1.01,
    1.2,
    1.5,
    2.0,
    3.0,
    5.0,
    10.0,
    20.0,
    50.0,
    100.0,
    1000.0,
)


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(0.5 + confidence / 2))


# --------------------------------------------------------------------------- proportions


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion; ``(0, 1)`` when ``n == 0``."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return (0.0, 1.0)
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def binomial_p_value(successes: int, n: int, p: float, alternative: str = "two-sided") -> float:
    """Exact binomial test of ``successes`` in ``n`` against probability ``p`` (SciPy)."""
    if n == 0:
        return 1.0
    return float(sps.binomtest(successes, n, p, alternative=alternative).pvalue)


def poisson_binomial_z_test(successes: int, expected: float, variance: float) -> float:
    """Two-sided p-value for a count of independent trials with different chance rates.

    ``expected = sum(p_i)`` and ``variance = sum(p_i (1 - p_i))``; normal approximation with a
    continuity correction (the sum of Bernoullis with unequal p is Poisson-binomial).
    """
    if variance <= 0:
        return 1.0 if abs(successes - expected) < 0.5 else 0.0
    z = (abs(successes - expected) - 0.5) / math.sqrt(variance)
    return float(min(1.0, 2 * sps.norm.sf(max(z, 0.0))))


# --------------------------------------------------------------------------- means


def mean_ci_from_sums(
    n: int, total: float, total_sq: float, confidence: float = 0.95
) -> tuple[float | None, float | None, Interval | None]:
    """Mean, sample standard deviation and Student-t interval from ``n``, sum and sum of squares."""
    if n == 0:
        return None, None, None
    mean = total / n
    if n == 1:
        return mean, None, None
    var = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    sd = math.sqrt(var)
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, (mean - half, mean + half)


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> tuple[float, Interval]:
    """Mean and Student-t interval of a sample."""
    x = np.asarray(values, dtype=float)
    mean, _sd, ci = mean_ci_from_sums(len(x), float(x.sum()), float((x * x).sum()), confidence)
    if mean is None or ci is None:
        raise ValueError("need at least two values")
    return mean, ci


def bootstrap_mean_ci(
    values: ArrayLike, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> Interval:
    """BCa bootstrap interval of the mean (SciPy), for small or skewed samples."""
    x = np.asarray(values, dtype=float)
    res = sps.bootstrap(
        (x,),
        np.mean,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="BCa",
        random_state=np.random.default_rng(seed),
    )
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


def ratio_ci_from_sums(
    n: int,
    sum_x: float,
    sum_y: float,
    sum_xx: float,
    sum_yy: float,
    sum_xy: float,
    confidence: float = 0.95,
) -> tuple[float | None, Interval | None]:
    """Ratio estimator ``R = sum(x) / sum(y)`` with its delta-method (linearization) interval.

    Used for ROI (profit / staked) and the profit factor (gross win / gross loss):
    ``Var(R) ~ sum((x_i - R y_i)^2) / (n (n - 1) ybar^2)``.
    """
    if n == 0 or sum_y == 0:
        return None, None
    r = sum_x / sum_y
    if n == 1:
        return r, None
    resid_sq = max(0.0, sum_xx - 2 * r * sum_xy + r * r * sum_yy)
    ybar = sum_y / n
    se = math.sqrt(resid_sq / (n * (n - 1))) / abs(ybar)
    z = _z(confidence)
    return r, (r - z * se, r + z * se)


# --------------------------------------------------------------------------- trading metrics


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The largest peak-to-trough fall of an equity curve.

    ``start`` is the index of the round after which the equity last stood at the peak (``-1``
    when that is the starting capital, before the first round) and ``end`` the index of the
    trough; ``percent`` is the largest fall relative to the balance at its peak (None without a
    starting capital).
    """

    absolute: float
    percent: float | None
    start: int | None
    end: int | None


def max_drawdown(profits: ArrayLike, initial_capital: float | None = None) -> Drawdown:
    """Maximum drawdown of the cumulative sum of ``profits`` (in order)."""
    p = np.asarray(profits, dtype=float)
    if p.size == 0:
        return Drawdown(0.0, 0.0 if initial_capital else None, None, None)
    equity = np.concatenate(([0.0], np.cumsum(p)))
    peaks = np.maximum.accumulate(equity)
    falls = peaks - equity
    end = int(np.argmax(falls))
    absolute = float(falls[end])
    percent: float | None = None
    if initial_capital is not None and initial_capital > 0:
        percent = float(np.max(falls / (initial_capital + peaks)) * 100)
    if absolute == 0:
        return Drawdown(0.0, percent, None, None)
    # The fall starts at the last time the equity stood at that peak.
    start = int(np.flatnonzero(equity[: end + 1] == peaks[end])[-1])
    return Drawdown(absolute, percent, start - 1, end - 1)


def longest_streaks(wins: ArrayLike) -> tuple[int, int]:
    """Longest run of True and longest run of False in a boolean sequence."""
    w = np.asarray(wins, dtype=bool)
    if w.size == 0:
        return 0, 0
    change = np.flatnonzero(np.diff(w.astype(np.int8))) + 1
    bounds = np.concatenate(([0], change, [w.size]))
    lengths = np.diff(bounds)
    values = w[bounds[:-1]]
    longest_win = int(lengths[values].max()) if values.any() else 0
    longest_loss = int(lengths[~values].max()) if (~values).any() else 0
    return longest_win, longest_loss


def profit_factor(profits: ArrayLike) -> tuple[float | None, Interval | None]:
    """Gross profit / gross loss with its delta-method interval (None when nothing was lost)."""
    p = np.asarray(profits, dtype=float)
    gains = np.clip(p, 0, None)
    losses = np.clip(-p, 0, None)
    return ratio_ci_from_sums(
        len(p),
        float(gains.sum()),
        float(losses.sum()),
        float((gains * gains).sum()),
        float((losses * losses).sum()),
        float((gains * losses).sum()),
    )


def sharpe_ratio_from_sums(
    n: int, total: float, total_sq: float, confidence: float = 0.95
) -> tuple[float | None, Interval | None]:
    """Per-round Sharpe-like ratio mean/sd of returns, with Lo's (2002) i.i.d. standard error."""
    mean, sd, _ = mean_ci_from_sums(n, total, total_sq)
    if mean is None or sd is None or sd == 0:
        return None, None
    s = mean / sd
    se = math.sqrt((1 + 0.5 * s * s) / n)
    z = _z(confidence)
    return s, (s - z * se, s + z * se)


def sharpe_ratio(returns: ArrayLike) -> tuple[float | None, Interval | None]:
    x = np.asarray(returns, dtype=float)
    return sharpe_ratio_from_sums(len(x), float(x.sum()), float((x * x).sum()))


def risk_of_ruin(mean: float, sd: float, bankroll: float) -> float:
    """Probability of ever losing ``bankroll`` when each round adds an i.i.d. profit.

    Diffusion (Brownian-motion) approximation ``exp(-2 mean bankroll / sd^2)``; certain ruin
    (1.0) when the expected profit per round is zero or negative, as it is at any fixed target
    of a game with RTP < 1.
    """
    if bankroll <= 0:
        return 1.0
    if mean <= 0:
        return 1.0
    if sd <= 0:
        return 0.0
    return float(min(1.0, math.exp(-2 * mean * bankroll / (sd * sd))))


# --------------------------------------------------------------------------- the crash model


def crash_survival(x: float, rtp: float) -> float:
    """Model probability ``P(crash >= x)`` (1 for x <= 1.00)."""
    return 1.0 if x <= 1.0 else min(1.0, rtp / x)


def rtp_from_survival(
    n: int, n_above_one: int, confidence: float = 0.95
) -> tuple[float | None, Interval | None]:
    """Maximum-likelihood RTP from the share of rounds that did not crash at 1.00.

    Under the model the only parameter-dependent event is the atom at 1.00:
    ``P(crash >= 1.01) = rtp / 1.01``, so ``rtp_hat = 1.01 * n_above_one / n``; the interval is
    the Wilson interval of that share scaled by 1.01.
    """
    if n == 0:
        return None, None
    low, high = wilson_interval(n_above_one, n, confidence)
    return 1.01 * n_above_one / n, (1.01 * low, 1.01 * high)


@dataclass(frozen=True, slots=True)
class GofResult:
    """Chi-square goodness of fit of binned crash multipliers against ``P(crash >= x)=rtp/x``."""

    statistic: float | None
    df: int
    p_value: float | None
    bins: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": "chi-square on survival-function bins (bins merged to expected >= 5)",
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "bins": self.bins,
        }


def chi_square_survival_gof(
    n: int,
    at_least: Sequence[int],
    rtp: float,
    edges: Sequence[float] = DEFAULT_GOF_EDGES,
    fitted_parameters: int = 0,
) -> GofResult:
    """Test binned crash multipliers against the model.

    ``at_least[k]`` is the number of rounds with ``crash >= edges[k]``; ``n`` all rounds. The bins
    are ``[1.00, edges[0]), [edges[0], edges[1]), ..., [edges[-1], inf)``. Edges are points of the
    0.01 grid, where the model's survival function is exact despite the rounding down. Adjacent
    bins are merged from the tail until each expects at least 5 rounds. ``fitted_parameters=1``
    when ``rtp`` was estimated from the same data.
    """
    if len(at_least) != len(edges):
        raise ValueError("need one count per edge")
    surv_obs = [n, *at_least]
    surv_exp = [1.0, *(crash_survival(e, rtp) for e in edges)]
    lows = [1.0, *edges]
    obs = [
        surv_obs[k] - (surv_obs[k + 1] if k + 1 < len(surv_obs) else 0) for k in range(len(lows))
    ]
    exp_p = [
        surv_exp[k] - (surv_exp[k + 1] if k + 1 < len(surv_exp) else 0) for k in range(len(lows))
    ]
    bins: list[list[float]] = [[lows[k], float(obs[k]), exp_p[k] * n] for k in range(len(lows))]
    # Merge from the tail so that every bin expects >= 5 rounds.
    merged: list[list[float]] = []
    for low, o, e in reversed(bins):
        if merged and merged[-1][2] < 5:
            merged[-1] = [low, merged[-1][1] + o, merged[-1][2] + e]
        else:
            merged.append([low, o, e])
    if len(merged) > 1 and merged[-1][2] < 5:
        last = merged.pop()
        merged[-1] = [last[0], merged[-1][1] + last[1], merged[-1][2] + last[2]]
    merged.reverse()
    out_bins = []
    for k, (low, o, e) in enumerate(merged):
        high = merged[k + 1][0] if k + 1 < len(merged) else None
        out_bins.append({"low": low, "high": high, "observed": int(o), "expected": e})
    df = len(merged) - 1 - fitted_parameters
    if n == 0 or df < 1:
        return GofResult(None, max(df, 0), None, out_bins)
    f_obs = np.array([b[1] for b in merged])
    f_exp = np.array([b[2] for b in merged])
    res = sps.chisquare(f_obs, f_exp, ddof=fitted_parameters)
    return GofResult(float(res.statistic), df, float(res.pvalue), out_bins)


@dataclass(frozen=True, slots=True)
class IndependenceResult:
    """Lag-1 dependence of consecutive rounds, from the 2x2 table of (previous, current)."""

    pairs: int
    phi: float | None
    phi_ci95: Interval | None
    statistic: float | None
    p_value: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": (
                "lag-1 test: chi-square on the 2x2 table of consecutive rounds above/below the "
                "model median (asymptotically the Wald-Wolfowitz runs test)"
            ),
            "pairs": self.pairs,
            "lag1_autocorrelation": self.phi,
            "lag1_autocorrelation_ci95": list(self.phi_ci95) if self.phi_ci95 else None,
            "statistic": self.statistic,
            "p_value": self.p_value,
        }


def lag1_independence(n00: int, n01: int, n10: int, n11: int) -> IndependenceResult:
    """Pearson chi-square (no continuity correction) on consecutive-pair counts.

    ``nAB`` counts pairs whose previous round is ``A`` and current round ``B`` (1 = above the
    threshold). ``phi`` is the lag-1 autocorrelation of the indicator; under independence
    ``pairs * phi^2`` is chi-square with one degree of freedom and ``phi`` has standard error
    ``1 / sqrt(pairs)``.
    """
    table = np.array([[n00, n01], [n10, n11]], dtype=float)
    pairs = int(table.sum())
    rows = table.sum(axis=1)
    cols = table.sum(axis=0)
    if pairs == 0 or (rows == 0).any() or (cols == 0).any():
        return IndependenceResult(pairs, None, None, None, None)
    phi = float((n11 * n00 - n10 * n01) / math.sqrt(rows.prod() * cols.prod()))
    res = sps.chi2_contingency(table, correction=False)
    half = 1.959963984540054 / math.sqrt(pairs)
    return IndependenceResult(
        pairs, phi, (phi - half, phi + half), float(res.statistic), float(res.pvalue)
    )


def runs_test(above: ArrayLike) -> tuple[int, float | None, float | None]:
    """Wald-Wolfowitz runs test on one boolean sequence: (runs, z, two-sided p-value)."""
    a = np.asarray(above, dtype=bool)
    n1 = int(a.sum())
    n2 = int(a.size - n1)
    if n1 == 0 or n2 == 0:
        return (1 if a.size else 0), None, None
    runs = int(1 + np.count_nonzero(a[1:] != a[:-1]))
    n = n1 + n2
    mu = 2 * n1 * n2 / n + 1
    var = 2 * n1 * n2 * (2 * n1 * n2 - n) / (n * n * (n - 1))
    if var <= 0:
        return runs, None, None
    z = (runs - mu) / math.sqrt(var)
    return runs, float(z), float(2 * sps.norm.sf(abs(z)))


# --------------------------------------------------------------------------- calibration


def brier_score(probabilities: ArrayLike, outcomes: ArrayLike) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    return float(np.mean((p - y) ** 2))


def reliability_bins(
    probabilities: ArrayLike, outcomes: ArrayLike, n_bins: int = 10
) -> list[dict[str, Any]]:
    """Reliability diagram: per equal-width confidence bin, mean forecast vs observed rate."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(outcomes, dtype=bool)
    idx = np.minimum((p * n_bins).astype(int), n_bins - 1)
    out = []
    for b in range(n_bins):
        mask = idx == b
        n = int(mask.sum())
        if n == 0:
            continue
        hits = int(y[mask].sum())
        low, high = wilson_interval(hits, n)
        out.append(
            {
                "bin_low": b / n_bins,
                "bin_high": (b + 1) / n_bins,
                "count": n,
                "mean_confidence": float(p[mask].mean()),
                "observed_rate": hits / n,
                "observed_rate_ci95": [low, high],
            }
        )
    return out
