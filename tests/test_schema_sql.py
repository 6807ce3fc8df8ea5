"""``schema.sql`` is generated from the migrations; this keeps the committed copy current."""

from __future__ import annotations

from importlib import resources

from crashdb.db.migrate import render_schema_sql


def test_committed_schema_sql_matches_the_migrations() -> None:
    committed = (resources.files("crashdb.db") / "schema.sql").read_text()
    assert committed == render_schema_sql(), (
        "schema.sql is stale: run `crashdb schema > src/crashdb/db/schema.sql`"
    )


def test_schema_sql_holds_the_seed_objects() -> None:
    ddl = render_schema_sql()
    # 9 tables + strategy_run_rollups, game_round_rollups, game_round_pending + alembic_version
    # + the fleet service's api_tokens, bot_heartbeats, fleet_alerts, alert_deliveries
    assert ddl.count("CREATE TABLE") == 17
    assert ddl.count("CREATE INDEX idx_") >= 24
    assert "USING gin (metadata jsonb_path_ops)" in ddl
    assert "REFERENCING NEW TABLE AS new_rounds" in ddl
