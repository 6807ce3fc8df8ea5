"""``crashdb import FILE`` on SQLite and PostgreSQL: CSV, JSON Lines, Parquet."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from crashdb import Database
from crashdb.cli import app
from crashdb.db.models import CrashGameRound, SessionLog

runner = CliRunner()
START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def history(n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, n + 1):
        win = i % 3 != 0
        rows.append(
            {
                "bot_id": "import_bot",
                "session_id": "import_session",
                "game_name": "jetx",
                "platform_code": "fun88",
                "round_number": i,
                "stake_value": "2.50",
                "crash_multiplier": "3.17" if win else "1.04",
                "cashout_multiplier": "1.50" if win else None,
                "round_outcome": "WIN" if win else "LOSS",
                "round_start_timestamp": (START + timedelta(seconds=9 * i)).isoformat(),
                "metadata": {"i": i, "note": "ok"},
            }
        )
    return rows


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()})
    return path


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return path


def write_parquet(rows: list[dict[str, Any]], path: Path) -> Path:
    table = pa.table(
        {
            **{k: [r[k] for r in rows] for k in rows[0] if k not in ("metadata",)},
            "stake_value": pa.array(
                [Decimal(r["stake_value"]) for r in rows], pa.decimal128(10, 2)
            ),
            "round_start_timestamp": pa.array(
                [datetime.fromisoformat(r["round_start_timestamp"]) for r in rows],
                pa.timestamp("us", tz="UTC"),
            ),
            "metadata": [json.dumps(r["metadata"]) for r in rows],
        }
    )
    pq.write_table(table, path)
    return path


WRITERS: dict[str, Callable[[list[dict[str, Any]], Path], Path]] = {
    "history.csv": write_csv,
    "history.jsonl": write_jsonl,
    "history.parquet": write_parquet,
}


def stored(db: Database) -> list[CrashGameRound]:
    with db.session_scope() as s:
        return list(s.scalars(select(CrashGameRound).order_by(CrashGameRound.round_number)))


@pytest.mark.parametrize("name", list(WRITERS))
def test_import_each_format_and_again(db_url: str, tmp_path: Path, name: str) -> None:
    rows = history(450)  # > the COPY threshold on PostgreSQL
    path = WRITERS[name](rows, tmp_path / name)
    result = runner.invoke(app, ["import", str(path), "--db-url", db_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rows": 450, "inserted": 450, "skipped": 0}
    db = Database(db_url)
    try:
        got = stored(db)
        assert [r.round_number for r in got] == list(range(1, 451))
        first = got[0]
        assert first.stake_value == Decimal("2.50") and first.profit_loss == Decimal("1.25")
        assert first.round_start_timestamp == START + timedelta(seconds=9)
        assert first.round_metadata == {"i": 1, "note": "ok"}
        assert got[2].round_outcome == "LOSS" and got[2].profit_loss == Decimal("-2.50")
        # Importing the same file again adds nothing.
        again = runner.invoke(app, ["import", str(path), "--db-url", db_url, "--json"])
        assert again.exit_code == 0, again.output
        assert json.loads(again.output) == {"rows": 450, "inserted": 0, "skipped": 450}
        with db.session_scope() as s:
            assert s.scalar(select(func.count()).select_from(CrashGameRound)) == 450
            assert s.scalars(select(SessionLog.total_rounds)).one() == 450
    finally:
        db.dispose()


def test_all_or_nothing_writes_nothing_on_a_bad_row(db_url: str, tmp_path: Path) -> None:
    rows = history(300)
    rows[249]["stake_value"] = "-1"  # row 250 of the file, in the third chunk
    path = write_csv(rows, tmp_path / "bad.csv")
    result = runner.invoke(app, ["import", str(path), "--db-url", db_url, "--chunk-size", "100"])
    assert result.exit_code == 1
    assert "row 250: stake_value" in result.output
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM crash_game_rounds")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM bot_vm_registration")).scalar() == 0
    finally:
        db.dispose()


def test_resumable_keeps_good_chunks_and_resumes(db_url: str, tmp_path: Path) -> None:
    rows = history(300)
    rows[249]["round_outcome"] = "BUST"
    path = write_jsonl(rows, tmp_path / "bad.jsonl")
    args = ["import", str(path), "--db-url", db_url, "--chunk-size", "100", "--resumable"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "row 250: round_outcome" in result.output
    db = Database(db_url)
    try:
        assert len(stored(db)) == 200  # the two chunks before the bad one
        rows[249]["round_outcome"] = "WIN"
        write_jsonl(rows, path)
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == {"rows": 300, "inserted": 100, "skipped": 200}
        assert [r.round_number for r in stored(db)] == list(range(1, 301))
    finally:
        db.dispose()


def test_unknown_format_is_refused(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "rounds.txt"
    path.write_text("x")
    result = runner.invoke(app, ["import", str(path), "--db-url", db_url])
    assert result.exit_code == 2
    assert "--format" in result.output
