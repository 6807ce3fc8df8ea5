-- Runs touched by the rows in {rows} are extended by them (their summary is the seed); dirty
-- runs are recomputed from all their rounds. The results replace the summaries.
INSERT INTO run_summaries AS r ({columns}, dirty)
SELECT f.*, false
  FROM (
{run_fold}
       ) AS f
 WHERE true
    ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
    DO UPDATE SET {set_columns}, dirty = false
