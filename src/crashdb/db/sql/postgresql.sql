-- Database-side objects of crashdb on PostgreSQL (rendered by crashdb.db.folds: {placeholders}
-- are the shared statements of this folder). Statements are separated by blank lines.

CREATE FUNCTION crashdb_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

{updated_at_triggers}

-- A signal's actual_multiplier is filled from its round's crash point when the signal is
-- inserted without one, so that judging signals needs no join with the rounds.
CREATE FUNCTION crashdb_signal_actual_multiplier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actual_multiplier IS NULL AND NEW.round_id IS NOT NULL THEN
        SELECT r.crash_multiplier INTO NEW.actual_multiplier
          FROM crash_game_rounds r WHERE r.id = NEW.round_id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_signals_actual_multiplier BEFORE INSERT ON analytics_round_signals
FOR EACH ROW EXECUTE FUNCTION crashdb_signal_actual_multiplier();

-- The summaries of crash_game_rounds (crashdb.db.summaries), kept by each statement that
-- changes the rounds, over its transition tables. Sessions are locked first, in key order
-- (as crashdb's write path locks them before its first statement), then run summaries, then
-- game rounds: concurrent statements cannot deadlock on each other.
CREATE FUNCTION crashdb_rounds_after_insert() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
BEGIN
    PERFORM 1
       FROM session_logs s
       JOIN (SELECT DISTINCT bot_id, session_id FROM new_rounds) k
         ON s.bot_id = k.bot_id AND s.session_id = k.session_id
      ORDER BY s.bot_id, s.session_id
        FOR NO KEY UPDATE OF s;
    IF (SELECT count(*) FROM (SELECT 1 FROM new_rounds LIMIT {bulk_rows}) AS n) < {bulk_rows} THEN
    {after_insert_small};
    ELSE
    {after_insert_bulk};
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_rounds_after_delete() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
BEGIN
    PERFORM 1
       FROM session_logs s
       JOIN (SELECT DISTINCT bot_id, session_id FROM old_rounds) k
         ON s.bot_id = k.bot_id AND s.session_id = k.session_id
      ORDER BY s.bot_id, s.session_id
        FOR NO KEY UPDATE OF s;
{after_delete};
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_rounds_after_update() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
BEGIN
    PERFORM 1
       FROM session_logs s
       JOIN (SELECT bot_id, session_id FROM old_rounds
             UNION SELECT bot_id, session_id FROM new_rounds) k
         ON s.bot_id = k.bot_id AND s.session_id = k.session_id
      ORDER BY s.bot_id, s.session_id
        FOR NO KEY UPDATE OF s;
{after_update};
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_rounds_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE run_summaries, game_round_summaries;
    UPDATE session_logs
       SET total_rounds = 0, total_wins = 0, total_losses = 0, total_profit = 0,
           last_round_number = NULL
     WHERE total_rounds <> 0 OR last_round_number IS NOT NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_summaries_insert AFTER INSERT ON crash_game_rounds
REFERENCING NEW TABLE AS new_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_after_insert();

CREATE TRIGGER trg_crash_rounds_summaries_delete AFTER DELETE ON crash_game_rounds
REFERENCING OLD TABLE AS old_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_after_delete();

CREATE TRIGGER trg_crash_rounds_summaries_update AFTER UPDATE ON crash_game_rounds
REFERENCING OLD TABLE AS old_rounds NEW TABLE AS new_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_after_update();

CREATE TRIGGER trg_crash_rounds_summaries_truncate AFTER TRUNCATE ON crash_game_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_truncate();

{daily_view};
