-- The cells of the signals in {rows} added to (or, with sign -, taken from) signal_summaries,
-- in key order (concurrent writers lock cells in the same order); emptied cells are dropped.
INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                              confidence_bin, signals, resolved, hits, with_confidence,
                              hits_with_confidence, confidence_units, brier_units)
SELECT c.*
  FROM (
{signal_cells}
       ) AS c
 WHERE true
 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (bot_id, signal_type, game_name, target_multiplier, confidence_bin) DO UPDATE SET
       signals = signal_summaries.signals + excluded.signals,
       resolved = signal_summaries.resolved + excluded.resolved,
       hits = signal_summaries.hits + excluded.hits,
       with_confidence = signal_summaries.with_confidence + excluded.with_confidence,
       hits_with_confidence = signal_summaries.hits_with_confidence + excluded.hits_with_confidence,
       confidence_units = signal_summaries.confidence_units + excluded.confidence_units,
       brier_units = signal_summaries.brier_units + excluded.brier_units
