"""Every export format loads back with ``crashdb import`` as the same rows (ids, timestamps and
every other column), on SQLite and on PostgreSQL; ``.json`` means JSON Lines both ways."""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import crashdb
from crashdb import Database, DatabaseConnection
from crashdb.cli import app
from crashdb.db.models import CrashGameRound

runner = CliRunner()
START = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
SERVER_FILLED = {"created_at", "updated_at"}


@pytest.fixture
def target_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second fresh, migrated database on the same backend (the import's target)."""
    if backend == "sqlite":
        path = tmp_path / "target.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    name = server.create(
        f"r{uuid.uuid4().hex[:8]}", template=request.getfixturevalue("pg_template")
    )
    yield server.url(name)
    server.drop(name)


def varied_rounds() -> list[dict[str, Any]]:
    """Rounds using every kind of column: text a spreadsheet or a terminal would act on,
    empty text, nulls, JSON metadata, every outcome, second bet slots, microseconds."""
    # ids (names: no blanks or control characters) and free text (anything) a spreadsheet or a
    # terminal would act on
    ids = ["bot_a", '=HYPERLINK("http://x","y")', "-2+3", "'=quoted", "é ☃"]
    texts = ["", "@cmd", "é ☃ \x1b[31m", "+1\t", "plain"]
    rows: list[dict[str, Any]] = []
    for i in range(1, 61):
        outcome = ("WIN", "LOSS", "SKIP", "ERROR")[i % 4]
        stake = Decimal("0") if outcome == "SKIP" else Decimal("2.50")
        row: dict[str, Any] = {
            "bot_id": ids[i % len(ids)],
            "vm_name": texts[i % len(texts)],
            "session_id": f"s{i % 3}",
            "game_name": ("aviator", "jetx", "aviatrix")[i % 3],
            "platform_code": None if i % 5 == 0 else "dafabet",
            "round_external_id": f"@r{i}" if i % 2 else None,
            "round_number": i,
            "bet_slot": 1 + i % 2,
            "round_start_timestamp": START + timedelta(seconds=7 * i, microseconds=i),
            "stake_value": stake,
            "round_outcome": outcome,
            "crash_multiplier": None if outcome == "ERROR" else Decimal("1.00") + i,
            "strategy_name": ["martingale", None, "+1 ladder"][i % 3],
            "metadata": {"i": i, "f": 0.1 * i, "nested": {"list": [1, "two", None]}}
            if i % 4
            else None,
            "ocr_text": "2.45x\n\t" if i % 6 == 0 else None,
            "ocr_confidence": Decimal("0.9512") if i % 7 else None,
            "is_simulated": bool(i % 2),
            "auto_cashout": None if i % 3 else True,
            "error_description": "timeout, retried" if outcome == "ERROR" else None,
        }
        if outcome == "WIN":
            row["target_multiplier"] = Decimal("1.50")
            row["cashout_multiplier"] = Decimal("1.50")
            row["round_end_timestamp"] = row["round_start_timestamp"] + timedelta(seconds=3)
        if i % 8 == 1:
            row["running_balance_before"] = Decimal("100.0000")
        rows.append(row)
    return rows


def stored(url: str) -> list[dict[str, Any]]:
    db = Database(url)
    try:
        cols = [c for c in CrashGameRound.__table__.columns if c.name not in SERVER_FILLED]
        with db.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(*cols).order_by(cols[0])).mappings()]
    finally:
        db.dispose()


@pytest.mark.parametrize("name", ["rounds.jsonl", "rounds.json", "rounds.csv", "rounds.parquet"])
def test_every_export_format_loads_back_as_the_same_rows(
    db: Database, db_url: str, target_url: str, tmp_path: Path, name: str
) -> None:
    crashdb.log_batch_rounds(varied_rounds())
    original = stored(db_url)
    assert len(original) == 60
    out = tmp_path / name
    exported = runner.invoke(app, ["export", str(out), "--db-url", db_url, "--json"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["rows"] == 60
    DatabaseConnection.close()
    loaded = runner.invoke(app, ["import", str(out), "--db-url", target_url, "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.output) == {"rows": 60, "inserted": 60, "skipped": 0}
    again = stored(target_url)
    assert [r["id"] for r in again] == [r["id"] for r in original]
    for got, want in zip(again, original, strict=True):
        assert got == want  # every column: ids, timestamps to the microsecond, text, JSON
    # Loading the same export again changes nothing.
    twice = runner.invoke(app, ["import", str(out), "--db-url", target_url, "--json"])
    assert json.loads(twice.output) == {"rows": 60, "inserted": 0, "skipped": 60}


def test_json_suffix_means_json_lines_both_ways(db: Database, db_url: str, tmp_path: Path) -> None:
    crashdb.log_batch_rounds(varied_rounds()[:5])
    out = tmp_path / "five.json"
    assert runner.invoke(app, ["export", str(out), "--db-url", db_url]).exit_code == 0
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) == 5 and all(isinstance(json.loads(line), dict) for line in lines)


def test_csv_export_defuses_formula_cells_and_import_restores_them(
    db: Database, db_url: str, target_url: str, tmp_path: Path
) -> None:
    crashdb.log_batch_rounds(varied_rounds())
    out = tmp_path / "rounds.csv"
    assert runner.invoke(app, ["export", str(out), "--db-url", db_url]).exit_code == 0
    with out.open(newline="", encoding="utf-8") as f:
        cells = [c for row in csv.DictReader(f) for k, c in row.items() if k != "profit_loss"]
    text_cells = [c for c in cells if c]
    assert '\'=HYPERLINK("http://x","y")' in text_cells
    assert "''=quoted" in text_cells and "'@r1" in text_cells and "'-2+3" in text_cells
    numbers = {"stake_value", "profit_loss", "running_balance_after", "roi_percent"}
    with out.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for key, cell in row.items():
                if key not in numbers:
                    assert cell[:1] not in "=+-@\t\r" or not cell, (key, cell)
    DatabaseConnection.close()
    assert runner.invoke(app, ["import", str(out), "--db-url", target_url]).exit_code == 0
    assert stored(target_url) == stored(db_url)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_empty_export_is_a_valid_file_that_loads_back(
    db: Database, db_url: str, target_url: str, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"none.{fmt}"
    result = runner.invoke(app, ["export", str(out), "--db-url", db_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == 0
    loaded = runner.invoke(app, ["import", str(out), "--db-url", target_url, "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.output) == {"rows": 0, "inserted": 0, "skipped": 0}
