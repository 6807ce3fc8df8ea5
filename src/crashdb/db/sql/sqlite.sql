-- Database-side objects of crashdb on SQLite (rendered by crashdb.db.folds: {placeholders}
-- are the shared statements of this folder). Statements are separated by blank lines.
-- SQLite has only row-level triggers: inserted rounds are folded into the summaries when
-- their transaction commits (crashdb.db.folds); deletes and updates only mark what they
-- touched dirty here, and the same fold recomputes it.

{updated_at_triggers}

CREATE TRIGGER trg_signals_actual_multiplier AFTER INSERT ON analytics_round_signals
WHEN NEW.actual_multiplier IS NULL AND NEW.round_id IS NOT NULL
BEGIN
    UPDATE analytics_round_signals
       SET actual_multiplier = (SELECT r.crash_multiplier FROM crash_game_rounds r
                                 WHERE r.id = NEW.round_id)
     WHERE rowid = NEW.rowid;
END;

INSERT INTO summary_fold_state (id, folded_rowid, dirty) VALUES (1, 0, false);

CREATE TRIGGER trg_crash_rounds_summaries_delete AFTER DELETE ON crash_game_rounds
BEGIN
{mark_old};
    -- A new round takes the largest rowid + 1: when the largest goes, the fold must not
    -- take its successor for folded.
    UPDATE summary_fold_state
       SET dirty = true,
           folded_rowid = min(folded_rowid,
                              (SELECT coalesce(max(rowid), 0) FROM crash_game_rounds));
END;

CREATE TRIGGER trg_crash_rounds_summaries_update
AFTER UPDATE OF {summary_columns} ON crash_game_rounds
BEGIN
{mark_old};
{mark_new};
    UPDATE summary_fold_state SET dirty = true;
END;

{daily_view};
