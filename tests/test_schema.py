"""The schema as created by the migrations, checked against the seed on both backends."""

from __future__ import annotations

import uuid
import warnings
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from crashdb import Database
from crashdb.db.models import Base, BotVMRegistration, CrashGameRound, SessionLog

SEED_TABLES = {
    "bot_vm_registration",
    "game_platform_config",
    "crash_game_rounds",
    "analytics_round_multipliers",
    "analytics_round_signals",
    "analytics_round_outcomes",
    "session_logs",
    "error_logs",
    "ocr_validation_logs",
}
SEED_INDEXES = {
    "idx_crash_rounds_start_ts",
    "idx_crash_rounds_end_ts",
    "idx_crash_rounds_bot_session",
    "idx_crash_rounds_game_platform",
    "idx_crash_rounds_strategy_outcome",
    "idx_crash_rounds_analytics",
    "idx_crash_rounds_metadata",
    "idx_analytics_multipliers_round",
    "idx_analytics_multipliers_timestamp",
    "idx_analytics_multipliers_bot_game",
    "idx_analytics_multipliers_date",
    "idx_analytics_multipliers_value",
    "idx_analytics_signals_round",
    "idx_analytics_signals_timestamp",
    "idx_analytics_signals_bot_game",
    "idx_analytics_signals_type",
    "idx_analytics_signals_confidence",
    "idx_analytics_signals_pattern",
    "idx_analytics_outcomes_round",
    "idx_analytics_outcomes_timestamp",
    "idx_analytics_outcomes_bot_game",
    "idx_analytics_outcomes_outcome",
    "idx_analytics_outcomes_date",
    "idx_analytics_outcomes_strategy",
}
PG_ONLY_INDEXES = {"idx_crash_rounds_metadata"}
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_seed_lists_24_indexes() -> None:
    assert len(SEED_INDEXES) == 24


def test_init_creates_the_nine_tables_and_named_indexes(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    db.init_db()
    insp = inspect(db.engine)
    assert set(insp.get_table_names()) >= SEED_TABLES
    names = {ix["name"] for t in SEED_TABLES for ix in insp.get_indexes(t)}
    expected = SEED_INDEXES if db.backend == "postgresql" else SEED_INDEXES - PG_ONLY_INDEXES
    assert expected <= names
    db.dispose()


def test_round_table_has_the_seed_sections(db: Database) -> None:
    columns = {c["name"] for c in inspect(db.engine).get_columns("crash_game_rounds")}
    fields = {
        "bot_id",
        "session_id",
        "game_name",
        "platform_code",
        "round_number",
        "bet_slot",
        "round_external_id",
        "stake_value",
        "target_multiplier",
        "crash_multiplier",
        "cashout_multiplier",
        "round_outcome",
        "profit_loss",
        "running_balance_before",
        "running_balance_after",
        "ocr_text",
        "ocr_confidence",
        "error_type",
        "error_description",
        "strategy_name",
        "metadata",
        "round_start_timestamp",
        "round_end_timestamp",
    }
    assert fields <= columns
    assert 45 <= len(columns) <= 55


def test_models_and_migrations_do_not_drift(db: Database) -> None:
    with db.engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda o, n, t, r, c: not (t == "table" and n.startswith("mv_")),
            },
        )
        diff = compare_metadata(ctx, Base.metadata)
    if db.backend == "sqlite":
        # SQLite cannot reflect DESC index columns, so DESC indexes come back as a remove/add
        # pair of the same name; the DESC itself is checked in the next test. The GIN index is
        # PostgreSQL-only by design.
        names = [d[1].name for d in diff if d[0] in ("add_index", "remove_index")]
        diff = [
            d
            for d in diff
            if not (
                d[0] in ("add_index", "remove_index")
                and (names.count(d[1].name) == 2 or d[1].name in PG_ONLY_INDEXES)
            )
        ]
    assert diff == []


def test_desc_indexes_are_descending(db: Database) -> None:
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'idx_crash_rounds_start_ts'")
            ).scalar_one()
        else:
            sql = conn.execute(
                text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_crash_rounds_start_ts'"
                )
            ).scalar_one()
    assert "round_start_timestamp DESC" in sql


