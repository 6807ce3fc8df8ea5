-- The runs of the rows in {rows} (deleted or updated rounds) are marked dirty, created empty
-- if need be: the fold recomputes them from all their rounds.
INSERT INTO run_summaries (bot_id, session_id, strategy_name, game_name, platform_code,
                                dirty)
SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
       coalesce(platform_code, ''), true
  FROM {rows} AS n
 WHERE true
 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
    DO UPDATE SET dirty = true
