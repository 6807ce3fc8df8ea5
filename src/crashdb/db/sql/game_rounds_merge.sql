-- The reports in {rows} (new rounds) are merged into their game rounds' summaries.
INSERT INTO game_round_summaries AS g (game_name, platform_code, round_external_id,
                                       crash_multiplier, crash_multiplier_max,
                                       round_start_timestamp, round_number, reports)
SELECT f.*
  FROM (
{game_round_fold}
       ) AS f
 WHERE true
 ORDER BY 1, 2, 3
    ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
       crash_multiplier = CASE WHEN excluded.crash_multiplier < g.crash_multiplier
                               THEN excluded.crash_multiplier ELSE g.crash_multiplier END,
       crash_multiplier_max = CASE WHEN excluded.crash_multiplier_max > g.crash_multiplier_max
                                   THEN excluded.crash_multiplier_max
                                   ELSE g.crash_multiplier_max END,
       round_start_timestamp = CASE WHEN excluded.round_start_timestamp < g.round_start_timestamp
                                    THEN excluded.round_start_timestamp
                                    ELSE g.round_start_timestamp END,
       round_number = CASE WHEN excluded.round_number < g.round_number
                           THEN excluded.round_number ELSE g.round_number END,
       reports = g.reports + excluded.reports
