SELECT * FROM run_summaries AS d WHERE d.stale AND NOT d.dirty AND d.rounds > 0{part}
