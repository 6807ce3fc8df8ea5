"""Exports: the same rounds come back from JSON Lines, CSV and Parquet, filtered, exactly."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from crashdb import Database
from crashdb.analytics.export import (
    export_multipliers,
    export_multipliers_for_ml,
    export_rounds,
    export_rounds_to_json,
)
from crashdb.exceptions import InvalidRecord
from factories import START, SessionSpec, add_multiplier_rows, add_session, crash_multipliers


@pytest.fixture
def two_bots(db: Database) -> list[dict[str, object]]:
    crashes = crash_multipliers(500, 0.97, np.random.default_rng(1))
    rows = add_session(db, SessionSpec(bot_id="a", external_prefix="r"), 0, crashes=crashes)
    rows += add_session(
        db,
        SessionSpec(bot_id="b", external_prefix="r", platform_code="dafabet"),
        0,
        crashes=crashes[:200],
    )
    rows += add_session(
        db, SessionSpec(bot_id="c", game_name="jetx", platform_code="fun88"), 120, seed=2
    )
    return rows


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_rounds_round_trip_in_every_format(
    db: Database, two_bots: list[dict[str, object]], tmp_path: Path, fmt: str
) -> None:
    seen: list[int] = []
    out = tmp_path / f"rounds.{fmt}"
    result = export_rounds(out, chunk_size=97, bot_id="a", progress=seen.append)
    expected = [r for r in two_bots if r["bot_id"] == "a"]
    assert result["rows"] == len(expected) == sum(seen) == 500
    assert max(seen) <= 97  # streamed in chunks
    if fmt == "parquet":
        table = pq.read_table(out)
        got = table.to_pylist()
        assert str(table.schema.field("profit_loss").type) == "decimal128(18, 4)"
        profits = [g["profit_loss"] for g in got]
        crashes = [g["crash_multiplier"] for g in got]
        starts = [g["round_start_timestamp"] for g in got]
    elif fmt == "csv":
        with out.open() as f:
            got = list(csv.DictReader(f))
        profits = [Decimal(g["profit_loss"]) for g in got]
        crashes = [Decimal(g["crash_multiplier"]) for g in got]
        starts = [g["round_start_timestamp"] for g in got]
    else:
        got = [json.loads(line) for line in out.read_text().splitlines()]
        profits = [Decimal(g["profit_loss"]) for g in got]
        crashes = [Decimal(str(g["crash_multiplier"])) for g in got]
        starts = [g["round_start_timestamp"] for g in got]
    assert profits == [r["profit_loss"] for r in expected]
    assert crashes == [r["crash_multiplier"] for r in expected]
    assert len(starts) == 500
    if fmt == "parquet":
        assert starts[0] == START


def test_filters_by_game_platform_and_dates(
    db: Database, two_bots: list[dict[str, object]], tmp_path: Path
) -> None:
    assert export_rounds(tmp_path / "j.csv", game_name="jetx")["rows"] == 120
    assert export_rounds(tmp_path / "f.csv", platform_code="fun88")["rows"] == 120
    window = export_rounds(
        tmp_path / "w.csv",
        bot_id="a",
        start_date=START + timedelta(seconds=100),
        end_date=START + timedelta(seconds=200),
    )
    assert window["rows"] == 10
    with pytest.raises(ValueError, match=r"cannot tell the format of 'x\.xlsx'"):
        export_rounds(tmp_path / "x.xlsx")


def test_multipliers_export_counts_shared_game_rounds_once(
    db: Database, two_bots: list[dict[str, object]], tmp_path: Path
) -> None:
    result = export_multipliers(tmp_path / "m.parquet", game_name="aviator")
    assert result["rows"] == 500  # bot b saw 200 of bot a's 500 rounds
    table = pq.read_table(tmp_path / "m.parquet").to_pylist()
    assert sum(r["reports"] for r in table) == 700
    assert [r["multiplier"] for r in table] == [
        r["crash_multiplier"] for r in two_bots if r["bot_id"] == "a"
    ]


ROUND_SEED_KEYS = {
    "id": str,
    "round_number": int,
    "game_name": str,
    "stake": str,  # exact money, as documented
    "crash_multiplier": float,
    "cashout_multiplier": (float, type(None)),
    "outcome": str,
    "profit_loss": str,
    "roi_percent": (float, type(None)),  # None when nothing was staked
    "timestamp": str,
}
ML_SEED_KEYS = {
    "round_id": str,
    "multiplier": float,
    "timestamp": str,
    "is_crash": bool,
    "is_cashout": bool,
    "ocr_confidence": (float, type(None)),
    "quality_score": (float, type(None)),
}


def test_export_rounds_to_json_has_the_seed_shape(
    db: Database, two_bots: list[dict[str, object]]
) -> None:
    recent = export_rounds_to_json("a", limit=50)
    assert len(recent) == 50
    assert [r["round_number"] for r in recent] == list(range(500, 450, -1))  # newest first
    for row in recent:
        for key, typ in ROUND_SEED_KEYS.items():
            assert isinstance(row[key], typ), (key, row[key])
    newest = [r for r in two_bots if r["bot_id"] == "a"][-1]
    first = recent[0]
    assert first["id"] == str(newest["id"])
    assert Decimal(first["stake"]) == newest["stake_value"]
    assert Decimal(first["profit_loss"]) == newest["profit_loss"]
    assert first["outcome"] == newest["round_outcome"]
    assert first["timestamp"] == newest["round_start_timestamp"].isoformat()  # type: ignore[attr-defined]
    assert first["session_id"] == newest["session_id"]  # and every other column, by name
    json.dumps(recent, allow_nan=False)
    assert len(export_rounds_to_json("a")) == 100  # the seed's default limit
    assert export_rounds_to_json("nobody") == []
    with pytest.raises(InvalidRecord, match="limit"):
        export_rounds_to_json("a", limit=0)


def test_export_multipliers_for_ml_has_the_seed_shape(
    db: Database, two_bots: list[dict[str, object]]
) -> None:
    rows = [r for r in two_bots if r["game_name"] == "aviator"]
    add_multiplier_rows(db, rows)
    ml = export_multipliers_for_ml("aviator", limit=300)
    assert isinstance(ml, list) and len(ml) == 300
    for item in ml:
        for key, typ in ML_SEED_KEYS.items():
            assert isinstance(item[key], typ), (key, item[key])
    stamps = [m["timestamp"] for m in ml]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    by_round = {str(r["id"]): r for r in rows}
    for item in ml:
        assert Decimal(str(item["multiplier"])) == by_round[item["round_id"]]["crash_multiplier"]
        assert item["is_crash"] is True and item["is_cashout"] is False
    json.dumps(ml, allow_nan=False)
    only_b = export_multipliers_for_ml("aviator", bot_id="b")
    assert len(only_b) == 200 and {m["bot_id"] for m in only_b} == {"b"}
    assert export_multipliers_for_ml("aviator", bot_id="nobody") == []
    assert export_multipliers_for_ml("jetx") == []  # no multiplier rows logged for jetx