def _bot_and_session(db: Database, bot_id: str = "b1", session_id: str = "s1") -> None:
    with db.session_scope() as s:
        s.add(BotVMRegistration(bot_id=bot_id))
        s.flush()
        s.add(SessionLog(bot_id=bot_id, session_id=session_id, initial_balance=Decimal("100")))


def _round(n: int, **overrides: object) -> CrashGameRound:
    values: dict[str, object] = dict(
        id=uuid.uuid4(),
        bot_id="b1",
        session_id="s1",
        game_name="aviator",
        platform_code="dafabet",
        round_number=n,
        bet_slot=1,
        round_start_timestamp=NOW,
        stake_value=Decimal("10.00"),
        crash_multiplier=Decimal("2.45"),
        cashout_multiplier=Decimal("1.33"),
        round_outcome="WIN",
        profit_loss=Decimal("3.30"),
        running_balance_before=Decimal("100.00"),
        running_balance_after=Decimal("103.30"),
    )
    values.update(overrides)
    return CrashGameRound(**values)


def test_money_and_multipliers_round_trip_exactly(db: Database) -> None:
    _bot_and_session(db)
    values = dict(
        stake_value=Decimal("123456789.1234"),
        crash_multiplier=Decimal("1000000.01"),
        profit_loss=Decimal("-0.0001"),
        running_balance_after=Decimal("0"),
    )
    with db.session_scope() as s:
        s.add(_round(1, **values))
    with db.session_scope() as s:
        row = s.execute(select(CrashGameRound)).scalar_one()
        for key, value in values.items():
            got = getattr(row, key)
            assert isinstance(got, Decimal)
            assert got == value
        assert row.round_start_timestamp == NOW
        assert row.round_start_timestamp.tzinfo is not None


@pytest.mark.parametrize(
    "overrides",
    [
        {"crash_multiplier": Decimal("0.99")},
        {"cashout_multiplier": Decimal("0.50")},
        {"stake_value": Decimal("-1")},
        {"ocr_confidence": Decimal("1.5")},
        {"round_outcome": "MAYBE"},
        {"running_balance_after": Decimal("-0.01")},
    ],
)
def test_check_constraints_reject_impossible_rounds(
    db: Database, overrides: dict[str, object]
) -> None:
    _bot_and_session(db)
    with pytest.raises(IntegrityError), db.session_scope() as s:
        s.add(_round(1, **overrides))


def test_zero_balance_is_valid(db: Database) -> None:
    _bot_and_session(db)
    with db.session_scope() as s:
        s.add(
            _round(
                1,
                running_balance_after=Decimal("0"),
                round_outcome="LOSS",
                cashout_multiplier=None,
                profit_loss=Decimal("-10"),
            )
        )


def test_natural_key_is_unique_but_allows_a_second_bet_slot(db: Database) -> None:
    _bot_and_session(db)
    with db.session_scope() as s:
        s.add(_round(1, bet_slot=1))
        s.add(_round(1, bet_slot=2))
    with pytest.raises(IntegrityError), db.session_scope() as s:
        s.add(_round(1, bet_slot=1))


