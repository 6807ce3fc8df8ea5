SELECT d.*
  FROM run_summaries AS d
  JOIN (SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, '') AS strategy_name,
               game_name, coalesce(platform_code, '') AS platform_code
          FROM {rows} AS n0) AS k
    ON d.bot_id = k.bot_id AND d.session_id = k.session_id
   AND d.strategy_name = k.strategy_name AND d.game_name = k.game_name
   AND d.platform_code = k.platform_code
 WHERE NOT d.dirty AND NOT d.stale AND d.rounds > 0
