"""The seed's analytics on simulated rounds with a known RTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crashdb import Database
from crashdb.analytics import (
    get_bot_statistics,
    get_game_statistics,
    get_multiplier_distribution,
    get_session_summary,
    get_signal_effectiveness,
    get_strategy_performance,
    stats,
)
from factories import (
    START,
    SessionSpec,
    add_multiplier_rows,
    add_session,
    add_signals,
    crash_multipliers,
)

RTP = 0.97
SEED_LAYOUT = Path(__file__).resolve().parents[1] / "examples" / "seed_layout"


def strict_json(result: Any) -> Any:
    """The result is plain JSON: no Decimal, datetime, NaN or infinity."""
    return json.loads(json.dumps(result, allow_nan=False))


def ci_covers(ci: list[float] | None, value: float) -> bool:
    assert ci is not None
    return ci[0] <= value <= ci[1]


def test_bot_statistics_on_known_rtp(db: Database) -> None:
    spec = SessionSpec(bot_id="bot_a", session_id="s1", target=Decimal("2.00"))
    rows = add_session(db, spec, 12_000, RTP, seed=11)
    # A second session of the same bot with some skipped rounds.
    spec2 = SessionSpec(
        bot_id="bot_a", session_id="s2", start=START + timedelta(days=2), target=Decimal("1.50")
    )
    crashes = crash_multipliers(3000, RTP, np.random.default_rng(12))
    outcomes = [
        "SKIP" if i % 10 == 0 else ("WIN" if c >= Decimal("1.50") else "LOSS")
        for i, c in enumerate(crashes)
    ]
    rows2 = add_session(db, spec2, 0, crashes=crashes, outcomes=outcomes)
    result = strict_json(get_bot_statistics("bot_a"))
    all_rows = rows + rows2
    wins = sum(r["round_outcome"] == "WIN" for r in all_rows)
    losses = sum(r["round_outcome"] == "LOSS" for r in all_rows)
    assert result["found"] is True
    assert result["total_rounds"] == 15_000
    assert result["skips"] == 300
    assert (result["wins"], result["losses"]) == (wins, losses)
    assert result["total_bets"] == wins + losses
    assert result["win_rate_percent"] == pytest.approx(wins / (wins + losses) * 100)
    assert Decimal(result["total_profit"]) == sum(r["profit_loss"] for r in all_rows)
    assert Decimal(result["total_staked"]) == sum(r["stake_value"] for r in all_rows)
    # Each fixed target returns RTP per unit staked: the ROI interval covers RTP - 1.
    assert result["expected_roi_percent_at_published_rtp"] == pytest.approx(-3.0)
    assert ci_covers(result["roi_percent_ci95"], -3.0)
    assert result["roi_vs_house_edge_p_value"] > 0.05
    assert "NOT statistically significant" in result["verdict"]
    for key in ("win_rate_percent", "roi_percent", "expectancy", "profit_factor"):
        assert ci_covers(result[f"{key}_ci95"], result[key])
    # Path metrics agree with NumPy on each session.
    dds = []
    streaks = []
    for session in (rows, rows2):
        profits = [float(r["profit_loss"]) for r in session]
        dds.append(stats.max_drawdown(profits, float(session[0]["running_balance_before"])))
        decided = [r["round_outcome"] == "WIN" for r in session if r["round_outcome"] != "SKIP"]
        streaks.append(stats.longest_streaks(decided))
    worst = max(dds, key=lambda d: d.absolute)
    assert Decimal(result["max_drawdown"]) == Decimal(str(worst.absolute)).quantize(
        Decimal("0.0001")
    )
    assert result["max_drawdown_percent"] == pytest.approx(max(d.percent or 0 for d in dds))
    session_rows = rows if worst is dds[0] else rows2
    assert worst.end is not None and worst.start is not None
    assert result["max_drawdown_end_round"] == session_rows[worst.end]["round_number"]
    if worst.start >= 0:
        assert result["max_drawdown_start_round"] == session_rows[worst.start]["round_number"]
    assert result["longest_win_streak"] == max(s[0] for s in streaks)
    assert result["longest_loss_streak"] == max(s[1] for s in streaks)
    assert result["risk_of_ruin"] == 1.0  # negative expectancy: ruin is certain eventually


def test_unknown_ids_give_explicit_empty_results(db: Database) -> None:
    bot = strict_json(get_bot_statistics("nobody"))
    assert bot["found"] is False and bot["total_rounds"] == 0 and bot["win_rate_percent"] is None
    session = strict_json(get_session_summary("nothing"))
    assert (
        session["found"] is False and session["bots"] == [] and session["duration_seconds"] is None
    )
    strategy = strict_json(get_strategy_performance("no_such_strategy"))
    assert strategy["found"] is False and strategy["known_strategy"] is False
    game = strict_json(get_game_statistics("no_such_game"))
    assert game["found"] is False and game["rtp_estimate"] is None
    dist = strict_json(get_multiplier_distribution("no_such_game"))
    assert dist["found"] is False and dist["rounds_analyzed"] == 0
    signals = strict_json(get_signal_effectiveness(bot_id="nobody"))
    assert signals["found"] is False and signals["signal_types"] == []


def test_date_filters(db: Database) -> None:
    spec = SessionSpec(interval=timedelta(hours=1))
    add_session(db, spec, 72, RTP, seed=3)  # three days, 24 rounds a day
    day2 = START.date() + timedelta(days=1)
    one_day = get_bot_statistics(spec.bot_id, start_date=day2, end_date=day2)
    assert one_day["total_rounds"] == 24
    from_time = get_bot_statistics(spec.bot_id, start_date=START + timedelta(hours=70))
    assert from_time["total_rounds"] == 2
    assert get_bot_statistics(spec.bot_id, end_date="2026-11-01")["total_rounds"] == 24
    with pytest.raises(ValueError, match="naive datetime"):
        get_bot_statistics(spec.bot_id, start_date=datetime(2026, 11, 1))
    assert isinstance(day2, date)


def test_session_shared_by_two_bots(db: Database) -> None:
    a = SessionSpec(bot_id="bot_a", session_id="shared", initial_balance=Decimal("500.0000"))
    b = SessionSpec(
        bot_id="bot_b",
        session_id="shared",
        initial_balance=Decimal("300.0000"),
        stake=Decimal("1.0000"),
        start=START + timedelta(minutes=5),
    )
    rows_a = add_session(db, a, 40, RTP, seed=1)
    rows_b = add_session(db, b, 30, RTP, seed=2)
    summary = strict_json(get_session_summary("shared"))
    assert summary["bots"] == ["bot_a", "bot_b"]
    assert summary["shared_by_several_bots"] is True and summary["bot_id"] is None
    assert summary["total_rounds"] == 70
    assert Decimal(summary["initial_balance"]) == Decimal("800")
    final = rows_a[-1]["running_balance_after"] + rows_b[-1]["running_balance_after"]
    assert Decimal(summary["final_balance"]) == final
    last_end = max(r["round_end_timestamp"] for r in rows_a + rows_b)
    assert summary["duration_seconds"] == (last_end - START).total_seconds()
    assert {p["bot_id"] for p in summary["per_bot"]} == {"bot_a", "bot_b"}


def test_strategy_performance_pools_bots(db: Database) -> None:
    rows = []
    for k in range(3):
        spec = SessionSpec(
            bot_id=f"bot_{k}",
            session_id=f"s{k}",
            strategy_name="compound_1.33x",
            target=Decimal("1.33"),
        )
        rows += add_session(db, spec, 3000, RTP, seed=20 + k)
    add_session(db, SessionSpec(bot_id="other", strategy_name="martingale"), 100, RTP, seed=9)
    perf = strict_json(get_strategy_performance("compound_1.33x"))
    assert perf["found"] and perf["known_strategy"]
    assert perf["total_rounds"] == 9000 and perf["sessions"] == 3
    assert Decimal(perf["total_profit"]) == sum(r["profit_loss"] for r in rows)
    # P(crash >= 1.33) = 0.97 / 1.33 = 72.9%
    assert ci_covers(perf["win_rate_percent_ci95"], RTP / 1.33 * 100)
    assert ci_covers(perf["roi_percent_ci95"], -3.0)


def test_game_statistics_recover_the_rtp_and_count_shared_rounds_once(db: Database) -> None:
    crashes = crash_multipliers(20_000, RTP, np.random.default_rng(5))
    a = SessionSpec(bot_id="bot_a", external_prefix="r")
    b = SessionSpec(bot_id="bot_b", external_prefix="r", first_round=5001)
    add_session(db, a, 0, crashes=crashes)
    add_session(db, b, 0, crashes=crashes[5000:12_000])  # the same game rounds, seen again
    game = strict_json(get_game_statistics("aviator"))
    assert game["total_rounds"] == 20_000
    assert game["total_reports"] == 27_000 and game["duplicate_reports"] == 7000
    assert game["conflicting_reports"] == 0
    assert game["published_rtp"] == pytest.approx(RTP)
    assert ci_covers(game["rtp_estimate_ci95"], RTP)
    for row in game["rtp_by_target"]:
        assert ci_covers(row["return_per_unit_ci95"], RTP)
    assert game["goodness_of_fit"]["p_value"] > 0.01
    assert game["independence"]["p_value"] > 0.01
    assert "consistent with the published" in game["verdict"]
    assert game["max_multiplier"] == float(max(crashes))
    one_platform = get_game_statistics("aviator", platform_code="fun88")
    assert one_platform["found"] is False


def test_game_statistics_flag_a_game_that_is_not_what_it_claims(db: Database) -> None:
    # Published 0.97 but generated with 0.90 (or heavily misread).
    add_session(db, SessionSpec(game_name="jetx"), 20_000, 0.90, seed=8)
    game = get_game_statistics("jetx")
    assert not ci_covers(game["rtp_estimate_ci95"], RTP)
    assert ci_covers(game["rtp_estimate_ci95"], 0.90)
    assert game["goodness_of_fit"]["p_value"] < 1e-6
    assert "NOT consistent" in game["verdict"] and "do NOT follow" in game["verdict"]


def test_multiplier_distribution_is_bounded_by_limit(db: Database) -> None:
    crashes = crash_multipliers(3000, RTP, np.random.default_rng(6))
    add_session(db, SessionSpec(bot_id="a", external_prefix="x"), 0, crashes=crashes)
    add_session(db, SessionSpec(bot_id="b", external_prefix="x"), 0, crashes=crashes)
    dist = strict_json(get_multiplier_distribution("aviator", limit=1000))
    assert dist["rounds_analyzed"] == 1000
    assert sum(b["count"] for b in dist["bins"]) == 1000
    newest = crashes[-1000:]
    assert dist["bins"][0]["count"] == sum(c == Decimal("1.00") for c in newest)
    assert sum(b["expected_percent"] for b in dist["bins"]) == pytest.approx(100)
    everything = get_multiplier_distribution("aviator", limit=100_000)
    assert everything["rounds_analyzed"] == 3000


def test_chance_level_signal_is_not_significant(db: Database) -> None:
    rows = add_session(db, SessionSpec(), 5000, RTP, seed=13)
    rng = np.random.default_rng(14)
    add_signals(db, rows, "coin_flip", Decimal("2.00"), list(rng.uniform(0.3, 0.9, len(rows))))
    result = strict_json(get_signal_effectiveness(signal_type="coin_flip"))
    assert result["found"] and result["resolved_signals"] == 5000
    assert result["baseline_hit_rate_percent"] == pytest.approx(48.5)
    assert ci_covers(result["hit_rate_percent_ci95"], 48.5)
    assert result["p_value"] > 0.05 and result["significant"] is False
    assert "NOT statistically significant" in result["verdict"]
    block = result["signal_types"][0]
    assert block["test"] == "exact binomial test"
    # Random confidence is no better than always saying RTP/target.
    assert block["brier_score"] > block["baseline_brier_score"]
    assert sum(b["count"] for b in block["reliability_bins"]) == 5000


def test_informed_signal_is_significant_and_calibration_is_measured(db: Database) -> None:
    rows = add_session(db, SessionSpec(), 4000, RTP, seed=15)
    # A signal that peeks at the outcome 30% of the time.
    rng = np.random.default_rng(16)
    chosen = [r for r in rows if r["crash_multiplier"] >= Decimal("2.00") or rng.random() < 0.5]
    add_signals(db, chosen, "peek", Decimal("2.00"), 0.8)
    hits = sum(r["crash_multiplier"] >= Decimal("2.00") for r in chosen)
    result = get_signal_effectiveness(signal_type="peek")
    assert result["hits"] == hits
    assert result["p_value"] < 1e-6 and result["significant"] is True
    assert "significantly better than chance" in result["verdict"]
    rate = hits / len(chosen)
    assert result["brier_score"] == pytest.approx(rate * 0.2**2 + (1 - rate) * 0.8**2)
    by_bot = get_signal_effectiveness(bot_id="bot_a", signal_type="peek")
    assert by_bot["resolved_signals"] == len(chosen)


def test_signals_with_different_targets_pool_against_their_own_baselines(db: Database) -> None:
    rows = add_session(db, SessionSpec(), 4000, RTP, seed=17)
    add_signals(db, rows[:2000], "mixed", Decimal("1.50"), 0.6)
    add_signals(db, rows[2000:], "mixed", Decimal("3.00"), 0.3)
    result = get_signal_effectiveness()
    expected = (2000 * RTP / 1.5 + 2000 * RTP / 3.0) / 4000 * 100
    assert result["baseline_hit_rate_percent"] == pytest.approx(expected)
    assert "Poisson-binomial" in result["test"]
    targets = {t["target_multiplier"]: t for t in result["signal_types"][0]["by_target"]}
    assert targets[1.5]["baseline_hit_rate_percent"] == pytest.approx(RTP / 1.5 * 100)
    assert targets[3.0]["p_value"] > 0.001


def test_guide_analytics_snippets(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    rounds = add_session(
        db,
        SessionSpec(
            bot_id="aviator_bot_001",
            session_id="session_20251121_001",
            strategy_name="compound_1.33x",
            target=Decimal("1.33"),
            external_prefix="g",
        ),
        200,
        RTP,
        seed=4,
    )
    add_multiplier_rows(db, rounds)  # what export_multipliers_for_ml reads
    snippet = """