def test_foreign_keys_hold(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session_scope() as s:
        s.add(_round(1, bot_id="nobody", session_id="none"))


def test_session_totals_follow_round_inserts(db: Database) -> None:
    _bot_and_session(db)
    with db.session_scope() as s:
        s.add_all(
            [
                _round(1),
                _round(
                    2,
                    round_outcome="LOSS",
                    cashout_multiplier=None,
                    profit_loss=Decimal("-10"),
                    running_balance_before=Decimal("103.30"),
                    running_balance_after=Decimal("93.30"),
                ),
                _round(
                    3,
                    profit_loss=Decimal("3.30"),
                    running_balance_before=Decimal("93.30"),
                    running_balance_after=Decimal("96.60"),
                ),
            ]
        )
    with db.session_scope() as s:
        log = s.execute(select(SessionLog)).scalar_one()
        assert (log.total_rounds, log.total_wins, log.total_losses) == (3, 2, 1)
        assert log.total_profit == Decimal("-3.40")
        assert log.current_balance == Decimal("96.60")
        assert log.last_round_number == 3


def test_updated_at_moves_on_raw_updates(db: Database) -> None:
    _bot_and_session(db)
    with db.engine.begin() as conn:
        before = conn.execute(text("SELECT updated_at FROM bot_vm_registration")).scalar_one()
        conn.execute(
            text("UPDATE bot_vm_registration SET updated_at = :t"),
            {
                "t": "2000-01-01 00:00:00"
                if db.backend == "sqlite"
                else datetime(2000, 1, 1, tzinfo=UTC)
            },
        )
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE bot_vm_registration SET bot_name = 'renamed'"))
    with db.session_scope() as s:
        bot = s.execute(select(BotVMRegistration)).scalar_one()
        assert bot.updated_at.year >= 2026
        assert before is not None


def test_daily_stats_view_is_always_current(db: Database) -> None:
    _bot_and_session(db)
    with db.session_scope() as s:
        s.add_all([_round(1), _round(2)])
    with db.engine.begin() as conn:
        row = conn.execute(text("SELECT rounds, wins FROM mv_bot_daily_stats")).one()
    assert (row.rounds, row.wins) == (2, 2)


def test_game_catalog_is_seeded(db: Database) -> None:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT game_name, platform_code FROM game_platform_config")).all()
    assert {(g, p) for g, p in rows} >= {("aviator", "dafabet"), ("jetx", "fun88")}
    assert len(rows) == 9


def test_open_lists_take_custom_values(db: Database) -> None:
    with db.session_scope() as s:
        s.add(BotVMRegistration(bot_id="b9", vm_provider="hetzner", strategy_name="my_own"))
        s.flush()
        s.add(SessionLog(bot_id="b9", session_id="s9", platform_code="my_casino"))


def test_drop_existing_recreates_an_empty_schema(db: Database) -> None:
    _bot_and_session(db)
    db.init_db(drop_existing=True)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bot_vm_registration")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM game_platform_config")).scalar_one() == 9


def test_upgrade_turns_stored_json_null_into_sql_null(db: Database) -> None:
    """Revision 0003: JSON ``null`` that an INSERT stored before it becomes SQL NULL, and the
    rows are otherwise untouched (updated_at kept, no summary left to refold)."""
    _bot_and_session(db)
    with db.session_scope() as s:
        s.add(_round(1))
        s.add(_round(2, round_metadata={"x": None}))
        s.add(_round(3, round_metadata={"a": 1}))
    null = "'null'" if db.backend == "sqlite" else "'null'::jsonb"
    stamp = "2000-01-01 00:00:00" if db.backend == "sqlite" else datetime(2000, 1, 1, tzinfo=UTC)
    with db.engine.begin() as conn:  # what an INSERT stored before revision 0003
        conn.execute(text(f"UPDATE crash_game_rounds SET metadata = {null} WHERE round_number = 1"))
        conn.execute(text(f"UPDATE bot_vm_registration SET metadata = {null}"))
        conn.execute(text(f"UPDATE session_logs SET metadata = {null}"))
    touch = "ALTER TABLE crash_game_rounds {} TRIGGER trg_crash_game_rounds_updated_at"
    with db.engine.begin() as conn:  # an old updated_at (PostgreSQL's trigger would set now())
        if db.backend == "postgresql":
            conn.execute(text(touch.format("DISABLE")))
        conn.execute(text("UPDATE crash_game_rounds SET updated_at = :t"), {"t": stamp})
        if db.backend == "postgresql":
            conn.execute(text(touch.format("ENABLE")))
        conn.execute(text("UPDATE alembic_version SET version_num = '0002_signal_summaries'"))
    db.init_db()

    def rows() -> list[tuple[object, ...]]:
        with db.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT round_number, metadata IS NULL, updated_at FROM crash_game_rounds"
                        " ORDER BY round_number"
                    )
                )
            ]

    after = rows()
    assert [r[:2] for r in after] == [(1, True), (2, False), (3, False)]
    assert len({str(r[2]) for r in after}) == 1 and str(after[0][2]).startswith("2000-01-01")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM run_summaries WHERE dirty")).scalar() == 0
        for table in ("bot_vm_registration", "session_logs"):
            nulls = f"SELECT count(*) FROM {table} WHERE metadata IS NULL"
            assert conn.execute(text(nulls)).scalar() == 1
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0003_json_null"
        )
    with db.session_scope() as s:
        metas = s.execute(select(CrashGameRound.round_metadata).order_by("round_number"))
        assert list(metas.scalars()) == [None, {"x": None}, {"a": 1}]
