-- Every run the rows of {rows} belong to gets a summary (empty until folded); on PostgreSQL
-- the touched summaries are also locked, in key order, so that concurrent statements fold one
-- after the other (each then reads the other's committed state).
INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code)
SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
       coalesce(platform_code, '')
  FROM {rows} AS n
 WHERE true
 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
    DO UPDATE SET dirty = r.dirty WHERE false
