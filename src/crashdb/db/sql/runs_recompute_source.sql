(SELECT c.*
   FROM crash_game_rounds AS c
   JOIN run_summaries AS d
     ON d.bot_id = c.bot_id AND d.session_id = c.session_id
    AND d.strategy_name = coalesce(c.strategy_name, '') AND d.game_name = c.game_name
    AND d.platform_code = coalesce(c.platform_code, '')
  WHERE d.dirty{part}) AS rounds_to_fold
