"""Strategies: their unit behaviour, the wrappers, custom loading, and the session engine."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crashdb.sim.backtest import play_session, run_session, settle
from crashdb.sim.games import get_game
from crashdb.sim.montecarlo import monte_carlo
from crashdb.sim.strategies import (
    Bet,
    CompoundStrategy,
    CustomStrategy,
    FixedStake,
    KellyCriterion,
    Martingale,
    RoundResult,
    StopLoss,
    Strategy,
    TakeProfit,
    kelly_fraction,
    load_custom_strategy,
    make_strategy,
    parse_strategy_spec,
)

D = Decimal
LOSE = D("1.00")  # a crash at 1.00x loses every bet
WIN = D("100.00")  # reaches every target used here


def stakes(strategy: Strategy, crashes: list[Decimal], bankroll: str = "1000") -> list[Decimal]:
    return [r.bet.stake if r.bet else D(0) for r in play_session(strategy, crashes, D(bankroll))]


def test_settle_pays_stake_times_target_minus_one_and_loses_the_stake() -> None:
    bet = Bet(D("10.00"), D("1.33"))
    assert settle(bet, D("1.33")) == (True, D("3.3000"))
    assert settle(bet, D("1.32")) == (False, D("-10.00"))


def test_fixed_stake_never_changes() -> None:
    s = FixedStake("2.50", "2.00")
    assert stakes(s, [LOSE, WIN, LOSE, LOSE]) == [D("2.50")] * 4


def test_martingale_doubles_after_a_loss_and_resets_after_a_win() -> None:
    m = Martingale(base_stake="1.00", target="2.00", max_stake="1000")
    assert stakes(m, [LOSE, LOSE, LOSE, WIN, LOSE, WIN]) == [
        D("1.00"), D("2.00"), D("4.00"), D("8.00"), D("1.00"), D("2.00"),
    ]  # fmt: skip


def test_martingale_respects_the_table_limit() -> None:
    reset = Martingale(base_stake="1.00", max_stake="10.00", at_limit="reset")
    seq = stakes(reset, [LOSE] * 7)
    assert seq == [D(1), D(2), D(4), D(8), D(1), D(2), D(4)]
    cap = Martingale(base_stake="1.00", max_stake="10.00", at_limit="cap")
    seq = stakes(cap, [LOSE] * 7)
    assert seq == [D(1), D(2), D(4), D(8), D(10), D(10), D(10)]
    rng_crashes = get_game("aviator").crash_points(3000, np.random.default_rng(5))
    assert max(stakes(cap, rng_crashes, "100000")) <= D("10.00")


def test_martingale_cannot_stake_more_than_the_bankroll() -> None:
    m = Martingale(base_stake="10.00", max_stake="1000")
    results = list(play_session(m, [LOSE] * 5, D("50.00")))
    assert [r.bet.stake for r in results if r.bet] == [D(10), D(20), D(20)]
    assert results[-1].balance_after == 0
    assert len(results) == 3  # ruined: the session ends


def test_compound_reinvests_the_return_for_max_steps_then_banks_it() -> None:
    c = CompoundStrategy(base_stake="1.00", target="1.33", max_steps=2)
    seq = stakes(c, [WIN, WIN, WIN, WIN, LOSE, WIN])
    # 1.00 -> 1.33 -> 1.76 (1.7689 rounded down) -> back to 1.00 after 2 steps
    assert seq == [D("1.00"), D("1.33"), D("1.76"), D("1.00"), D("1.33"), D("1.00")]


def test_kelly_stakes_nothing_at_true_odds_and_says_why() -> None:
    k = KellyCriterion(target="2.00", rtp="0.97")
    assert k.kelly == pytest.approx(-0.03)
    assert kelly_fraction(0.97 / 3.0, 3.0) == pytest.approx((0.97 - 1) / 2)
    assert k.decide([], D("1000")) is None
    assert "stakes nothing" in k.explain()
    summary = run_session(k, [WIN, LOSE] * 50, D("100"))
    assert summary.bets == 0 and summary.rounds == 100 and summary.final_balance == D(100)


def test_kelly_with_a_believed_edge_stakes_edge_over_odds() -> None:
    k = KellyCriterion(target="2.00", rtp="0.97", edge="0.02")
    bet = k.decide([], D("1000"))
    assert bet is not None and bet.stake == D("20.00") and bet.target == D("2.00")
    half = KellyCriterion(target="3.00", edge="0.10", fraction="0.5")
    assert half.decide([], D("1000")) == Bet(D("25.00"), D("3.00"), 0)  # 0.5 * 0.1 / 2


def test_stop_loss_stops_and_never_loses_more_than_the_limit() -> None:
    s = StopLoss(FixedStake("3.00"), "10.00")
    summary = run_session(s, [LOSE] * 20, D("100"))
    assert summary.profit == D("-10.00")  # 3 + 3 + 3 + 1 (the last stake is cut to the room)
    assert summary.bets == 4
    assert summary.stop_reason is not None and summary.stop_reason.startswith("stop-loss")


def test_take_profit_stops_once_up_enough() -> None:
    s = TakeProfit(FixedStake("5.00", "2.00"), "12.00")
    summary = run_session(s, [WIN] * 10, D("100"))
    assert summary.bets == 3 and summary.profit == D("15.00")
    assert summary.stop_reason is not None and "take-profit" in summary.stop_reason


def test_custom_strategy_from_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "my_strategy.py"
    path.write_text(
        textwrap.dedent(
            """
            from decimal import Decimal
            from crashdb.sim.strategies import Bet

            class AfterTwoLows:
                name = "after_two_lows"

                def __init__(self, stake="1.00"):
                    self.stake = Decimal(stake)

                def decide(self, history, bankroll):
                    recent = [r.crash for r in history[-2:]]
                    if len(recent) == 2 and all(c < 2 for c in recent):
                        return Bet(self.stake, Decimal("2.00"))
                    return None
            """
        )
    )
    s = make_strategy(f"{path}:AfterTwoLows[stake=2.50]")
    assert isinstance(s, CustomStrategy) and s.name == "after_two_lows"
    results = list(play_session(s, [D("1.10"), D("1.50"), D("3.00"), D("1.20")], D("100")))
    assert [r.bet for r in results] == [None, None, Bet(D("2.50"), D("2.00")), None]
    assert results[2].won is True


def test_custom_strategy_from_a_class_and_bad_returns() -> None:
    class Always:
        def decide(self, history: object, bankroll: Decimal) -> Bet:
            return Bet(D("1.00"), D("1.50"))

    class Broken:
        name = "broken"

        def decide(self, history: object, bankroll: Decimal) -> object:
            return (1, 2)

    assert load_custom_strategy(Always).decide([], D(10)) == Bet(D("1.00"), D("1.50"))
    with pytest.raises(TypeError, match="expected Bet or None"):
        load_custom_strategy(Broken).decide([], D(10))
    with pytest.raises(TypeError, match="no decide"):
        load_custom_strategy(object())


def test_specs_and_errors() -> None:
    assert parse_strategy_spec("martingale[max_stake=50, target=2]") == (
        "martingale",
        {"max_stake": "50", "target": "2"},
    )
    m = make_strategy("martingale[max_stake=50]", base_stake="2", rtp="0.97")
    assert isinstance(m, Martingale) and m.base_stake == D("2.00") and m.max_stake == D(50)
    f = make_strategy("fixed_stake", base_stake="3", stop_loss="20")
    assert isinstance(f, StopLoss) and f.name == "fixed_stake+sl20"
    with pytest.raises(ValueError, match="unknown parameter"):
        make_strategy("martingale[colour=red]")
    with pytest.raises(ValueError, match="target"):
        FixedStake("1.00", "1.00")
    with pytest.raises(ValueError):
        make_strategy("no/such/file.py:Nope")


@pytest.mark.parametrize(
    "spec",
    [
        "fixed_stake",
        "martingale[max_stake=20]",
        "martingale[max_stake=20,at_limit=cap,factor=2.5]",
        "compound_1.33x[max_steps=4,max_stake=5]",
        "kelly_criterion",
    ],
)
def test_vectorized_monte_carlo_equals_the_decimal_engine(spec: str) -> None:
    """The NumPy kernels reproduce play_session exactly, session by session."""
    game = get_game("aviator")
    k, m = 40, 300
    for wrapped in (make_strategy(spec), make_strategy(spec, stop_loss="30", take_profit="25")):
        mc = monte_carlo(wrapped, game, sessions=k, rounds=m, bankroll=D("60"), seed=11)
        # monte_carlo draws one row of k crash points per round from the seeded generator
        cents = game.crash_cents(k * m, np.random.default_rng(11)).reshape(m, k)
        for j in range(k):
            crashes = [D(int(c)) / 100 for c in cents[:, j]]
            summary = run_session(wrapped, crashes, D("60"))
            assert mc.final_balances[j] == pytest.approx(float(summary.final_balance), abs=1e-9)
            assert mc.bets[j] == summary.bets
            assert mc.ruined[j] == summary.ruined


def test_round_result_history_is_what_strategies_see() -> None:
    seen: list[int] = []

    class Spy(Strategy):
        name = "spy"

        def decide(self, history: list[RoundResult], bankroll: Decimal) -> Bet | None:  # type: ignore[override]
            seen.append(len(history))
            return None

    list(play_session(Spy(), [WIN] * 4, D(10)))
    assert seen == [0, 1, 2, 3]


crash_lists = st.lists(
    st.integers(min_value=100, max_value=1000).map(lambda c: D(c) / 100), max_size=120
)


@settings(max_examples=60, deadline=None)
@given(
    crashes=crash_lists,
    spec=st.sampled_from(
        ["fixed_stake[stake=7]", "martingale[max_stake=40]", "compound_1.33x", "kelly_criterion"]
    ),
    max_loss=st.integers(min_value=1, max_value=80),
)
def test_invariants_hold_for_any_sequence(crashes: list[Decimal], spec: str, max_loss: int) -> None:
    """Balances stay >= 0, stakes within the bankroll and the table limit, and a stop-loss
    never loses more than its limit, whatever the rounds."""
    for strategy in (make_strategy(spec), make_strategy(spec, stop_loss=max_loss)):
        balance = D(100)
        for r in play_session(strategy, crashes, D(100)):
            assert r.balance_before == balance and r.balance_after >= 0
            if r.bet is not None:
                assert r.bet.stake <= r.balance_before
                assert r.bet.stake <= D(40) or not spec.startswith("martingale")
                assert r.won == (r.crash >= r.bet.target)
            balance = r.balance_after
        if isinstance(strategy, StopLoss):
            assert D(100) - balance <= max_loss
