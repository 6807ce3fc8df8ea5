-- crashdb database objects on sqlite, rendered by crashdb.db.folds from the
-- definitions in crashdb/db/sql. Statements are separated by blank lines.

UPDATE analytics_round_signals
   SET actual_multiplier = coalesce(actual_multiplier,
                                    (SELECT r.crash_multiplier FROM crash_game_rounds r
                                      WHERE r.id = analytics_round_signals.round_id)),
       game_name = coalesce(game_name,
                            (SELECT r.game_name FROM crash_game_rounds r
                              WHERE r.id = analytics_round_signals.round_id))
 WHERE round_id IS NOT NULL AND (actual_multiplier IS NULL OR game_name IS NULL);

CREATE TRIGGER trg_signals_round_game AFTER INSERT ON analytics_round_signals
WHEN NEW.game_name IS NULL AND NEW.round_id IS NOT NULL
BEGIN
    UPDATE analytics_round_signals
       SET game_name = (SELECT r.game_name FROM crash_game_rounds r WHERE r.id = NEW.round_id)
     WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER trg_signals_summaries_insert AFTER INSERT ON analytics_round_signals
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
                           confidence_score AS units
                      FROM (SELECT NEW.bot_id AS bot_id, NEW.signal_type AS signal_type, NEW.game_name AS game_name, NEW.target_multiplier AS target_multiplier, NEW.confidence_score AS confidence_score, NEW.actual_multiplier AS actual_multiplier, NEW.signal_correctness AS signal_correctness) AS s
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
END;

CREATE TRIGGER trg_signals_summaries_delete AFTER DELETE ON analytics_round_signals
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
                           confidence_score AS units
                      FROM (SELECT OLD.bot_id AS bot_id, OLD.signal_type AS signal_type, OLD.game_name AS game_name, OLD.target_multiplier AS target_multiplier, OLD.confidence_score AS confidence_score, OLD.actual_multiplier AS actual_multiplier, OLD.signal_correctness AS signal_correctness) AS s
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
END;

CREATE TRIGGER trg_signals_summaries_update
AFTER UPDATE OF bot_id, signal_type, game_name, target_multiplier, confidence_score, actual_multiplier, signal_correctness ON analytics_round_signals
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
                           confidence_score AS units
                      FROM (SELECT OLD.bot_id AS bot_id, OLD.signal_type AS signal_type, OLD.game_name AS game_name, OLD.target_multiplier AS target_multiplier, OLD.confidence_score AS confidence_score, OLD.actual_multiplier AS actual_multiplier, OLD.signal_correctness AS signal_correctness) AS s
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
                           confidence_score AS units
                      FROM (SELECT NEW.bot_id AS bot_id, NEW.signal_type AS signal_type, NEW.game_name AS game_name, NEW.target_multiplier AS target_multiplier, NEW.confidence_score AS confidence_score, NEW.actual_multiplier AS actual_multiplier, NEW.signal_correctness AS signal_correctness) AS s
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
END;

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
                       confidence_score AS units
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
