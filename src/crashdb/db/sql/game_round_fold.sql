-- Game rounds: one row per (game, platform, round_external_id), however many bots reported
-- it. The one definition of a game round's summary: the smallest and largest reported crash
-- point, the earliest start and round number, the number of reports, over the valid reports
-- that carry a crash point, a platform and an external id (other rounds cannot be matched
-- across bots). A SELECT over the reports in {source}, folded into the stored summaries
-- selected by {stored} (or none): the summary of a game round is the same whether its reports
-- are summarised at once or in parts.
SELECT game_name, platform_code, round_external_id,
       min(crash_multiplier) AS crash_multiplier,
       max(crash_multiplier_max) AS crash_multiplier_max,
       min(round_start_timestamp) AS round_start_timestamp,
       min(round_number) AS round_number,
       sum(reports) AS reports
  FROM (
        SELECT game_name, platform_code, round_external_id, crash_multiplier,
               crash_multiplier_max, round_start_timestamp, round_number, reports
          FROM game_round_summaries
         WHERE {stored}
        UNION ALL
        SELECT game_name, platform_code, round_external_id, crash_multiplier,
               crash_multiplier, round_start_timestamp, round_number, 1
          FROM {source}
         WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
           AND crash_multiplier IS NOT NULL AND is_valid
       ) AS reports
 GROUP BY game_name, platform_code, round_external_id
