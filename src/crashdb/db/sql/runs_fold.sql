-- Runs are extended by their new rows (their summary is the seed), or, dirty ones, recomputed
-- from all their rounds ({run_fold} says which). The results replace the summaries.
INSERT INTO run_summaries AS r ({columns}, dirty)
SELECT f.*, false
  FROM (
{run_fold}
       ) AS f
 WHERE true
    ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
    DO UPDATE SET {set_columns}, dirty = false
