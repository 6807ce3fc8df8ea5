-- crashdb database objects on sqlite, rendered by crashdb.db.folds from the
-- definitions in crashdb/db/sql. Statements are separated by blank lines.

CREATE TRIGGER trg_bot_vm_registration_updated_at AFTER UPDATE ON bot_vm_registration
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE bot_vm_registration SET updated_at = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER trg_game_platform_config_updated_at AFTER UPDATE ON game_platform_config
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE game_platform_config SET updated_at = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER trg_session_logs_updated_at AFTER UPDATE ON session_logs
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE session_logs SET updated_at = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER trg_crash_game_rounds_updated_at AFTER UPDATE ON crash_game_rounds
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE crash_game_rounds SET updated_at = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER trg_analytics_round_signals_updated_at AFTER UPDATE ON analytics_round_signals
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE analytics_round_signals SET updated_at = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE rowid = NEW.rowid;
END;

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
    INSERT INTO run_summaries (bot_id, session_id, strategy_name, game_name, platform_code,
                                    dirty)
    SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
           coalesce(platform_code, ''), true
      FROM (SELECT OLD.bot_id AS bot_id, OLD.session_id AS session_id, OLD.strategy_name AS strategy_name, OLD.game_name AS game_name, OLD.platform_code AS platform_code, OLD.round_external_id AS round_external_id, OLD.round_number AS round_number, OLD.bet_slot AS bet_slot, OLD.round_start_timestamp AS round_start_timestamp, OLD.round_end_timestamp AS round_end_timestamp, OLD.round_outcome AS round_outcome, OLD.profit_loss AS profit_loss, OLD.stake_value AS stake_value, OLD.crash_multiplier AS crash_multiplier, OLD.running_balance_before AS running_balance_before, OLD.running_balance_after AS running_balance_after, OLD.is_valid AS is_valid) AS n
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
        DO UPDATE SET dirty = true;
    INSERT INTO game_round_summaries (game_name, platform_code, round_external_id,
                                           crash_multiplier, crash_multiplier_max,
                                           round_start_timestamp, round_number, reports, dirty)
    SELECT game_name, platform_code, round_external_id, min(crash_multiplier),
           min(crash_multiplier), min(round_start_timestamp), min(round_number), 0, true
      FROM (SELECT OLD.bot_id AS bot_id, OLD.session_id AS session_id, OLD.strategy_name AS strategy_name, OLD.game_name AS game_name, OLD.platform_code AS platform_code, OLD.round_external_id AS round_external_id, OLD.round_number AS round_number, OLD.bet_slot AS bet_slot, OLD.round_start_timestamp AS round_start_timestamp, OLD.round_end_timestamp AS round_end_timestamp, OLD.round_outcome AS round_outcome, OLD.profit_loss AS profit_loss, OLD.stake_value AS stake_value, OLD.crash_multiplier AS crash_multiplier, OLD.running_balance_before AS running_balance_before, OLD.running_balance_after AS running_balance_after, OLD.is_valid AS is_valid) AS n
     WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
       AND crash_multiplier IS NOT NULL AND is_valid
     GROUP BY game_name, platform_code, round_external_id
     ORDER BY 1, 2, 3
        ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET dirty = true;
    -- A new round takes the largest rowid + 1: when the largest goes, the fold must not
    -- take its successor for folded.
    UPDATE summary_fold_state
       SET dirty = true,
           folded_rowid = min(folded_rowid,
                              (SELECT coalesce(max(rowid), 0) FROM crash_game_rounds));
END;

