-- A run that receives a round ordered at or before its last summarised one cannot be
-- extended: it is marked dirty and recomputed from all its rounds.
UPDATE run_summaries
   SET dirty = true
  FROM (SELECT bot_id, session_id, coalesce(strategy_name, '') AS strategy_name, game_name,
               coalesce(platform_code, '') AS platform_code, min(round_number) AS first_round
          FROM {rows} AS n0
         GROUP BY bot_id, session_id, coalesce(strategy_name, ''), game_name,
                  coalesce(platform_code, '')) AS m
 WHERE run_summaries.bot_id = m.bot_id AND run_summaries.session_id = m.session_id
   AND run_summaries.strategy_name = m.strategy_name
   AND run_summaries.game_name = m.game_name
   AND run_summaries.platform_code = m.platform_code
   AND run_summaries.rounds > 0
   AND NOT run_summaries.dirty
   AND (m.first_round < run_summaries.last_round
        OR (m.first_round = run_summaries.last_round
            AND EXISTS (SELECT 1 FROM {rows} AS n
                         WHERE n.bot_id = m.bot_id AND n.session_id = m.session_id
                           AND coalesce(n.strategy_name, '') = m.strategy_name
                           AND n.game_name = m.game_name
                           AND coalesce(n.platform_code, '') = m.platform_code
                           AND n.round_number = run_summaries.last_round
                           AND n.bet_slot <= run_summaries.last_slot)))
