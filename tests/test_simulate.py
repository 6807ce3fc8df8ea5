"""Simulator, backtester and Monte Carlo: convergence to RTP - 1, determinism, what is logged."""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from crashdb import Database
from crashdb.db.models import (
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    AnalyticsRoundSignal,
    Base,
    CrashGameRound,
    SessionLog,
)
from crashdb.sim.games import get_game
from crashdb.sim.simulate import (
    FleetConfig,
    backtest,
    load_multipliers_csv,
    load_multipliers_db,
    monte_carlo,
    run_fleet,
)
from crashdb.sim.strategies import FixedStake, make_strategy

D = Decimal
SMALL = {"bots": 2, "games": ("aviator", "jetx"), "rounds": 25}


# ------------------------------------------------------------------------------ Monte Carlo


def test_monte_carlo_roi_converges_to_rtp_minus_one_within_its_ci() -> None:
    """Fixed stake at 2.00x: the 95% CI of ROI holds RTP - 1 and shrinks as rounds grow."""
    game = get_game("aviator")
    strategy = FixedStake("1.00", "2.00")
    widths = []
    for rounds in (40, 400, 4000):
        # a bankroll no session can lose, so every session plays every round
        r = monte_carlo(strategy, game, sessions=1000, rounds=rounds, bankroll=D(10_000), seed=2024)
        ci = r.roi_ci
        assert ci is not None
        assert r.expected_roi == pytest.approx(-0.03)
        assert ci[0] <= -0.03 <= ci[1], (rounds, r.roi, ci)
        assert r.total_bets == 1000 * rounds
        widths.append(ci[1] - ci[0])
    # the width scales like 1 / sqrt(total bets): 10x the rounds, about 1/3.16 the width
    assert widths[1] < 0.4 * widths[0] and widths[2] < 0.4 * widths[1], widths
    assert widths[2] < 0.004


@pytest.mark.parametrize("spec", ["martingale[max_stake=64]", "compound_1.33x"])
def test_every_strategy_returns_rtp_minus_one_on_average(spec: str) -> None:
    r = monte_carlo(
        make_strategy(spec), get_game("jetx"), sessions=3000, rounds=300, bankroll=D(200), seed=8
    )
    ci = r.roi_ci
    assert ci is not None and ci[0] <= -0.03 <= ci[1], (r.roi, ci)


def test_monte_carlo_reports_ruin_and_percentiles() -> None:
    game = get_game("aviator")
    risky = monte_carlo(
        FixedStake("10.00", "2.00"), game, sessions=2000, rounds=500, bankroll=D(30), seed=1
    )
    safe = monte_carlo(make_strategy("kelly_criterion"), game, sessions=50, rounds=50, seed=1)
    assert risky.ruin_probability > 0.5
    lo, hi = risky.ruin_ci
    assert lo < risky.ruin_probability < hi
    assert safe.ruin_probability == 0 and safe.total_bets == 0 and safe.roi is None
    p = risky.percentiles()
    assert p[5] <= p[50] <= p[95]
    assert (risky.final_balances[risky.ruined] < 0.10).all()
    assert risky.as_dict()["ruin_probability"] == risky.ruin_probability


def test_monte_carlo_same_seed_same_result() -> None:
    game, s = get_game("aviatrix"), make_strategy("martingale")
    a = monte_carlo(s, game, sessions=300, rounds=200, seed=42)
    b = monte_carlo(s, game, sessions=300, rounds=200, seed=42)
    c = monte_carlo(s, game, sessions=300, rounds=200, seed=43)
    assert np.array_equal(a.final_balances, b.final_balances)
    assert a.as_dict() == b.as_dict()
    assert not np.array_equal(a.final_balances, c.final_balances)


def test_custom_strategies_run_in_monte_carlo_too() -> None:
    class EveryOther:
        name = "every_other"

        def decide(self, history: list[Any], bankroll: Decimal) -> Any:
            from crashdb.sim.strategies import Bet

            return Bet(D("1.00"), D("1.50")) if len(history) % 2 == 0 else None

    r = monte_carlo(make_strategy(EveryOther), get_game("aviator"), sessions=20, rounds=40, seed=3)
    assert r.total_bets == 20 * 20


# ------------------------------------------------------------------------------ backtests


