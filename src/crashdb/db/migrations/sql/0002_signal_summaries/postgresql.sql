-- crashdb database objects on postgresql, rendered by crashdb.db.folds from the
-- definitions in crashdb/db/sql. Statements are separated by blank lines.

UPDATE analytics_round_signals
   SET actual_multiplier = coalesce(actual_multiplier,
                                    (SELECT r.crash_multiplier FROM crash_game_rounds r
                                      WHERE r.id = analytics_round_signals.round_id)),
       game_name = coalesce(game_name,
                            (SELECT r.game_name FROM crash_game_rounds r
                              WHERE r.id = analytics_round_signals.round_id))
 WHERE round_id IS NOT NULL AND (actual_multiplier IS NULL OR game_name IS NULL);

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
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           count(*) AS signals,
           sum(resolved) AS resolved,
           sum(hit) AS hits,
           sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM new_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
           ) AS c
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, signal_type, game_name, target_multiplier, confidence_bin) DO UPDATE SET
           signals = signal_summaries.signals + excluded.signals,
           resolved = signal_summaries.resolved + excluded.resolved,
           hits = signal_summaries.hits + excluded.hits,
           with_confidence = signal_summaries.with_confidence + excluded.with_confidence,
           hits_with_confidence = signal_summaries.hits_with_confidence + excluded.hits_with_confidence,
           confidence_units = signal_summaries.confidence_units + excluded.confidence_units,
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_insert AFTER INSERT ON analytics_round_signals
REFERENCING NEW TABLE AS new_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_insert();

CREATE FUNCTION crashdb_signals_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           -count(*) AS signals,
           -sum(resolved) AS resolved,
           -sum(hit) AS hits,
           -sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           -sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM old_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
           ) AS c
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, signal_type, game_name, target_multiplier, confidence_bin) DO UPDATE SET
           signals = signal_summaries.signals + excluded.signals,
           resolved = signal_summaries.resolved + excluded.resolved,
           hits = signal_summaries.hits + excluded.hits,
           with_confidence = signal_summaries.with_confidence + excluded.with_confidence,
           hits_with_confidence = signal_summaries.hits_with_confidence + excluded.hits_with_confidence,
           confidence_units = signal_summaries.confidence_units + excluded.confidence_units,
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    DELETE FROM signal_summaries WHERE signals = 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_delete AFTER DELETE ON analytics_round_signals
REFERENCING OLD TABLE AS old_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_delete();

CREATE FUNCTION crashdb_signals_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           -count(*) AS signals,
           -sum(resolved) AS resolved,
           -sum(hit) AS hits,
           -sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           -sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM old_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
           ) AS c
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, signal_type, game_name, target_multiplier, confidence_bin) DO UPDATE SET
           signals = signal_summaries.signals + excluded.signals,
           resolved = signal_summaries.resolved + excluded.resolved,
           hits = signal_summaries.hits + excluded.hits,
           with_confidence = signal_summaries.with_confidence + excluded.with_confidence,
           hits_with_confidence = signal_summaries.hits_with_confidence + excluded.hits_with_confidence,
           confidence_units = signal_summaries.confidence_units + excluded.confidence_units,
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           count(*) AS signals,
           sum(resolved) AS resolved,
           sum(hit) AS hits,
           sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM new_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
           ) AS c
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, signal_type, game_name, target_multiplier, confidence_bin) DO UPDATE SET
           signals = signal_summaries.signals + excluded.signals,
           resolved = signal_summaries.resolved + excluded.resolved,
           hits = signal_summaries.hits + excluded.hits,
           with_confidence = signal_summaries.with_confidence + excluded.with_confidence,
           hits_with_confidence = signal_summaries.hits_with_confidence + excluded.hits_with_confidence,
           confidence_units = signal_summaries.confidence_units + excluded.confidence_units,
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    DELETE FROM signal_summaries WHERE signals = 0;
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

INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                              confidence_bin, signals, resolved, hits, with_confidence,
                              hits_with_confidence, confidence_units, brier_units)
SELECT c.*
  FROM (
SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
       count(*) AS signals,
       sum(resolved) AS resolved,
       sum(hit) AS hits,
       sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
       sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
       sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
       sum(CASE WHEN confidence_bin >= 0
                      THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
           AS brier_units
  FROM (
        SELECT coalesce(bot_id, '') AS bot_id, signal_type,
               coalesce(game_name, '') AS game_name,
               coalesce(target_multiplier, 0) AS target_multiplier,
               resolved, units,
               CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
               CASE WHEN resolved = 0 OR units IS NULL THEN -1
                    WHEN units >= 9000 THEN 9
                    WHEN units < 0 THEN 0
                    ELSE units / 1000 END AS confidence_bin
          FROM (
                SELECT s.*,
                       CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                              OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                            THEN 1 ELSE 0 END AS resolved,
                       CASE WHEN target_multiplier IS NULL
                            THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                            WHEN actual_multiplier >= target_multiplier THEN 1
                            ELSE 0 END AS hit,
                       CAST(confidence_score * 10000 AS BIGINT) AS units
                  FROM analytics_round_signals AS s
               ) AS judged
       ) AS binned
 GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
       ) AS c
 WHERE true
 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (bot_id, signal_type, game_name, target_multiplier, confidence_bin) DO UPDATE SET
       signals = signal_summaries.signals + excluded.signals,
       resolved = signal_summaries.resolved + excluded.resolved,
       hits = signal_summaries.hits + excluded.hits,
       with_confidence = signal_summaries.with_confidence + excluded.with_confidence,
       hits_with_confidence = signal_summaries.hits_with_confidence + excluded.hits_with_confidence,
       confidence_units = signal_summaries.confidence_units + excluded.confidence_units,
       brier_units = signal_summaries.brier_units + excluded.brier_units;
