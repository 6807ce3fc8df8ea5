"""``crashdb demo``, ``simulate``, ``montecarlo``, ``backtest`` and ``verify`` end to end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from crashdb import Database
from crashdb.cli import app
from crashdb.db.models import CrashGameRound, SessionLog

runner = CliRunner()


def _count(url: str, column: object = None) -> int:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(CrashGameRound)).scalar_one())
    finally:
        db.dispose()


def test_demo_initializes_simulates_and_summarizes(empty_db_url: str) -> None:
    result = runner.invoke(app, ["demo", "--db-url", empty_db_url, "--bots", "2", "--rounds", "15"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Strategies over the simulated fleet" in out
    assert "kelly_criterion: placed no bets" in out
    assert "Kelly stakes nothing" in out
    assert "Kelly at 2.00x with true odds" in out
    assert "Aviator rounds' seed commitments verify" in out
    assert "report" in out.lower()
    rounds = _count(empty_db_url)
    assert 0 < rounds <= 2 * 3 * 4 * 15
    db = Database(empty_db_url)
    try:
        with db.engine.connect() as conn:
            sessions = conn.execute(select(func.count()).select_from(SessionLog)).scalar_one()
        assert sessions == 2 * 3 * 4
    finally:
        db.dispose()


def test_demo_uses_the_embedded_sqlite_file_by_default(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--bots", "1", "--rounds", "5"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "crashdb.sqlite3").exists()
    assert _count(f"sqlite:///{tmp_path / 'crashdb.sqlite3'}") > 0


def test_simulate_same_seed_same_digest_and_json(db_url: str) -> None:
    args = ["simulate", "--db-url", db_url, "--bots", "2", "--rounds", "20", "--json"]
    first = runner.invoke(app, [*args, "--seed", "9", "-s", "fixed_stake", "-s", "martingale"])
    assert first.exit_code == 0, first.output
    a = json.loads(first.output[first.output.index("{") :])
    assert a["sessions"] == 2 * 3 * 2
    assert {s["strategy"] for s in a["strategies"]} == {"fixed_stake", "martingale"}
    assert all(s["expected_roi"] == -0.030000000000000027 for s in a["strategies"])
    again = runner.invoke(app, [*args, "--seed", "9", "-s", "fixed_stake", "-s", "martingale"])
    b = json.loads(again.output[again.output.index("{") :])
    assert a["digest"] == b["digest"] and a["strategies"] == b["strategies"]
    assert _count(db_url) == a["rounds"]  # the second run logged the same rows again


def test_simulate_needs_a_schema_and_valid_options(empty_db_url: str) -> None:
    result = runner.invoke(app, ["simulate", "--db-url", empty_db_url])
    assert result.exit_code == 1
    assert "crashdb init" in result.output
    result = runner.invoke(app, ["simulate", "--db-url", empty_db_url, "-g", "crashy"])
    assert result.exit_code == 2 and "unknown game" in result.output
    result = runner.invoke(app, ["simulate", "--db-url", empty_db_url, "-s", "martingale[x=1]"])
    assert result.exit_code == 2 and "unknown parameter" in result.output
    twice = ["-s", "martingale", "-s", "martingale[max_stake=20]"]
    result = runner.invoke(app, ["simulate", "--db-url", empty_db_url, *twice])
    assert result.exit_code == 2 and "distinct names" in result.output


def test_monte_carlo_from_both_commands() -> None:
    result = runner.invoke(
        app,
        ["montecarlo", "-s", "fixed_stake", "-s", "kelly_criterion", "-k", "400", "-m", "300",
         "--bankroll", "1000", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fixed, kelly = json.loads(result.output[result.output.index("[") :])
    assert fixed["ci_contains_expected"] is True and fixed["bets"] == 400 * 300
    assert kelly["bets"] == 0 and kelly["ruin_probability"] == 0
    result = runner.invoke(
        app, ["simulate", "--monte-carlo", "200", "--rounds", "50", "-g", "jetx"]
    )
    assert result.exit_code == 0, result.output
    assert "Monte Carlo" in result.output and "P(ruin)%" in result.output


def test_backtest_csv_and_database(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text("crash_multiplier\n" + "\n".join(["1.00", "2.50", "1.40", "3.00"] * 25))
    result = runner.invoke(app, ["backtest", "--csv", str(path), "--json", "-s", "fixed_stake"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    (fixed,) = report["strategies"]
    assert report["rounds"] == 100 and fixed["wins"] == 50 and Decimal(fixed["profit"]) == 0
    bad = runner.invoke(app, ["backtest", "--csv", str(path), "--column", "nope"])
    assert bad.exit_code == 1
    empty = runner.invoke(app, ["backtest", "--db-url", db_url, "-g", "aviator"])
    assert empty.exit_code == 1 and "no recorded multipliers" in empty.output
    sim = runner.invoke(app, ["simulate", "--db-url", db_url, "--bots", "1", "--rounds", "30"])
    assert sim.exit_code == 0, sim.output
    result = runner.invoke(app, ["backtest", "--db-url", db_url, "-g", "aviator"])
    assert result.exit_code == 0, result.output
    assert "Backtest: 120 rounds" in result.output and "martingale" in result.output


def test_verify_reports_mismatches(db_url: str) -> None:
    sim = runner.invoke(app, ["simulate", "--db-url", db_url, "--bots", "1", "--rounds", "10"])
    assert sim.exit_code == 0, sim.output
    ok = runner.invoke(app, ["verify", "--db-url", db_url, "--json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.output[ok.output.index("{") :])
    assert report["checked"] == 40 and report["mismatches"] == []
    db = Database(db_url)
    try:
        with db.session_scope() as s:
            row = s.scalars(
                select(CrashGameRound)
                .where(CrashGameRound.game_name == "aviator")
                .order_by(CrashGameRound.round_number)
                .limit(1)
            ).one()
            meta = dict(row.round_metadata or {})
            fairness = dict(meta["fairness"])
            fairness["server_seed"] = "not-the-committed-seed"
            meta["fairness"] = fairness
            row.round_metadata = meta
            tampered = (row.session_id, row.round_number)
    finally:
        db.dispose()
    bad = runner.invoke(app, ["verify", "--db-url", db_url, "--json"])
    assert bad.exit_code == 1
    report = json.loads(bad.output[bad.output.index("{") :])
    assert [(m["session_id"], m["round_number"]) for m in report["mismatches"]] == [tampered]
    table = runner.invoke(app, ["verify", "--db-url", db_url])
    assert table.exit_code == 1 and "Mismatches" in table.output


def test_unreachable_database_is_a_clear_error() -> None:
    url = "postgresql://nobody@127.0.0.1:1/x?connect_timeout=1"
    for command in (["simulate"], ["demo"], ["verify"], ["backtest", "-g", "aviator"]):
        result = runner.invoke(app, [*command, "--db-url", url])
        assert result.exit_code == 1, (command, result.output)
        assert "cannot connect" in result.output and "connection refused" in result.output
