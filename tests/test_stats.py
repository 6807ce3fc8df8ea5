"""crashdb.analytics.stats against textbook values, SciPy as an oracle, and simulation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from crashdb.analytics import stats

RNG_SEED = 20261122


def crash_points(n: int, rtp: float, rng: np.random.Generator) -> np.ndarray:
    u = 1.0 - rng.random(n)
    return np.maximum(np.floor(100 * rtp / u), 100) / 100


# --------------------------------------------------------------------------- proportions


def test_wilson_textbook_8_of_10() -> None:
    low, high = stats.wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=5e-5)
    assert high == pytest.approx(0.9433, abs=5e-5)


def test_wilson_edges() -> None:
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)
    low, high = stats.wilson_interval(0, 20)
    assert low == 0.0 and 0 < high < 0.2
    low, high = stats.wilson_interval(20, 20)
    assert high == 1.0 and 0.8 < low < 1
    with pytest.raises(ValueError):
        stats.wilson_interval(11, 10)


@given(n=st.integers(1, 5000), data=st.data())
@settings(max_examples=200, deadline=None)
def test_wilson_matches_scipy(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    ref = sps.binomtest(k, n).proportion_ci(0.95, method="wilson")
    low, high = stats.wilson_interval(k, n)
    assert low == pytest.approx(ref.low, abs=1e-9)
    assert high == pytest.approx(ref.high, abs=1e-9)


def test_wilson_covers_the_true_rate_in_about_95_percent_of_trials() -> None:
    rng = np.random.default_rng(RNG_SEED)
    p, n, trials = 0.3, 60, 2000
    hits = rng.binomial(n, p, size=trials)
    covered = sum(lo <= p <= hi for lo, hi in (stats.wilson_interval(int(k), n) for k in hits))
    assert 0.93 <= covered / trials <= 0.97


def test_binomial_p_value_textbook() -> None:
    # P(X >= 7 | n=10, p=1/2) = 176/1024; two-sided doubles it.
    assert stats.binomial_p_value(7, 10, 0.5) == pytest.approx(0.34375)
    assert stats.binomial_p_value(7, 10, 0.5, "greater") == pytest.approx(176 / 1024)
    assert stats.binomial_p_value(0, 0, 0.5) == 1.0


def test_poisson_binomial_approximates_the_exact_test_when_rates_are_equal() -> None:
    n, p, k = 4000, 0.485, 2010
    approx = stats.poisson_binomial_z_test(k, n * p, n * p * (1 - p))
    exact = stats.binomial_p_value(k, n, p)
    assert approx == pytest.approx(exact, rel=0.05)


# --------------------------------------------------------------------------- means


def test_mean_ci_from_sums_matches_scipy_t_interval() -> None:
    x = np.array([2.0, 4.0, 4.0, 5.0, 7.0, 9.0])
    mean, sd, ci = stats.mean_ci_from_sums(len(x), x.sum(), (x * x).sum())
    ref = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert mean == pytest.approx(x.mean())
    assert sd == pytest.approx(x.std(ddof=1))
    assert ci is not None
    assert ci[0] == pytest.approx(ref[0]) and ci[1] == pytest.approx(ref[1])
    assert stats.mean_ci_from_sums(0, 0, 0) == (None, None, None)


def test_bootstrap_mean_ci_covers_the_mean_of_a_skewed_sample() -> None:
    rng = np.random.default_rng(RNG_SEED)
    x = rng.exponential(2.0, 400)
    low, high = stats.bootstrap_mean_ci(x)
    assert low < x.mean() < high
    assert low < 2.0 < high


def test_ratio_ci_reduces_to_the_mean_ci_for_constant_denominators() -> None:
    rng = np.random.default_rng(RNG_SEED)
    profit = rng.normal(-0.3, 10, 5000)
    stake = np.full(5000, 10.0)
    r, ci = stats.ratio_ci_from_sums(
        5000,
        profit.sum(),
        stake.sum(),
        (profit**2).sum(),
        (stake**2).sum(),
        (profit * stake).sum(),
    )
    assert r == pytest.approx(profit.mean() / 10)
    assert ci is not None
    se = profit.std(ddof=1) / math.sqrt(5000) / 10
    assert ci[1] - r == pytest.approx(1.959964 * se, rel=1e-4)


def test_roi_interval_covers_the_house_edge_in_repeated_sessions() -> None:
    rng = np.random.default_rng(RNG_SEED)
    target, trials, n, covered = 2.0, 400, 2000, 0
    for _ in range(trials):
        crash = crash_points(n, 0.97, rng)
        profit = np.where(crash >= target, 10 * (target - 1), -10.0)
        stake = np.full(n, 10.0)
        _r, ci = stats.ratio_ci_from_sums(
            n,
            profit.sum(),
            stake.sum(),
            (profit**2).sum(),
            (stake**2).sum(),
            (profit * stake).sum(),
        )
        assert ci is not None
        covered += ci[0] <= -0.03 <= ci[1]
    assert 0.92 <= covered / trials <= 0.98


# --------------------------------------------------------------------------- trading metrics


def brute_drawdown(profits: list[float]) -> float:
    equity = [0.0, *itertools.accumulate(profits)]
    return max(max(equity[: j + 1]) - equity[j] for j in range(len(equity)))


def test_max_drawdown_textbook() -> None:
    dd = stats.max_drawdown([1, -2, 3, -5, 1], initial_capital=100)
    # equity 0, 1, -1, 2, -3, -2: peak 2 after round 2, trough -3 after round 3
    assert dd.absolute == 5
    assert (dd.start, dd.end) == (2, 3)
    assert dd.percent == pytest.approx(5 / 102 * 100)
    losing_from_start = stats.max_drawdown([-1, -1, 2])
    assert (losing_from_start.absolute, losing_from_start.start, losing_from_start.end) == (
        2,
        -1,
        1,
    )
    assert stats.max_drawdown([1, 2, 3]).absolute == 0


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=80))
@settings(max_examples=200, deadline=None)
def test_max_drawdown_matches_brute_force(profits: list[int]) -> None:
    dd = stats.max_drawdown(profits)
    assert dd.absolute == pytest.approx(brute_drawdown([float(p) for p in profits]))
    if dd.absolute > 0:
        assert dd.start is not None and dd.end is not None
        equity = [0, *itertools.accumulate(profits)]
        assert equity[dd.start + 1] - equity[dd.end + 1] == dd.absolute


@given(st.lists(st.booleans(), max_size=100))
def test_longest_streaks_match_groupby(wins: list[bool]) -> None:
    runs = [(k, len(list(g))) for k, g in itertools.groupby(wins)]
    expected_win = max((n for k, n in runs if k), default=0)
    expected_loss = max((n for k, n in runs if not k), default=0)
    assert stats.longest_streaks(wins) == (expected_win, expected_loss)


def test_profit_factor_textbook() -> None:
    pf, ci = stats.profit_factor([10, -5, 6, -3])
    assert pf == pytest.approx(16 / 8)
    assert ci is not None and ci[0] < 2 < ci[1]
    assert stats.profit_factor([1, 2])[0] is None  # nothing lost: undefined, not infinity


def test_sharpe_ratio_and_its_standard_error() -> None:
    x = np.array([0.1, -0.05, 0.2, 0.0, -0.1, 0.15])
    s, ci = stats.sharpe_ratio(x)
    assert s == pytest.approx(x.mean() / x.std(ddof=1))
    assert ci is not None
    se = math.sqrt((1 + 0.5 * s * s) / len(x))
    assert ci[1] - s == pytest.approx(1.959964 * se, rel=1e-5)


def test_risk_of_ruin() -> None:
    assert stats.risk_of_ruin(-0.3, 10, 1000) == 1.0  # negative edge: certain ruin eventually
    assert stats.risk_of_ruin(0.0, 10, 1000) == 1.0
    assert stats.risk_of_ruin(0.5, 10, 100) == pytest.approx(math.exp(-2 * 0.5 * 100 / 100))
    assert stats.risk_of_ruin(0.5, 10, 0) == 1.0


# --------------------------------------------------------------------------- crash model


def test_survival_of_the_generator_is_rtp_over_x_on_the_grid() -> None:
    rng = np.random.default_rng(RNG_SEED)
    crash = crash_points(400_000, 0.97, rng)
    for x in (1.01, 1.5, 2.0, 5.0, 10.0):
        share = float((crash >= x).mean())
        low, high = stats.wilson_interval(int((crash >= x).sum()), len(crash), 0.999)
        assert low <= stats.crash_survival(x, 0.97) <= high, (x, share)


def test_rtp_estimate_interval_covers_the_true_rtp() -> None:
    rng = np.random.default_rng(RNG_SEED)
    covered = 0
    trials = 300
    for _ in range(trials):
        crash = crash_points(3000, 0.97, rng)
        est, ci = stats.rtp_from_survival(len(crash), int((crash >= 1.01).sum()))
        assert est is not None and ci is not None
        covered += ci[0] <= 0.97 <= ci[1]
    assert 0.92 <= covered / trials <= 0.98


def _gof(crash: np.ndarray, rtp: float) -> stats.GofResult:
    edges = stats.DEFAULT_GOF_EDGES
    return stats.chi_square_survival_gof(
        len(crash), [int((crash >= e).sum()) for e in edges], rtp, edges
    )


def test_gof_accepts_honest_rounds_and_matches_scipy() -> None:
    rng = np.random.default_rng(RNG_SEED)
    crash = crash_points(50_000, 0.97, rng)
    res = _gof(crash, 0.97)
    assert res.p_value is not None and res.p_value > 0.01
    observed = [b["observed"] for b in res.bins]
    expected = [b["expected"] for b in res.bins]
    assert sum(observed) == len(crash)
    ref = sps.chisquare(observed, expected)
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.df == len(res.bins) - 1


def test_gof_rejects_a_wrong_rtp_and_ocr_misreads() -> None:
    rng = np.random.default_rng(RNG_SEED)
    stingy = crash_points(50_000, 0.90, rng)
    res = _gof(stingy, 0.97)
    assert res.p_value is not None and res.p_value < 1e-6
    honest = crash_points(50_000, 0.97, rng)
    misread = honest.copy()
    bad = rng.random(len(misread)) < 0.03  # 3% of reads lose the decimal point: 1.23 -> 12.3
    misread[bad] = np.round(misread[bad] * 10, 2)
    res = _gof(misread, 0.97)
    assert res.p_value is not None and res.p_value < 1e-6


def test_gof_merges_bins_that_expect_too_few_rounds() -> None:
    crash = np.array([1.0, 1.5, 2.0, 3.0, 1.2, 1.01, 8.0, 1.0, 2.5, 1.3])
    res = _gof(crash, 0.97)
    assert all(b["expected"] >= 5 for b in res.bins) or len(res.bins) == 1


def test_lag1_independence_on_iid_and_on_sticky_sequences() -> None:
    rng = np.random.default_rng(RNG_SEED)

    def table(a: np.ndarray) -> tuple[int, int, int, int]:
        prev, cur = a[:-1], a[1:]
        return (
            int(np.sum(~prev & ~cur)),
            int(np.sum(~prev & cur)),
            int(np.sum(prev & ~cur)),
            int(np.sum(prev & cur)),
        )

    iid = crash_points(20_000, 0.97, rng) >= 1.94
    res = stats.lag1_independence(*table(iid))
    assert res.p_value is not None and res.p_value > 0.01
    assert res.phi == pytest.approx(np.corrcoef(iid[:-1], iid[1:])[0, 1], abs=1e-9)
    assert res.phi_ci95 is not None and res.phi_ci95[0] < 0 < res.phi_ci95[1]
    sticky = np.empty(20_000, dtype=bool)
    sticky[0] = True
    flips = rng.random(20_000) < 0.4  # change state 40% of the time instead of 50%
    for i in range(1, len(sticky)):
        sticky[i] = sticky[i - 1] ^ flips[i]
    res = stats.lag1_independence(*table(sticky))
    assert res.p_value is not None and res.p_value < 1e-6


def test_runs_test_textbook() -> None:
    alternating = [True, False] * 20
    runs, z, p = stats.runs_test(alternating)
    assert runs == 40 and z is not None and z > 5 and p is not None and p < 1e-6
    # n1 = n2 = 10, R = 11: the expected value, z = (11 - 11) / sd = 0
    seq = [True] * 5 + [False] * 5 + [True] * 1 + [False] * 1 + [True, False] * 4
    runs, z, _p = stats.runs_test(seq)
    assert runs == 12 and z is not None
    n1 = n2 = 10
    mu = 2 * n1 * n2 / 20 + 1
    var = 2 * n1 * n2 * (2 * n1 * n2 - 20) / (20 * 20 * 19)
    assert z == pytest.approx((12 - mu) / math.sqrt(var))


def test_brier_and_reliability() -> None:
    assert stats.brier_score([0.7, 0.2], [1, 0]) == pytest.approx((0.09 + 0.04) / 2)
    bins = stats.reliability_bins([0.05, 0.15, 0.95, 0.99], [0, 0, 1, 1], n_bins=10)
    assert [b["count"] for b in bins] == [1, 1, 2]
    assert bins[-1]["observed_rate"] == 1.0
    assert bins[-1]["mean_confidence"] == pytest.approx(0.97)
