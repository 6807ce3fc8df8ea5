"""The analytics commands: tables for people, --json for scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from crashdb import Database
from crashdb.cli import app
from factories import SessionSpec, add_session, add_signals

runner = CliRunner()


@pytest.fixture
def loaded(db: Database, db_url: str) -> str:
    rows = add_session(
        db, SessionSpec(bot_id="bot_a", session_id="s1", external_prefix="r"), 600, seed=1
    )
    add_signals(db, rows, "early_flight", Decimal("2.00"), 0.7)
    return db_url


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("subject", "ident", "key"),
    [
        ("bot", "bot_a", "bot_id"),
        ("session", "s1", "session_id"),
        ("game", "aviator", "game_name"),
        ("strategy", "fixed_stake", "strategy_name"),
    ],
)
def test_stats_json_and_table(loaded: str, subject: str, ident: str, key: str) -> None:
    data = json.loads(run("stats", subject, ident, "--db-url", loaded, "--json"))
    assert data[key] == ident and data["found"] is True
    table = run("stats", subject, ident, "--db-url", loaded)
    assert "95% CI" in table


def test_stats_unknown_bot_is_an_error_naming_the_closest(loaded: str) -> None:
    for extra in ([], ["--json"]):
        result = runner.invoke(app, ["stats", "bot", "bot_b", "--db-url", loaded, *extra])
        assert result.exit_code == 1
        assert "no bot 'bot_b'" in result.output and "did you mean 'bot_a'" in result.output


def test_list_bots_sessions_strategies_games(loaded: str) -> None:
    bots = json.loads(run("list", "bots", "--db-url", loaded, "--json"))
    assert [(b["bot_id"], b["rounds"], b["sessions"]) for b in bots] == [("bot_a", 600, 1)]
    sessions = json.loads(run("list", "sessions", "--bot", "bot_a", "--db-url", loaded, "--json"))
    assert [(s["session_id"], s["rounds"]) for s in sessions] == [("s1", 600)]
    assert sessions[0]["first_round_at"] < sessions[0]["last_round_at"]
    games = json.loads(run("list", "games", "--db-url", loaded, "--json"))
    assert [g["game_name"] for g in games] == ["aviator"]
    strategies = json.loads(run("list", "strategies", "--db-url", loaded, "--json"))
    assert [s["strategy_name"] for s in strategies] == ["fixed_stake"]
    table = run("list", "bots", "--db-url", loaded)
    assert "bot_a" in table and "first round" in table and "(times in UTC)" in table


def test_distribution_and_signals(loaded: str) -> None:
    data = json.loads(
        run("distribution", "aviator", "--limit", "100", "--db-url", loaded, "--json")
    )
    assert data["rounds_analyzed"] == 100
    assert "expected %" in run("distribution", "aviator", "--db-url", loaded)
    sig = json.loads(run("signals", "--db-url", loaded, "--json"))
    assert sig["resolved_signals"] == 600
    assert "early_flight" in run("signals", "--db-url", loaded)


def test_export_cleanup_size_refresh(loaded: str, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    result = json.loads(run("export", str(out), "--bot", "bot_a", "--db-url", loaded, "--json"))
    assert result["rows"] == 600 and pq.read_table(out).num_rows == 600
    assert "Wrote 600 multipliers" in run(
        "export", str(tmp_path / "m.csv"), "--what", "multipliers", "--db-url", loaded
    )
    days = (datetime.now(UTC) - datetime(2026, 11, 1, tzinfo=UTC)) // timedelta(days=1) - 1
    plan = json.loads(run("cleanup", "--older-than", str(days), "--db-url", loaded, "--json"))
    assert plan["dry_run"] is True and plan["tables"]["crash_game_rounds"] == 600
    assert "Dry run" in run("cleanup", "--older-than", str(days), "--db-url", loaded)
    size = json.loads(run("size", "--db-url", loaded, "--json"))
    assert size["tables"]["crash_game_rounds"] == 600
    done = json.loads(
        run("cleanup", "--older-than", str(days), "--apply", "--db-url", loaded, "--json")
    )
    assert done["tables"]["crash_game_rounds"] == 600
    assert json.loads(run("size", "--db-url", loaded, "--json"))["tables"]["crash_game_rounds"] == 0
    # The clean-up's deletes already recomputed the summaries: nothing is left to fold.
    refreshed = json.loads(run("refresh", "--db-url", loaded, "--json"))
    assert refreshed["folded"] == 0 and refreshed["full"] is False
    rebuilt = json.loads(run("refresh", "--full", "--db-url", loaded, "--json"))
    assert rebuilt["full"] is True
    assert "Database size:" in run("size", "--db-url", loaded)
