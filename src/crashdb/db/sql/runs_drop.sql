-- Dirty runs the fold did not recreate have no rounds left.
DELETE FROM run_summaries WHERE dirty{part}