def test_backtest_from_csv_replays_the_file(tmp_path: Path) -> None:
    crashes = get_game("aviator").crash_points(500, np.random.default_rng(17))
    path = tmp_path / "history.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["round", "crash_multiplier"])
        for i, c in enumerate(crashes):
            w.writerow([i, f"{c}x" if i % 2 else str(c)])
    loaded = load_multipliers_csv(path)
    assert loaded == crashes
    fixed, kelly = backtest(
        [FixedStake("2.00", "2.00"), make_strategy("kelly_criterion")], loaded, D("10000")
    )
    wins = sum(c >= 2 for c in crashes)
    assert fixed.bets == 500 and fixed.wins == wins
    assert fixed.profit == D(2) * (wins - (500 - wins))
    assert kelly.bets == 0 and kelly.final_balance == D("10000")
    bad = tmp_path / "bad.csv"
    bad.write_text("crash_multiplier\n1.5\n0.7\n")
    with pytest.raises(ValueError, match=r"bad\.csv:3"):
        load_multipliers_csv(bad)
    with pytest.raises(ValueError, match="no 'crash' column"):
        load_multipliers_csv(path, column="crash")


# ------------------------------------------------------------------------------ fleet -> DB


def _rows(db: Database, model: type[Base]) -> list[tuple[Any, ...]]:
    table = model.__table__
    cols = [c for c in table.columns if c.name not in ("created_at", "updated_at", "id")]
    if model is not SessionLog:
        cols.insert(0, table.c.id)
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(*cols[:3]))]


def _count(db: Database, model: type[Base]) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_fleet_logs_every_round_with_analytics(db: Database) -> None:
    config = FleetConfig(seed=5, **SMALL)  # type: ignore[arg-type]
    result = run_fleet(db, config, spool_dir="spool")
    assert len(result.sessions) == 2 * 2 * 4
    assert _count(db, CrashGameRound) == result.rounds > 0
    assert _count(db, AnalyticsRoundOutcome) == result.rounds
    assert _count(db, AnalyticsRoundMultiplier) == result.rounds
    signals, hits = result.signals
    assert _count(db, AnalyticsRoundSignal) == signals > 0
    # the signals are noise: their hits stay within chance of RTP / target
    expected = result.signal_expected_hits
    assert 0 < expected < signals and abs(hits - expected) < 4 * math.sqrt(expected)
    with db.session_scope() as s:
        for outcome in result.sessions:
            log = s.scalars(
                select(SessionLog).where(SessionLog.session_id == outcome.session_id)
            ).one()
            summary = outcome.summary
            # session totals are kept by the database triggers from the logged rounds
            assert log.total_rounds == summary.rounds
            assert log.total_profit == summary.profit
            assert log.current_balance == summary.final_balance == log.final_balance
            assert log.strategy_name == outcome.strategy and log.game_name == outcome.game
        kelly = s.scalars(
            select(CrashGameRound).where(CrashGameRound.strategy_name == "kelly_criterion")
        ).all()
        assert kelly and {r.round_outcome for r in kelly} == {"SKIP"}
        assert {r.stake_value for r in kelly} == {D(0)}
        assert "stakes nothing" in (kelly[0].round_metadata or {})["skip_reason"]
        assert s.scalar(select(func.count()).where(CrashGameRound.is_simulated.is_(False))) == 0
        correct = s.scalar(
            select(func.count()).where(AnalyticsRoundSignal.signal_correctness.is_(True))
        )
        assert correct == hits


def test_same_seed_gives_identical_rows(db: Database, empty_db_url: str) -> None:
    other = Database(empty_db_url)
    other.init_db()
    try:
        config = FleetConfig(seed=11, **SMALL)  # type: ignore[arg-type]
        first = run_fleet(db, config, spool_dir="spool1")
        second = run_fleet(other, config, spool_dir="spool2")
        assert first.digest == second.digest
        for model in (
            CrashGameRound,
            AnalyticsRoundOutcome,
            AnalyticsRoundMultiplier,
            AnalyticsRoundSignal,
            SessionLog,
        ):
            assert _rows(db, model) == _rows(other, model), model.__tablename__
        # logging the same seed again changes nothing (idempotent ids)
        run_fleet(other, config, spool_dir="spool2")
        assert _rows(db, CrashGameRound) == _rows(other, CrashGameRound)
        different = run_fleet(other, FleetConfig(seed=12, **SMALL), spool_dir="spool2")  # type: ignore[arg-type]
        assert different.digest != first.digest
        assert _count(other, CrashGameRound) > _count(db, CrashGameRound)
    finally:
        other.dispose()


def test_backtest_from_the_database_replays_recorded_rounds(db: Database) -> None:
    result = run_fleet(db, FleetConfig(seed=3, **SMALL), spool_dir="spool")  # type: ignore[arg-type]
    aviator_rounds = sum(s.summary.rounds for s in result.sessions if s.game == "aviator")
    crashes = load_multipliers_db(db, game_name="aviator")
    assert len(crashes) == aviator_rounds
    assert load_multipliers_db(db, game_name="aviator", limit=7) == crashes[:7]
    (summary,) = backtest([FixedStake("1.00", "2.00")], crashes, D("100000"))
    wins = sum(c >= 2 for c in crashes)
    assert summary.profit == D(wins - (len(crashes) - wins))
