"""Database-side objects of revision 0002 (frozen with the revision).

A signal's ``actual_multiplier`` is filled from its round's ``crash_multiplier`` when the signal
is inserted without one, so that judging signals needs no join with the (large) rounds table.
Existing signals are back-filled by the upgrade.
"""

from __future__ import annotations

from alembic import op

PG_SIGNAL_ACTUAL_FUNCTION = """
CREATE FUNCTION crashdb_signal_actual_multiplier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actual_multiplier IS NULL AND NEW.round_id IS NOT NULL THEN
        SELECT r.crash_multiplier INTO NEW.actual_multiplier
          FROM crash_game_rounds r WHERE r.id = NEW.round_id;
    END IF;
    RETURN NEW;
END
$$
"""

SQLITE_SIGNAL_ACTUAL_TRIGGER = """
CREATE TRIGGER trg_signals_actual_multiplier AFTER INSERT ON analytics_round_signals
WHEN NEW.actual_multiplier IS NULL AND NEW.round_id IS NOT NULL
BEGIN
    UPDATE analytics_round_signals
       SET actual_multiplier = (SELECT r.crash_multiplier FROM crash_game_rounds r
                                 WHERE r.id = NEW.round_id)
     WHERE rowid = NEW.rowid;
END
"""

BACKFILL = """
UPDATE analytics_round_signals
   SET actual_multiplier = (SELECT r.crash_multiplier FROM crash_game_rounds r
                             WHERE r.id = analytics_round_signals.round_id)
 WHERE actual_multiplier IS NULL AND round_id IS NOT NULL
"""


def upgrade_postgresql() -> None:
    op.execute(PG_SIGNAL_ACTUAL_FUNCTION)
    op.execute(
        "CREATE TRIGGER trg_signals_actual_multiplier BEFORE INSERT ON analytics_round_signals "
        "FOR EACH ROW EXECUTE FUNCTION crashdb_signal_actual_multiplier()"
    )
    op.execute(BACKFILL)


def downgrade_postgresql() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_signals_actual_multiplier ON analytics_round_signals")
    op.execute("DROP FUNCTION IF EXISTS crashdb_signal_actual_multiplier()")


def upgrade_sqlite() -> None:
    op.execute(SQLITE_SIGNAL_ACTUAL_TRIGGER)
    op.execute(BACKFILL)


def downgrade_sqlite() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_signals_actual_multiplier")
