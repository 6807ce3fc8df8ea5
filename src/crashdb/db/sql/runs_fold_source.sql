(SELECT n.*
   FROM {rows} AS n
   JOIN run_summaries AS d
     ON d.bot_id = n.bot_id AND d.session_id = n.session_id
    AND d.strategy_name = coalesce(n.strategy_name, '') AND d.game_name = n.game_name
    AND d.platform_code = coalesce(n.platform_code, '')
  WHERE NOT d.dirty AND NOT d.stale) AS rounds_to_fold
