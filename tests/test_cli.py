from __future__ import annotations

import json

from typer.testing import CliRunner

from crashdb.cli import app
from crashdb.db.migrate import render_schema_sql

runner = CliRunner()


def test_init_then_check(empty_db_url: str) -> None:
    result = runner.invoke(app, ["init", "--db-url", empty_db_url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["check", "--db-url", empty_db_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["reachable"] is True
    assert report["schema_revision"] == report["head_revision"]
    # 9 seed tables + 4 summary tables (signal_summaries since revision 0002) + 4 of the
    # fleet service
    assert len(report["row_counts"]) == 17
    assert report["schema_revision"] == "0003_json_null"
    assert report["row_counts"]["game_platform_config"] == 9


def test_check_reports_an_uninitialized_database(empty_db_url: str) -> None:
    result = runner.invoke(app, ["check", "--db-url", empty_db_url])
    assert result.exit_code == 1
    assert "crashdb init" in result.output


def test_check_fails_when_unreachable() -> None:
    result = runner.invoke(
        app, ["check", "--db-url", "postgresql://nobody@127.0.0.1:1/x?connect_timeout=1"]
    )
    assert result.exit_code == 1


def test_drop_existing_asks_first(db_url: str) -> None:
    result = runner.invoke(app, ["init", "--db-url", db_url, "--drop-existing"], input="n\n")
    assert result.exit_code == 1
    assert "Aborted" in result.output
    result = runner.invoke(app, ["init", "--db-url", db_url, "--drop-existing", "--yes"])
    assert result.exit_code == 0, result.output


def test_schema_prints_the_generated_ddl() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.output == render_schema_sql()
    assert "CREATE VIEW mv_bot_daily_stats" in result.output
