-- Signal summaries: how the signals of {source} (rows shaped like analytics_round_signals)
-- add to the cells of signal_summaries, one row per (bot, signal type, game, target,
-- confidence bin). The one definition of how a signal is judged:
--   * resolved: it has a target and an actual multiplier (the round's crash point, copied
--     onto the signal), or no target and a stored signal_correctness;
--   * hit (counted when resolved): the actual multiplier reaches the target, or, without a
--     target, signal_correctness is true;
--   * confidence bin (when resolved with a confidence): 0..9 by tenths, 1.0 in bin 9;
--     confidences and squared errors are kept in exact units of 10^-4 and 10^-8.
-- {sign} is empty to add the signals, or - to take them away. NULL bots, games and targets
-- are keyed as '', '' and 0; a signal without a bin as -1.
SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
       {sign}count(*) AS signals,
       {sign}sum(resolved) AS resolved,
       {sign}sum(hit) AS hits,
       {sign}sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
       {sign}sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
       {sign}sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
       {sign}sum(CASE WHEN confidence_bin >= 0
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
                       {confidence_units} AS units
                  FROM {source} AS s
               ) AS judged
       ) AS binned
 GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
