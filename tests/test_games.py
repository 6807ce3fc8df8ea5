"""Crash-point generators: P(crash >= x) = RTP / x on the 0.01 grid, seeded and capped."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from crashdb.config import GAMES
from crashdb.sim.games import (
    CrashGame,
    cents_to_decimal,
    decimal_to_cents,
    expected_roi,
    get_game,
    survival_probability,
)

N = 400_000


@pytest.mark.parametrize("name", sorted(GAMES))
def test_catalog_games_use_their_published_rtp(name: str) -> None:
    game = get_game(name)
    assert game.rtp == GAMES[name].rtp
    assert game.max_multiplier == GAMES[name].max_multiplier


@pytest.mark.parametrize("name", ["aviator", "jetx"])
@pytest.mark.parametrize("x", ["1.01", "1.33", "2.00", "3.00", "10.00", "100.00"])
def test_empirical_survival_matches_rtp_over_x(name: str, x: str) -> None:
    game = get_game(name)
    cents = game.crash_cents(N, np.random.default_rng(12345))
    hits = int((cents >= decimal_to_cents(Decimal(x))).sum())
    expected = float(game.rtp) / float(x)
    ci = binomtest(hits, N).proportion_ci(confidence_level=0.999, method="wilson")
    assert ci.low <= expected <= ci.high, (x, hits / N, expected, ci)


def test_instant_crash_share_is_one_minus_rtp_over_1_01() -> None:
    game = get_game("aviatrix")
    cents = game.crash_cents(N, np.random.default_rng(7))
    share = float((cents == 100).mean())
    expected = 1 - float(game.rtp) / 1.01
    ci = binomtest(int((cents == 100).sum()), N).proportion_ci(0.999, "wilson")
    assert ci.low <= expected <= ci.high, share


def test_a_configured_rtp_changes_the_distribution() -> None:
    game = get_game("jetx", rtp=Decimal("0.90"))
    cents = game.crash_cents(N, np.random.default_rng(3))
    hits = int((cents >= 200).sum())
    ci = binomtest(hits, N).proportion_ci(0.999, "wilson")
    assert ci.low <= 0.45 <= ci.high
    assert not ci.low <= 0.485 <= ci.high


def test_same_seed_same_rounds_and_different_seed_different_rounds() -> None:
    game = get_game("aviator")
    a = game.crash_cents(1000, np.random.default_rng(99))
    b = game.crash_cents(1000, np.random.default_rng(99))
    c = game.crash_cents(1000, np.random.default_rng(100))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_multipliers_are_exact_decimals_on_the_cent_grid_and_capped() -> None:
    game = CrashGame("capped", rtp=Decimal("0.97"), max_multiplier=Decimal("5.00"))
    points = game.crash_points(20_000, np.random.default_rng(1))
    assert all(isinstance(p, Decimal) and p == p.quantize(Decimal("0.01")) for p in points)
    assert min(points) == Decimal("1.00")
    assert max(points) == Decimal("5.00")  # P(crash >= 5) = 0.194: the cap is hit
    assert game.survival(Decimal("5.01")) == 0.0


def test_rounding_is_down_to_the_cent() -> None:
    assert decimal_to_cents(Decimal("2.459")) == 245
    assert decimal_to_cents("1.999999") == 199
    assert cents_to_decimal(245) == Decimal("2.45")


def test_win_probability_of_the_generator_is_rtp_over_target() -> None:
    game = get_game("aviator")
    for target in ("1.01", "1.50", "2.00", "7.77", "1000.00"):
        assert game.win_probability(Decimal(target)) == pytest.approx(
            0.97 / float(target), rel=1e-9
        )
    assert game.win_probability(Decimal("1.00")) == 1.0
    assert survival_probability(Decimal("1.00"), Decimal("0.97")) == 1.0
    assert expected_roi(game.rtp) == pytest.approx(-0.03)


def test_invalid_games_are_refused() -> None:
    with pytest.raises(ValueError):
        CrashGame("x", rtp=Decimal("1.5"))
    with pytest.raises(ValueError):
        CrashGame("x", max_multiplier=Decimal("0.5"))
    with pytest.raises(KeyError, match="unknown game"):
        get_game("crashy")


@settings(max_examples=40, deadline=None)
@given(
    rtp=st.decimals(min_value="0.50", max_value="1", places=4),
    cap=st.decimals(min_value="1", max_value="100000", places=2),
    seed=st.integers(0, 2**32),
)
def test_generated_points_stay_in_bounds_for_any_rtp(rtp: Decimal, cap: Decimal, seed: int) -> None:
    game = CrashGame("any", rtp=rtp, max_multiplier=cap)
    cents = game.crash_cents(500, np.random.default_rng(seed))
    assert cents.dtype == np.int64
    assert cents.min() >= 100
    assert cents.max() <= decimal_to_cents(cap)