from backend.database.utils import get_bot_statistics
stats = get_bot_statistics("aviator_bot_001")
print(f"Win Rate: {stats['win_rate_percent']}%")
print(f"Total Profit: ${stats['total_profit']}")
print(f"ROI: {stats['roi_percent']}%")
from backend.database.utils import get_session_summary
summary = get_session_summary("session_20251121_001")
print(f"Duration: {summary['duration_seconds']} seconds")
print(f"Final Balance: ${summary['final_balance']}")
from backend.database.utils import get_strategy_performance
perf = get_strategy_performance("compound_1.33x")
print(f"Strategy Win Rate: {perf['win_rate_percent']}%")
print(f"Total Profit: ${perf['total_profit']}")
from backend.database.utils import export_multipliers_for_ml
import json
data = export_multipliers_for_ml("aviator", limit=5000)
with open("training_data.json", "w") as f:
    json.dump(data, f)
from backend.database.utils import get_database_size
size = get_database_size()
print(f"Total records: {size['total_records']}")
print(f"Tables: {size['tables']}")
"""
    sys.path.insert(0, str(SEED_LAYOUT))
    try:
        exec(compile(snippet, "guide", "exec"), {})
    finally:
        sys.path.remove(str(SEED_LAYOUT))
        for name in [m for m in sys.modules if m == "backend" or m.startswith("backend.")]:
            del sys.modules[name]
    out = capsys.readouterr().out
    assert "Win Rate: " in out and "None" not in out.split("Tables")[0]
    data = json.loads(Path("training_data.json").read_text())
    assert len(data) == 200  # the seed's shape: one dict per multiplier row
    assert datetime.fromisoformat(data[0]["timestamp"]).tzinfo == UTC


def test_signal_actual_multiplier_is_filled_from_its_round(db: Database) -> None:
    from sqlalchemy import select

    from crashdb.db.models import AnalyticsRoundSignal

    rows = add_session(db, SessionSpec(), 5, RTP, seed=18)
    add_signals(db, rows, "t", Decimal("2.00"), 0.5)
    with db.engine.connect() as conn:
        got = dict(
            conn.execute(
                select(AnalyticsRoundSignal.round_id, AnalyticsRoundSignal.actual_multiplier)
            ).all()
        )
    assert got == {r["id"]: r["crash_multiplier"] for r in rows}
