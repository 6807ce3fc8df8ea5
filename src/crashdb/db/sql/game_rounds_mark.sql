-- The game rounds of the reports in {rows} (deleted or updated rounds) are marked dirty,
-- created empty if need be: the fold recomputes them from all their reports.
INSERT INTO game_round_summaries (game_name, platform_code, round_external_id,
                                       crash_multiplier, crash_multiplier_max,
                                       round_start_timestamp, round_number, reports, dirty)
SELECT game_name, platform_code, round_external_id, min(crash_multiplier),
       min(crash_multiplier), min(round_start_timestamp), min(round_number), 0, true
  FROM {rows} AS n
 WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
   AND crash_multiplier IS NOT NULL AND is_valid
 GROUP BY game_name, platform_code, round_external_id
 ORDER BY 1, 2, 3
    ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET dirty = true
