"""The seed's 10 examples in examples/ run, in order, on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from crashdb.config import normalize_url

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("[0-9][0-9]_*.py"))


def _run(script: Path, db_url: str, cwd: Path) -> str:
    env = {**os.environ, "CRASHDB_DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_there_are_ten_examples() -> None:
    assert len(EXAMPLES) == 10


def test_examples_run_in_order(db_url: str, tmp_path: Path) -> None:
    outputs = {script.name: _run(script, db_url, tmp_path) for script in EXAMPLES}

    assert "Refused:" in outputs["05_handle_errors.py"]
    assert "crash_multiplier" in outputs["05_handle_errors.py"]
    summary = json.loads(outputs["07_session_management.py"])
    assert summary["final_balance"] in ("500.00", "500.0000", "500", 500.0)
    assert (tmp_path / "training_data.json").exists()
    assert "200 rounds" in outputs["10_full_bot_integration.py"]

    engine = create_engine(normalize_url(db_url))
    with engine.connect() as conn:

        def count(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar_one())

        assert count("SELECT count(*) FROM crash_game_rounds WHERE bot_id = 'aviator_bot_001'") == 2
        assert (
            count(
                "SELECT count(*) FROM crash_game_rounds WHERE round_number = 3 "
                "AND bot_id = 'aviator_bot_001'"
            )
            == 0
        )  # the refused round
        assert count("SELECT count(*) FROM error_logs") == 1
        assert count("SELECT count(*) FROM ocr_validation_logs") == 3
        assert (
            count("SELECT count(*) FROM crash_game_rounds WHERE bot_id = 'example_bot_010'") == 200
        )
        assert count("SELECT count(*) FROM analytics_round_multipliers") == 201
    engine.dispose()
