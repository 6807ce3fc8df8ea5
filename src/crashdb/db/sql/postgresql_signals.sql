-- Revision 0002 on PostgreSQL: the signal summaries (crashdb.db.summaries.SignalSummary),
-- kept by statement-level triggers over the transition tables of analytics_round_signals.
-- Rendered by crashdb.db.folds; statements are separated by blank lines.

-- Signals stored before this revision take their round's crash point and game where they
-- lack them (what the insert triggers do from now on).
{backfill_round_values};

CREATE FUNCTION crashdb_signals_round_game() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.game_name INTO NEW.game_name FROM crash_game_rounds r WHERE r.id = NEW.round_id;
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_signals_round_game BEFORE INSERT ON analytics_round_signals
FOR EACH ROW WHEN (NEW.game_name IS NULL AND NEW.round_id IS NOT NULL)
EXECUTE FUNCTION crashdb_signals_round_game();

CREATE FUNCTION crashdb_signals_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {add_new};
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_insert AFTER INSERT ON analytics_round_signals
REFERENCING NEW TABLE AS new_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_insert();

CREATE FUNCTION crashdb_signals_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {take_old};
    {drop_empty};
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_delete AFTER DELETE ON analytics_round_signals
REFERENCING OLD TABLE AS old_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_delete();

CREATE FUNCTION crashdb_signals_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {take_old};
    {add_new};
    {drop_empty};
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_update AFTER UPDATE ON analytics_round_signals
REFERENCING OLD TABLE AS old_signals NEW TABLE AS new_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_update();

CREATE FUNCTION crashdb_signals_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM signal_summaries;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_truncate AFTER TRUNCATE ON analytics_round_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_truncate();

-- A round that gets a crash point or a game passes them on to its signals that lack them.
CREATE FUNCTION crashdb_rounds_signal_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE analytics_round_signals s
       SET actual_multiplier = coalesce(s.actual_multiplier, n.crash_multiplier),
           game_name = coalesce(s.game_name, n.game_name)
      FROM new_rounds n
     WHERE s.round_id = n.id
       AND ((s.actual_multiplier IS NULL AND n.crash_multiplier IS NOT NULL)
            OR (s.game_name IS NULL AND n.game_name IS NOT NULL));
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_signal_values AFTER UPDATE ON crash_game_rounds
REFERENCING NEW TABLE AS new_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_signal_values();

-- The signals stored before this revision.
{add_all};
