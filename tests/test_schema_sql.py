"""``schema.sql`` is generated from the migrations; this keeps the committed copy current."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from crashdb.db.folds import REVISIONS, migration_script
from crashdb.db.migrate import render_schema_sql


def test_committed_schema_sql_matches_the_migrations() -> None:
    committed = (resources.files("crashdb.db") / "schema.sql").read_text()
    assert committed == render_schema_sql(), (
        "schema.sql is stale: run `crashdb schema > src/crashdb/db/schema.sql`"
    )


def test_schema_sql_holds_the_seed_objects() -> None:
    ddl = render_schema_sql()
    # 9 tables + run_summaries, game_round_summaries, summary_fold_state + alembic_version
    # + the fleet service's api_tokens, bot_heartbeats, fleet_alerts, alert_deliveries
    # + signal_summaries (revision 0002)
    assert ddl.count("CREATE TABLE") == 18
    assert ddl.count("CREATE INDEX idx_") >= 24
    assert "USING gin (metadata jsonb_path_ops)" in ddl
    assert "REFERENCING NEW TABLE AS new_rounds" in ddl


def test_schema_sql_defines_each_object_once() -> None:
    ddl = render_schema_sql()
    names = re.findall(
        r"CREATE (?:UNIQUE )?(TABLE|INDEX|FUNCTION|TRIGGER|VIEW|MATERIALIZED VIEW) (\w+)", ddl
    )
    assert len(names) > 40
    assert [n for n in names if names.count(n) > 1] == []
    # one initial revision, then one revision per change; the ones that ship database objects
    # (REVISIONS) among them, in order
    chain = re.findall(r"Running upgrade (\S*) -> (\S+)", ddl)
    assert [old for old, _ in chain] == ["", *(new for _, new in chain[:-1])]
    shipped = [new for _, new in chain if new in REVISIONS]
    assert shipped == list(REVISIONS)
    assert chain[-1][1] == "0003_json_null"


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_migration_sql_is_rendered_from_the_definitions(dialect: str, revision: str) -> None:
    """Each revision ships its trigger and function bodies as .sql files rendered from
    crashdb/db/sql; they must not drift from the definitions readers use."""
    shipped = resources.files("crashdb.db.migrations") / "sql" / revision / f"{dialect}.sql"
    assert shipped.read_text() == migration_script(dialect, revision), (
        "regenerate with crashdb.db.folds.migration_script (and add a revision once released)"
    )