CREATE TRIGGER trg_crash_rounds_summaries_update
AFTER UPDATE OF bot_id, session_id, strategy_name, game_name, platform_code, round_external_id, round_number, bet_slot, round_start_timestamp, round_end_timestamp, round_outcome, profit_loss, stake_value, crash_multiplier, running_balance_before, running_balance_after, is_valid ON crash_game_rounds
BEGIN
    INSERT INTO run_summaries (bot_id, session_id, strategy_name, game_name, platform_code,
                                    dirty)
    SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
           coalesce(platform_code, ''), true
      FROM (SELECT OLD.bot_id AS bot_id, OLD.session_id AS session_id, OLD.strategy_name AS strategy_name, OLD.game_name AS game_name, OLD.platform_code AS platform_code, OLD.round_external_id AS round_external_id, OLD.round_number AS round_number, OLD.bet_slot AS bet_slot, OLD.round_start_timestamp AS round_start_timestamp, OLD.round_end_timestamp AS round_end_timestamp, OLD.round_outcome AS round_outcome, OLD.profit_loss AS profit_loss, OLD.stake_value AS stake_value, OLD.crash_multiplier AS crash_multiplier, OLD.running_balance_before AS running_balance_before, OLD.running_balance_after AS running_balance_after, OLD.is_valid AS is_valid) AS n
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
        DO UPDATE SET dirty = true;
    INSERT INTO game_round_summaries (game_name, platform_code, round_external_id,
                                           crash_multiplier, crash_multiplier_max,
                                           round_start_timestamp, round_number, reports, dirty)
    SELECT game_name, platform_code, round_external_id, min(crash_multiplier),
           min(crash_multiplier), min(round_start_timestamp), min(round_number), 0, true
      FROM (SELECT OLD.bot_id AS bot_id, OLD.session_id AS session_id, OLD.strategy_name AS strategy_name, OLD.game_name AS game_name, OLD.platform_code AS platform_code, OLD.round_external_id AS round_external_id, OLD.round_number AS round_number, OLD.bet_slot AS bet_slot, OLD.round_start_timestamp AS round_start_timestamp, OLD.round_end_timestamp AS round_end_timestamp, OLD.round_outcome AS round_outcome, OLD.profit_loss AS profit_loss, OLD.stake_value AS stake_value, OLD.crash_multiplier AS crash_multiplier, OLD.running_balance_before AS running_balance_before, OLD.running_balance_after AS running_balance_after, OLD.is_valid AS is_valid) AS n
     WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
       AND crash_multiplier IS NOT NULL AND is_valid
     GROUP BY game_name, platform_code, round_external_id
     ORDER BY 1, 2, 3
        ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET dirty = true;
    INSERT INTO run_summaries (bot_id, session_id, strategy_name, game_name, platform_code,
                                    dirty)
    SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
           coalesce(platform_code, ''), true
      FROM (SELECT NEW.bot_id AS bot_id, NEW.session_id AS session_id, NEW.strategy_name AS strategy_name, NEW.game_name AS game_name, NEW.platform_code AS platform_code, NEW.round_external_id AS round_external_id, NEW.round_number AS round_number, NEW.bet_slot AS bet_slot, NEW.round_start_timestamp AS round_start_timestamp, NEW.round_end_timestamp AS round_end_timestamp, NEW.round_outcome AS round_outcome, NEW.profit_loss AS profit_loss, NEW.stake_value AS stake_value, NEW.crash_multiplier AS crash_multiplier, NEW.running_balance_before AS running_balance_before, NEW.running_balance_after AS running_balance_after, NEW.is_valid AS is_valid) AS n
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
        DO UPDATE SET dirty = true;
    INSERT INTO game_round_summaries (game_name, platform_code, round_external_id,
                                           crash_multiplier, crash_multiplier_max,
                                           round_start_timestamp, round_number, reports, dirty)
    SELECT game_name, platform_code, round_external_id, min(crash_multiplier),
           min(crash_multiplier), min(round_start_timestamp), min(round_number), 0, true
      FROM (SELECT NEW.bot_id AS bot_id, NEW.session_id AS session_id, NEW.strategy_name AS strategy_name, NEW.game_name AS game_name, NEW.platform_code AS platform_code, NEW.round_external_id AS round_external_id, NEW.round_number AS round_number, NEW.bet_slot AS bet_slot, NEW.round_start_timestamp AS round_start_timestamp, NEW.round_end_timestamp AS round_end_timestamp, NEW.round_outcome AS round_outcome, NEW.profit_loss AS profit_loss, NEW.stake_value AS stake_value, NEW.crash_multiplier AS crash_multiplier, NEW.running_balance_before AS running_balance_before, NEW.running_balance_after AS running_balance_after, NEW.is_valid AS is_valid) AS n
     WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
       AND crash_multiplier IS NOT NULL AND is_valid
     GROUP BY game_name, platform_code, round_external_id
     ORDER BY 1, 2, 3
        ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET dirty = true;
    UPDATE summary_fold_state SET dirty = true;
END;

CREATE VIEW mv_bot_daily_stats AS
SELECT bot_id,
       game_name,
       date(round_start_timestamp) AS day,
       count(*) AS rounds,
       sum(CASE WHEN round_outcome = 'WIN' THEN 1 ELSE 0 END) AS wins,
       sum(CASE WHEN round_outcome = 'LOSS' THEN 1 ELSE 0 END) AS losses,
       sum(stake_value) AS total_staked,
       sum(profit_loss) AS total_profit,
       avg(crash_multiplier) AS avg_crash_multiplier,
       max(crash_multiplier) AS max_crash_multiplier,
       min(running_balance_after) AS min_balance,
       max(running_balance_after) AS max_balance
  FROM crash_game_rounds
 GROUP BY bot_id, game_name, date(round_start_timestamp);
