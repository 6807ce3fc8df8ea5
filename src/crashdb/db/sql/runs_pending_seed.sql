SELECT * FROM run_summaries WHERE stale AND NOT dirty AND rounds > 0
