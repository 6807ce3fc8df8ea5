-- Dirty game rounds the recomputation did not refresh have no valid report left.
DELETE FROM game_round_summaries WHERE dirty
