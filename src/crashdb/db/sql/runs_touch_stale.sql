-- A bulk statement only marks its runs stale (created if need be, and locked in key order):
-- they are folded right after its transaction commits (crashdb.db.folds.fold_pending).
INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code,
                                stale)
SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
       coalesce(platform_code, ''), true
  FROM {rows} AS n
 WHERE true
 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
    DO UPDATE SET stale = true
