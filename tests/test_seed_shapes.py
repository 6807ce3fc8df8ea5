"""The six analytics functions return the seed's keys, with the seed's meanings and types
(/work/shared/seed-shapes.md; extra keys are allowed), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from crashdb import Database
from crashdb.analytics import (
    get_bot_statistics,
    get_game_statistics,
    get_multiplier_distribution,
    get_session_summary,
    get_signal_effectiveness,
    get_strategy_performance,
)
from factories import SessionSpec, add_session, add_signals

RTP = 0.97
# Kinds of value: "int", "float" (a number; None allowed where nothing can be computed),
# "money" (an exact decimal string), "str", "iso" (an ISO-8601 UTC time).
BOT = {
    "bot_id": "str",
    "total_rounds": "int",
    "wins": "int",
    "losses": "int",
    "errors": "int",
    "win_rate_percent": "float",
    "total_stakes": "money",
    "total_profit": "money",
    "roi_percent": "float",
    "avg_multiplier": "float",
    "max_multiplier": "float",
    "min_multiplier": "float",
    "largest_win": "money",
    "largest_loss": "money",
}
SESSION = {
    "session_id": "str",
    "bot_id": "str",
    "game_name": "str",
    "status": "str",
    "start_time": "iso",
    "end_time": "iso",
    "duration_seconds": "float",
    "initial_balance": "money",
    "final_balance": "money",
    "total_profit_loss": "money",
    "roi_percent": "float",
    "total_rounds": "int",
    "win_rate": "float",
}
GAME = {
    "game_name": "str",
    "total_bots": "int",
    "total_rounds": "int",
    "wins": "int",
    "win_rate_percent": "float",
    "total_profit": "money",
    "bots": "dict",
}
STRATEGY = {
    "strategy": "str",
    "total_rounds": "int",
    "wins": "int",
    "losses": "int",
    "win_rate_percent": "float",
    "total_profit": "money",
    "avg_profit_per_round": "money",
    "roi_percent": "float",
}
DISTRIBUTION = {
    "game_name": "str",
    "total_records": "int",
    "avg_multiplier": "float",
    "min_multiplier": "float",
    "max_multiplier": "float",
    "percentile_10": "float",
    "percentile_50": "float",
    "percentile_90": "float",
    "crashes": "int",
    "cashouts": "int",
}
SIGNALS = {
    "total_signals": "int",
    "evaluated_signals": "int",
    "correct_predictions": "int",
    "accuracy_percent": "float",
    "avg_confidence": "float",
    "signal_types": "list",
}


def check_shape(result: dict[str, Any], shape: dict[str, str]) -> None:
    json.dumps(result, allow_nan=False)  # plain JSON
    missing = set(shape) - set(result)
    assert not missing, f"missing seed keys: {sorted(missing)}"
    for key, kind in shape.items():
        value = result[key]
        assert value is not None, key
        if kind == "int":
            assert isinstance(value, int) and not isinstance(value, bool), key
        elif kind == "float":
            assert isinstance(value, int | float) and not isinstance(value, bool), key
        elif kind == "money":
            assert isinstance(value, str) and Decimal(value).is_finite(), key
        elif kind == "iso":
            assert isinstance(value, str) and value.endswith("+00:00"), key
        elif kind == "str":
            assert isinstance(value, str), key
        elif kind == "dict":
            assert isinstance(value, dict), key
        else:
            assert isinstance(value, list), key


@pytest.fixture
def played(db: Database) -> dict[str, list[dict[str, Any]]]:
    a = SessionSpec(
        bot_id="bot_a", session_id="sa", external_prefix="r", strategy_name="martingale"
    )
    b = SessionSpec(
        bot_id="bot_b", session_id="sb", external_prefix="r", strategy_name="martingale"
    )
    rows_a = add_session(db, a, 300, RTP, seed=1)
    rows_b = add_session(db, b, 200, RTP, seed=2)
    add_signals(db, rows_a, "early_flight", Decimal("2.00"), 0.6)
    return {"a": rows_a, "b": rows_b}


def test_seed_shapes(db: Database, played: dict[str, list[dict[str, Any]]]) -> None:
    rows = played["a"] + played["b"]
    bot = get_bot_statistics("bot_a", db=db)
    check_shape(bot, BOT)
    a = played["a"]
    assert Decimal(bot["total_stakes"]) == sum(r["stake_value"] for r in a)
    assert Decimal(bot["largest_win"]) == max(r["profit_loss"] for r in a)
    assert Decimal(bot["largest_loss"]) == min(r["profit_loss"] for r in a)
    crashes = [r["crash_multiplier"] for r in a]
    assert bot["max_multiplier"] == float(max(crashes))
    assert bot["min_multiplier"] == float(min(crashes))
    assert bot["avg_multiplier"] == pytest.approx(float(sum(crashes) / len(crashes)))

    session = get_session_summary("sa", db=db)
    check_shape(session, SESSION)
    assert Decimal(session["total_profit_loss"]) == sum(r["profit_loss"] for r in a)
    assert session["win_rate"] == session["win_rate_percent"]
    assert session["game_name"] == "aviator"

    game = get_game_statistics("aviator", db=db)
    check_shape(game, GAME)
    assert game["bots"] == {"bot_a": 300, "bot_b": 200}
    assert game["total_bots"] == 2
    assert game["wins"] == sum(r["round_outcome"] == "WIN" for r in rows)
    assert Decimal(game["total_profit"]) == sum(r["profit_loss"] for r in rows)

    strategy = get_strategy_performance("martingale", db=db)
    check_shape(strategy, STRATEGY)
    assert strategy["strategy"] == "martingale"
    total = sum(r["profit_loss"] for r in rows)
    assert Decimal(strategy["avg_profit_per_round"]) == (total / len(rows)).quantize(
        Decimal("0.0001")
    )

    dist = get_multiplier_distribution("aviator", limit=100, db=db)
    check_shape(dist, DISTRIBUTION)
    # The latest 100 game rounds (bot_a's rounds 201..300; bot_b reported 1..200 only).
    latest = sorted(float(r["crash_multiplier"]) for r in a[-100:])
    assert dist["total_records"] == dist["crashes"] == 100
    assert dist["max_multiplier"] == latest[-1] and dist["min_multiplier"] == latest[0]
    assert dist["percentile_50"] == pytest.approx((latest[49] + latest[50]) / 2)
    assert dist["cashouts"] == sum(r["cashout_multiplier"] is not None for r in a[-100:])

    signals = get_signal_effectiveness(db=db)
    check_shape(signals, SIGNALS)
    hits = sum(r["crash_multiplier"] >= Decimal("2.00") for r in a)
    assert signals["evaluated_signals"] == 300
    assert signals["correct_predictions"] == hits
    assert signals["accuracy_percent"] == pytest.approx(hits / 300 * 100)
    assert signals["avg_confidence"] == pytest.approx(0.6)
