-- Dirty game rounds are recomputed from all their reports.
INSERT INTO game_round_summaries AS g (game_name, platform_code, round_external_id,
                                       crash_multiplier, crash_multiplier_max,
                                       round_start_timestamp, round_number, reports)
SELECT f.*
  FROM (
{game_round_fold}
       ) AS f
 WHERE true
    ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
       crash_multiplier = excluded.crash_multiplier,
       crash_multiplier_max = excluded.crash_multiplier_max,
       round_start_timestamp = excluded.round_start_timestamp,
       round_number = excluded.round_number,
       reports = excluded.reports,
       dirty = false
