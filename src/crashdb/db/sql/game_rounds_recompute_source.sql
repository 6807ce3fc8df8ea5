(SELECT c.*
   FROM crash_game_rounds AS c
   JOIN game_round_summaries AS d
     ON d.game_name = c.game_name AND d.platform_code = c.platform_code
    AND d.round_external_id = c.round_external_id
  WHERE d.dirty) AS reports_to_fold
