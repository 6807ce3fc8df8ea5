-- Revision 0002 on SQLite: the signal summaries (crashdb.db.summaries.SignalSummary), kept
-- by row-level triggers on analytics_round_signals. Rendered by crashdb.db.folds;
-- statements are separated by blank lines.

-- Signals stored before this revision take their round's crash point and game where they
-- lack them (what the insert triggers do from now on).
{backfill_round_values};

CREATE TRIGGER trg_signals_round_game AFTER INSERT ON analytics_round_signals
WHEN NEW.game_name IS NULL AND NEW.round_id IS NOT NULL
BEGIN
    UPDATE analytics_round_signals
       SET game_name = (SELECT r.game_name FROM crash_game_rounds r WHERE r.id = NEW.round_id)
     WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER trg_signals_summaries_insert AFTER INSERT ON analytics_round_signals
BEGIN
    {add_new};
END;

CREATE TRIGGER trg_signals_summaries_delete AFTER DELETE ON analytics_round_signals
BEGIN
    {take_old};
    {drop_empty};
END;

CREATE TRIGGER trg_signals_summaries_update
AFTER UPDATE OF {judged_columns} ON analytics_round_signals
BEGIN
    {take_old};
    {add_new};
    {drop_empty};
END;

-- A round that gets a crash point or a game passes them on to its signals that lack them.
CREATE TRIGGER trg_crash_rounds_signal_values
AFTER UPDATE OF crash_multiplier, game_name ON crash_game_rounds
BEGIN
    UPDATE analytics_round_signals
       SET actual_multiplier = coalesce(actual_multiplier, NEW.crash_multiplier),
           game_name = coalesce(game_name, NEW.game_name)
     WHERE round_id = NEW.id
       AND ((actual_multiplier IS NULL AND NEW.crash_multiplier IS NOT NULL)
            OR (game_name IS NULL AND NEW.game_name IS NOT NULL));
END;

-- The signals stored before this revision.
{add_all};
