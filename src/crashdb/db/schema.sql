-- crashdb schema for PostgreSQL, generated from the Alembic migrations.
-- Do not edit: regenerate with `crashdb schema > src/crashdb/db/schema.sql`.

BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001_initial

CREATE TABLE bot_vm_registration (
    id BIGSERIAL NOT NULL,
    bot_id VARCHAR(64) NOT NULL,
    bot_name VARCHAR(128),
    vm_name VARCHAR(128),
    vm_provider VARCHAR(32),
    region VARCHAR(32),
    session_id VARCHAR(128),
    strategy_name VARCHAR(64),
    game_name VARCHAR(32),
    platform_code VARCHAR(32),
    initial_balance NUMERIC(18, 4),
    base_stake NUMERIC(18, 4),
    max_stake NUMERIC(18, 4),
    is_active BOOLEAN DEFAULT true NOT NULL,
    auto_registered BOOLEAN DEFAULT false NOT NULL,
    metadata JSONB,
    last_seen_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_bot_vm_registration PRIMARY KEY (id),
    CONSTRAINT ck_bot_vm_registration_base_stake CHECK (base_stake IS NULL OR base_stake >= 0),
    CONSTRAINT ck_bot_vm_registration_initial_balance CHECK (initial_balance IS NULL OR initial_balance >= 0),
    CONSTRAINT ck_bot_vm_registration_max_stake CHECK (max_stake IS NULL OR max_stake >= 0),
    CONSTRAINT uq_bot_vm_registration_bot_id UNIQUE (bot_id)
);

COMMENT ON COLUMN bot_vm_registration.session_id IS 'the bot''s current session';

CREATE TABLE game_platform_config (
    id BIGSERIAL NOT NULL,
    game_name VARCHAR(32) NOT NULL,
    platform_code VARCHAR(32) NOT NULL,
    game_provider VARCHAR(128),
    display_name VARCHAR(128),
    rtp_percent NUMERIC(12, 4),
    min_multiplier NUMERIC(12, 2),
    max_multiplier NUMERIC(12, 2),
    min_stake NUMERIC(18, 4),
    max_stake NUMERIC(18, 4),
    currency VARCHAR(8),
    is_active BOOLEAN DEFAULT true NOT NULL,
    config JSONB,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_game_platform_config PRIMARY KEY (id),
    CONSTRAINT ck_game_platform_config_rtp_percent CHECK (rtp_percent IS NULL OR rtp_percent > 0 AND rtp_percent <= 100),
    CONSTRAINT uq_game_platform_config_game_name_platform_code UNIQUE (game_name, platform_code)
);

CREATE TABLE game_round_summaries (
    game_name VARCHAR(32) NOT NULL,
    platform_code VARCHAR(32) NOT NULL,
    round_external_id VARCHAR(128) NOT NULL,
    crash_multiplier NUMERIC(12, 2) NOT NULL,
    crash_multiplier_max NUMERIC(12, 2) NOT NULL,
    round_start_timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    round_number BIGINT NOT NULL,
    reports INTEGER NOT NULL,
    dirty BOOLEAN DEFAULT false NOT NULL,
    CONSTRAINT pk_game_round_summaries PRIMARY KEY (game_name, platform_code, round_external_id)
);

CREATE INDEX idx_game_round_summaries_recent ON game_round_summaries (game_name, round_start_timestamp);

CREATE INDEX idx_game_round_summaries_dirty ON game_round_summaries (game_name) WHERE dirty;

CREATE INDEX idx_game_round_summaries_stream ON game_round_summaries (game_name, platform_code, round_start_timestamp, round_number) INCLUDE (crash_multiplier, crash_multiplier_max, reports);

CREATE TABLE run_summaries (
    bot_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(128) NOT NULL,
    strategy_name VARCHAR(64) NOT NULL,
    game_name VARCHAR(32) NOT NULL,
    platform_code VARCHAR(32) NOT NULL,
    rounds BIGINT DEFAULT 0 NOT NULL,
    wins BIGINT DEFAULT 0 NOT NULL,
    losses BIGINT DEFAULT 0 NOT NULL,
    skips BIGINT DEFAULT 0 NOT NULL,
    errors BIGINT DEFAULT 0 NOT NULL,
    bets BIGINT DEFAULT 0 NOT NULL,
    total_staked NUMERIC DEFAULT 0 NOT NULL,
    total_profit NUMERIC DEFAULT 0 NOT NULL,
    sum_profit FLOAT(53) DEFAULT 0 NOT NULL,
    sum_profit_sq FLOAT(53) DEFAULT 0 NOT NULL,
    sum_stake FLOAT(53) DEFAULT 0 NOT NULL,
    sum_stake_sq FLOAT(53) DEFAULT 0 NOT NULL,
    sum_profit_stake FLOAT(53) DEFAULT 0 NOT NULL,
    sum_gain FLOAT(53) DEFAULT 0 NOT NULL,
    sum_gain_sq FLOAT(53) DEFAULT 0 NOT NULL,
    sum_return FLOAT(53) DEFAULT 0 NOT NULL,
    sum_return_sq FLOAT(53) DEFAULT 0 NOT NULL,
    crash_count BIGINT DEFAULT 0 NOT NULL,
    crash_sum NUMERIC,
    crash_min NUMERIC(12, 2),
    crash_max NUMERIC(12, 2),
    largest_win NUMERIC(18, 4),
    largest_loss NUMERIC(18, 4),
    first_ts TIMESTAMP WITH TIME ZONE,
    last_ts TIMESTAMP WITH TIME ZONE,
    last_end_ts TIMESTAMP WITH TIME ZONE,
    first_balance NUMERIC(18, 4),
    last_balance NUMERIC(18, 4),
    last_round BIGINT,
    last_slot SMALLINT,
    peak NUMERIC DEFAULT 0 NOT NULL,
    peak_round BIGINT,
    peak_ts TIMESTAMP WITH TIME ZONE,
    max_drawdown NUMERIC DEFAULT 0 NOT NULL,
    max_drawdown_pct FLOAT(53),
    drawdown_start_round BIGINT,
    drawdown_start_ts TIMESTAMP WITH TIME ZONE,
    drawdown_end_round BIGINT,
    drawdown_end_ts TIMESTAMP WITH TIME ZONE,
    win_run BIGINT DEFAULT 0 NOT NULL,
    loss_run BIGINT DEFAULT 0 NOT NULL,
    longest_win BIGINT DEFAULT 0 NOT NULL,
    longest_loss BIGINT DEFAULT 0 NOT NULL,
    dirty BOOLEAN DEFAULT false NOT NULL,
    stale BOOLEAN DEFAULT false NOT NULL,
    CONSTRAINT pk_run_summaries PRIMARY KEY (bot_id, session_id, strategy_name, game_name, platform_code)
);

CREATE INDEX idx_run_summaries_dirty ON run_summaries (bot_id) WHERE dirty;

CREATE INDEX idx_run_summaries_stale ON run_summaries (bot_id) WHERE stale;

CREATE INDEX idx_run_summaries_game ON run_summaries (game_name, platform_code);

CREATE INDEX idx_run_summaries_session ON run_summaries (session_id);

CREATE INDEX idx_run_summaries_strategy ON run_summaries (strategy_name);

CREATE TABLE summary_fold_state (
    id SERIAL NOT NULL,
    folded_rowid BIGINT DEFAULT 0 NOT NULL,
    dirty BOOLEAN DEFAULT false NOT NULL,
    CONSTRAINT pk_summary_fold_state PRIMARY KEY (id)
);

CREATE TABLE session_logs (
    id BIGSERIAL NOT NULL,
    bot_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(128) NOT NULL,
    game_name VARCHAR(32),
    platform_code VARCHAR(32),
    strategy_name VARCHAR(64),
    status VARCHAR(32) DEFAULT 'active' NOT NULL,
    start_timestamp TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    end_timestamp TIMESTAMP WITH TIME ZONE,
    initial_balance NUMERIC(18, 4),
    final_balance NUMERIC(18, 4),
    current_balance NUMERIC(18, 4),
    total_rounds INTEGER DEFAULT '0' NOT NULL,
    total_wins INTEGER DEFAULT '0' NOT NULL,
    total_losses INTEGER DEFAULT '0' NOT NULL,
    total_profit NUMERIC DEFAULT '0' NOT NULL,
    last_round_number BIGINT,
    notes TEXT,
    metadata JSONB,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_session_logs PRIMARY KEY (id),
    CONSTRAINT ck_session_logs_final_balance CHECK (final_balance IS NULL OR final_balance >= 0),
    CONSTRAINT ck_session_logs_initial_balance CHECK (initial_balance IS NULL OR initial_balance >= 0),
    CONSTRAINT fk_session_logs_bot_id_bot_vm_registration FOREIGN KEY(bot_id) REFERENCES bot_vm_registration (bot_id),
    CONSTRAINT uq_session_logs_bot_id_session_id UNIQUE (bot_id, session_id)
);

CREATE INDEX idx_session_logs_session ON session_logs (session_id);

CREATE TABLE crash_game_rounds (
    id UUID NOT NULL,
    bot_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(128) NOT NULL,
    vm_name VARCHAR(128),
    vm_provider VARCHAR(32),
    vm_region VARCHAR(32),
    bot_version VARCHAR(32),
    game_name VARCHAR(32) NOT NULL,
    game_provider VARCHAR(128),
    platform_code VARCHAR(32),
    round_external_id VARCHAR(128),
    currency VARCHAR(8),
    round_number BIGINT NOT NULL,
    bet_slot SMALLINT DEFAULT '1' NOT NULL,
    round_start_timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    round_end_timestamp TIMESTAMP WITH TIME ZONE,
    round_duration_ms INTEGER,
    stake_value NUMERIC(18, 4) NOT NULL,
    target_multiplier NUMERIC(12, 2),
    strategy_name VARCHAR(64),
    strategy_step INTEGER,
    base_stake NUMERIC(18, 4),
    auto_cashout BOOLEAN,
    is_simulated BOOLEAN DEFAULT false NOT NULL,
    crash_multiplier NUMERIC(12, 2),
    cashout_multiplier NUMERIC(12, 2),
    max_multiplier_seen NUMERIC(12, 2),
    previous_crash_multiplier NUMERIC(12, 2),
    profit_loss NUMERIC(18, 4) NOT NULL,
    payout_amount NUMERIC(18, 4),
    roi_percent NUMERIC(12, 4),
    running_balance_before NUMERIC(18, 4),
    running_balance_after NUMERIC(18, 4),
    session_profit NUMERIC(18, 4),
    fee_amount NUMERIC(18, 4),
    ocr_text VARCHAR(256),
    ocr_confidence NUMERIC(5, 4),
    ocr_engine VARCHAR(32),
    detection_method VARCHAR(32),
    detection_latency_ms INTEGER,
    screenshot_path VARCHAR(512),
    round_outcome VARCHAR(8) NOT NULL,
    error_type VARCHAR(64),
    error_description TEXT,
    retry_count SMALLINT DEFAULT '0' NOT NULL,
    is_valid BOOLEAN DEFAULT true NOT NULL,
    metadata JSONB,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_crash_game_rounds PRIMARY KEY (id),
    CONSTRAINT ck_crash_game_rounds_round_outcome CHECK (round_outcome IN ('WIN', 'LOSS', 'SKIP', 'ERROR')),
    CONSTRAINT ck_crash_game_rounds_bet_slot CHECK (bet_slot >= 1),
    CONSTRAINT ck_crash_game_rounds_cashout_multiplier CHECK (cashout_multiplier IS NULL OR cashout_multiplier >= 1.00),
    CONSTRAINT ck_crash_game_rounds_crash_multiplier CHECK (crash_multiplier IS NULL OR crash_multiplier >= 1.00),
    CONSTRAINT ck_crash_game_rounds_ocr_confidence CHECK (ocr_confidence IS NULL OR ocr_confidence >= 0 AND ocr_confidence <= 1),
    CONSTRAINT ck_crash_game_rounds_round_number CHECK (round_number >= 0),
    CONSTRAINT ck_crash_game_rounds_running_balance_after CHECK (running_balance_after IS NULL OR running_balance_after >= 0),
    CONSTRAINT ck_crash_game_rounds_running_balance_before CHECK (running_balance_before IS NULL OR running_balance_before >= 0),
    CONSTRAINT ck_crash_game_rounds_stake_value CHECK (stake_value >= 0),
    CONSTRAINT ck_crash_game_rounds_target_multiplier CHECK (target_multiplier IS NULL OR target_multiplier >= 1.00),
    CONSTRAINT fk_crash_game_rounds_session_session_logs FOREIGN KEY(bot_id, session_id) REFERENCES session_logs (bot_id, session_id),
    CONSTRAINT fk_crash_game_rounds_bot_id_bot_vm_registration FOREIGN KEY(bot_id) REFERENCES bot_vm_registration (bot_id),
    CONSTRAINT uq_crash_rounds_natural_key UNIQUE (bot_id, session_id, round_number, bet_slot)
);

CREATE INDEX idx_crash_rounds_bot_session ON crash_game_rounds (bot_id, session_id, round_number);

CREATE INDEX idx_crash_rounds_game_own ON crash_game_rounds (game_name, bot_id, session_id) INCLUDE (crash_multiplier, round_start_timestamp, round_number, is_valid) WHERE round_external_id IS NULL OR platform_code IS NULL;

CREATE INDEX idx_crash_rounds_game_platform ON crash_game_rounds (game_name, platform_code);

CREATE INDEX idx_crash_rounds_game_round ON crash_game_rounds (game_name, platform_code, round_external_id);

CREATE INDEX idx_crash_rounds_game_ts ON crash_game_rounds (game_name, round_start_timestamp);

CREATE INDEX idx_crash_rounds_metadata ON crash_game_rounds USING gin (metadata jsonb_path_ops);

CREATE INDEX idx_crash_rounds_strategy_outcome ON crash_game_rounds (strategy_name, round_outcome);

CREATE TABLE analytics_round_multipliers (
    id UUID NOT NULL,
    round_id UUID NOT NULL,
    round_number BIGINT,
    bot_id VARCHAR(64),
    session_id VARCHAR(128),
    game_name VARCHAR(32),
    platform_code VARCHAR(32),
    multiplier NUMERIC(12, 2) NOT NULL,
    multiplier_kind VARCHAR(16) NOT NULL,
    is_crash BOOLEAN DEFAULT false NOT NULL,
    is_cashout BOOLEAN DEFAULT false NOT NULL,
    is_max BOOLEAN DEFAULT false NOT NULL,
    ocr_confidence NUMERIC(5, 4),
    data_quality_score NUMERIC(5, 4),
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    date_bucket DATE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_analytics_round_multipliers PRIMARY KEY (id),
    CONSTRAINT ck_analytics_round_multipliers_data_quality_score CHECK (data_quality_score IS NULL OR data_quality_score >= 0 AND data_quality_score <= 1),
    CONSTRAINT ck_analytics_round_multipliers_multiplier CHECK (multiplier >= 1.00),
    CONSTRAINT ck_analytics_round_multipliers_ocr_confidence CHECK (ocr_confidence IS NULL OR ocr_confidence >= 0 AND ocr_confidence <= 1),
    CONSTRAINT fk_analytics_round_multipliers_round_id_crash_game_rounds FOREIGN KEY(round_id) REFERENCES crash_game_rounds (id),
    CONSTRAINT uq_analytics_round_multipliers_round_id_multiplier_kind UNIQUE (round_id, multiplier_kind)
);

COMMENT ON COLUMN analytics_round_multipliers.multiplier_kind IS 'crash|cashout|max|observed';

CREATE INDEX idx_analytics_multipliers_bot_game ON analytics_round_multipliers (bot_id, game_name);

CREATE INDEX idx_analytics_multipliers_round ON analytics_round_multipliers (round_id);

CREATE INDEX idx_analytics_multipliers_value ON analytics_round_multipliers (multiplier);

CREATE TABLE analytics_round_outcomes (
    id UUID NOT NULL,
    round_id UUID NOT NULL,
    round_number BIGINT,
    bot_id VARCHAR(64),
    session_id VARCHAR(128),
    game_name VARCHAR(32),
    platform_code VARCHAR(32),
    strategy_name VARCHAR(64),
    outcome VARCHAR(8) NOT NULL,
    profit_loss NUMERIC(18, 4) NOT NULL,
    roi_percent NUMERIC(12, 4),
    bet_amount NUMERIC(18, 4),
    winnings NUMERIC(18, 4),
    loss_amount NUMERIC(18, 4),
    target_multiplier NUMERIC(12, 2),
    actual_multiplier NUMERIC(12, 2),
    hit_target BOOLEAN,
    win_streak INTEGER,
    loss_streak INTEGER,
    outcome_category VARCHAR(32),
    duration_seconds NUMERIC(12, 4),
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    date_bucket DATE NOT NULL,
    hour_bucket SMALLINT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_analytics_round_outcomes PRIMARY KEY (id),
    CONSTRAINT ck_analytics_round_outcomes_outcome CHECK (outcome IN ('WIN', 'LOSS', 'SKIP', 'ERROR')),
    CONSTRAINT ck_analytics_round_outcomes_actual_multiplier CHECK (actual_multiplier IS NULL OR actual_multiplier >= 1.00),
    CONSTRAINT ck_analytics_round_outcomes_bet_amount CHECK (bet_amount IS NULL OR bet_amount >= 0),
    CONSTRAINT ck_analytics_round_outcomes_hour_bucket CHECK (hour_bucket >= 0 AND hour_bucket <= 23),
    CONSTRAINT ck_analytics_round_outcomes_target_multiplier CHECK (target_multiplier IS NULL OR target_multiplier >= 1.00),
    CONSTRAINT fk_analytics_round_outcomes_round_id_crash_game_rounds FOREIGN KEY(round_id) REFERENCES crash_game_rounds (id),
    CONSTRAINT uq_analytics_round_outcomes_round_id UNIQUE (round_id)
);

CREATE INDEX idx_analytics_outcomes_bot_game ON analytics_round_outcomes (bot_id, game_name);

CREATE INDEX idx_analytics_outcomes_outcome ON analytics_round_outcomes (outcome);

CREATE INDEX idx_analytics_outcomes_round ON analytics_round_outcomes (round_id);

CREATE INDEX idx_analytics_outcomes_strategy ON analytics_round_outcomes (strategy_name, outcome);

CREATE TABLE analytics_round_signals (
    id UUID NOT NULL,
    round_id UUID,
    round_number BIGINT,
    bot_id VARCHAR(64),
    session_id VARCHAR(128),
    game_name VARCHAR(32),
    platform_code VARCHAR(32),
    signal_type VARCHAR(64) NOT NULL,
    confidence_score NUMERIC(5, 4),
    signal_strength NUMERIC(5, 4),
    target_multiplier NUMERIC(12, 2),
    time_to_crash_ms INTEGER,
    volatility NUMERIC(12, 4),
    momentum NUMERIC(12, 4),
    pattern_match_type VARCHAR(64),
    similar_rounds INTEGER,
    feature_vector JSONB,
    actual_multiplier NUMERIC(12, 2),
    signal_correctness BOOLEAN,
    prediction_error NUMERIC(12, 4),
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    date_bucket DATE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_analytics_round_signals PRIMARY KEY (id),
    CONSTRAINT ck_analytics_round_signals_actual_multiplier CHECK (actual_multiplier IS NULL OR actual_multiplier >= 1.00),
    CONSTRAINT ck_analytics_round_signals_confidence_score CHECK (confidence_score IS NULL OR confidence_score >= 0 AND confidence_score <= 1),
    CONSTRAINT ck_analytics_round_signals_signal_strength CHECK (signal_strength IS NULL OR signal_strength >= 0 AND signal_strength <= 1),
    CONSTRAINT ck_analytics_round_signals_target_multiplier CHECK (target_multiplier IS NULL OR target_multiplier >= 1.00),
    CONSTRAINT fk_analytics_round_signals_round_id_crash_game_rounds FOREIGN KEY(round_id) REFERENCES crash_game_rounds (id),
    CONSTRAINT uq_analytics_round_signals_round_id_signal_type UNIQUE (round_id, signal_type)
);

CREATE INDEX idx_analytics_signals_bot_game ON analytics_round_signals (bot_id, game_name);

CREATE INDEX idx_analytics_signals_pattern ON analytics_round_signals (pattern_match_type);

CREATE INDEX idx_analytics_signals_round ON analytics_round_signals (round_id);

CREATE INDEX idx_analytics_signals_type ON analytics_round_signals (signal_type);

CREATE TABLE error_logs (
    round_id UUID,
    error_type VARCHAR(64) NOT NULL,
    error_message TEXT,
    error_trace TEXT,
    severity VARCHAR(32) DEFAULT 'error' NOT NULL,
    recovery_action VARCHAR(256),
    resolved BOOLEAN DEFAULT false NOT NULL,
    context JSONB,
    id UUID NOT NULL,
    bot_id VARCHAR(64),
    session_id VARCHAR(128),
    round_number BIGINT,
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_error_logs PRIMARY KEY (id),
    CONSTRAINT fk_error_logs_round_id_crash_game_rounds FOREIGN KEY(round_id) REFERENCES crash_game_rounds (id)
);

CREATE INDEX idx_error_logs_type ON error_logs (error_type);

CREATE TABLE ocr_validation_logs (
    round_id UUID,
    raw_ocr_text VARCHAR(256),
    cleaned_value NUMERIC(12, 2),
    expected_value NUMERIC(12, 2),
    confidence NUMERIC(5, 4),
    validation_status VARCHAR(32) NOT NULL,
    ocr_engine VARCHAR(32),
    screenshot_path VARCHAR(512),
    processing_time_ms INTEGER,
    id UUID NOT NULL,
    bot_id VARCHAR(64),
    session_id VARCHAR(128),
    round_number BIGINT,
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_ocr_validation_logs PRIMARY KEY (id),
    CONSTRAINT ck_ocr_validation_logs_confidence CHECK (confidence IS NULL OR confidence >= 0 AND confidence <= 1),
    CONSTRAINT fk_ocr_validation_logs_round_id_crash_game_rounds FOREIGN KEY(round_id) REFERENCES crash_game_rounds (id)
);

CREATE INDEX idx_ocr_validation_status ON ocr_validation_logs (validation_status);

CREATE INDEX idx_crash_rounds_start_ts ON crash_game_rounds (round_start_timestamp DESC);

CREATE INDEX idx_crash_rounds_end_ts ON crash_game_rounds (round_end_timestamp DESC);

CREATE INDEX idx_crash_rounds_analytics ON crash_game_rounds (bot_id, round_start_timestamp DESC, round_outcome, profit_loss);

CREATE INDEX idx_analytics_multipliers_timestamp ON analytics_round_multipliers (timestamp DESC);

CREATE INDEX idx_analytics_multipliers_date ON analytics_round_multipliers (date_bucket DESC);

CREATE INDEX idx_analytics_signals_timestamp ON analytics_round_signals (timestamp DESC);

CREATE INDEX idx_analytics_signals_confidence ON analytics_round_signals (confidence_score DESC);

CREATE INDEX idx_analytics_outcomes_timestamp ON analytics_round_outcomes (timestamp DESC);

CREATE INDEX idx_analytics_outcomes_date ON analytics_round_outcomes (date_bucket DESC, bot_id);

CREATE INDEX idx_error_logs_bot_ts ON error_logs (bot_id, timestamp DESC);

CREATE INDEX idx_ocr_validation_bot_ts ON ocr_validation_logs (bot_id, timestamp DESC);

CREATE FUNCTION crashdb_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_bot_vm_registration_updated_at BEFORE UPDATE ON bot_vm_registration
FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_game_platform_config_updated_at BEFORE UPDATE ON game_platform_config
FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_session_logs_updated_at BEFORE UPDATE ON session_logs
FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_crash_game_rounds_updated_at BEFORE UPDATE ON crash_game_rounds
FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_analytics_round_signals_updated_at BEFORE UPDATE ON analytics_round_signals
FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE FUNCTION crashdb_signal_actual_multiplier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actual_multiplier IS NULL AND NEW.round_id IS NOT NULL THEN
        SELECT r.crash_multiplier INTO NEW.actual_multiplier
          FROM crash_game_rounds r WHERE r.id = NEW.round_id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_signals_actual_multiplier BEFORE INSERT ON analytics_round_signals
FOR EACH ROW EXECUTE FUNCTION crashdb_signal_actual_multiplier();

CREATE FUNCTION crashdb_rounds_after_insert() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
BEGIN
    PERFORM 1
       FROM session_logs s
       JOIN (SELECT DISTINCT bot_id, session_id FROM new_rounds) k
         ON s.bot_id = k.bot_id AND s.session_id = k.session_id
      ORDER BY s.bot_id, s.session_id
        FOR NO KEY UPDATE OF s;
    IF (SELECT count(*) FROM (SELECT 1 FROM new_rounds LIMIT 5000) AS n) < 5000 THEN
        INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code)
        SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
               coalesce(platform_code, '')
          FROM new_rounds AS n
         WHERE true
         ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
            DO UPDATE SET dirty = r.dirty WHERE false;
        UPDATE run_summaries
           SET dirty = true
          FROM (SELECT bot_id, session_id, coalesce(strategy_name, '') AS strategy_name, game_name,
                       coalesce(platform_code, '') AS platform_code, min(round_number) AS first_round
                  FROM new_rounds AS n0
                 GROUP BY bot_id, session_id, coalesce(strategy_name, ''), game_name,
                          coalesce(platform_code, '')) AS m
         WHERE run_summaries.bot_id = m.bot_id AND run_summaries.session_id = m.session_id
           AND run_summaries.strategy_name = m.strategy_name
           AND run_summaries.game_name = m.game_name
           AND run_summaries.platform_code = m.platform_code
           AND run_summaries.rounds > 0
           AND NOT run_summaries.dirty
           AND (m.first_round < run_summaries.last_round
                OR (m.first_round = run_summaries.last_round
                    AND EXISTS (SELECT 1 FROM new_rounds AS n
                                 WHERE n.bot_id = m.bot_id AND n.session_id = m.session_id
                                   AND coalesce(n.strategy_name, '') = m.strategy_name
                                   AND n.game_name = m.game_name
                                   AND coalesce(n.platform_code, '') = m.platform_code
                                   AND n.round_number = run_summaries.last_round
                                   AND n.bet_slot <= run_summaries.last_slot)));
        INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code, rounds, wins, losses, skips, errors, bets, total_staked, total_profit, sum_profit, sum_profit_sq, sum_stake, sum_stake_sq, sum_profit_stake, sum_gain, sum_gain_sq, sum_return, sum_return_sq, crash_count, crash_sum, crash_min, crash_max, largest_win, largest_loss, first_ts, last_ts, last_end_ts, first_balance, last_balance, last_round, last_slot, peak, peak_round, peak_ts, max_drawdown, max_drawdown_pct, drawdown_start_round, drawdown_start_ts, drawdown_end_round, drawdown_end_ts, win_run, loss_run, longest_win, longest_loss, dirty)
        SELECT f.*, false
          FROM (
        WITH src AS (
            SELECT bot_id COLLATE "C" AS bot_id, session_id COLLATE "C" AS session_id,
                   coalesce(strategy_name, '') COLLATE "C" AS strategy_name, game_name COLLATE "C" AS game_name,
                   coalesce(platform_code, '') COLLATE "C" AS platform_code,
                   round_number, bet_slot,
                   round_start_timestamp AS ts,
                   coalesce(round_end_timestamp, round_start_timestamp) AS te,
                   round_outcome AS outcome,
                   profit_loss AS profit,
                   stake_value AS stake,
                   crash_multiplier AS crash,
                   running_balance_before AS balance_before,
                   running_balance_after AS balance_after,
                   CASE WHEN stake_value > 0 AND round_outcome <> 'SKIP' THEN 1 ELSE 0 END AS bet,
                   CAST(profit_loss AS DOUBLE PRECISION) AS pf,
                   CAST(stake_value AS DOUBLE PRECISION) AS sf
              FROM (SELECT n.*
           FROM new_rounds AS n
           JOIN run_summaries AS d
             ON d.bot_id = n.bot_id AND d.session_id = n.session_id
            AND d.strategy_name = coalesce(n.strategy_name, '') AND d.game_name = n.game_name
            AND d.platform_code = coalesce(n.platform_code, '')
          WHERE NOT d.dirty AND NOT d.stale) AS rounds_to_fold
        ),
        seed AS (
            SELECT d.*
          FROM run_summaries AS d
          JOIN (SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, '') AS strategy_name,
                       game_name, coalesce(platform_code, '') AS platform_code
                  FROM new_rounds AS n0) AS k
            ON d.bot_id = k.bot_id AND d.session_id = k.session_id
           AND d.strategy_name = k.strategy_name AND d.game_name = k.game_name
           AND d.platform_code = k.platform_code
         WHERE NOT d.dirty AND NOT d.stale AND d.rounds > 0
        ),
        seq AS (
            SELECT s.*,
                   coalesce(p.total_profit, 0) + sum(s.profit) OVER w AS cum,
                   sum(CASE WHEN s.outcome = 'WIN' THEN 1 ELSE 0 END) OVER w AS cw,
                   sum(CASE WHEN s.outcome = 'LOSS' THEN 1 ELSE 0 END) OVER w AS cl,
                   row_number() OVER w AS i,
                   CASE WHEN p.bot_id IS NULL THEN first_value(s.balance_before) OVER w
                        ELSE p.first_balance END AS base,
                   coalesce(p.peak, 0) AS p0,
                   coalesce(p.win_run, 0) AS w0,
                   coalesce(p.loss_run, 0) AS l0
              FROM src s
              LEFT JOIN seed p
                ON p.bot_id = s.bot_id AND p.session_id = s.session_id
               AND p.strategy_name = s.strategy_name AND p.game_name = s.game_name
               AND p.platform_code = s.platform_code
            WINDOW w AS (PARTITION BY s.bot_id, s.session_id, s.strategy_name, s.game_name,
                                      s.platform_code
                         ORDER BY s.round_number, s.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        peaks AS (
            SELECT q.*,
                   CASE WHEN max(q.cum) OVER w > q.p0 THEN max(q.cum) OVER w ELSE q.p0 END AS peak,
                   max(CASE WHEN q.outcome = 'LOSS' THEN q.cw END) OVER w AS cw_at_loss,
                   max(CASE WHEN q.outcome = 'WIN' THEN q.cl END) OVER w AS cl_at_win
              FROM seq q
            WINDOW w AS (PARTITION BY q.bot_id, q.session_id, q.strategy_name, q.game_name,
                                      q.platform_code
                         ORDER BY q.round_number, q.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        falls AS (
            SELECT k.*,
                   k.peak - k.cum AS fall,
                   CASE WHEN k.base IS NOT NULL AND k.base + k.peak <> 0
                        THEN CAST(k.peak - k.cum AS DOUBLE PRECISION)
                             / CAST(k.base + k.peak AS DOUBLE PRECISION) END AS fall_pct,
                   CASE WHEN k.outcome = 'WIN' THEN
                        CASE WHEN k.cw_at_loss IS NULL THEN k.cw + k.w0 ELSE k.cw - k.cw_at_loss END
                   END AS win_streak,
                   CASE WHEN k.outcome = 'LOSS' THEN
                        CASE WHEN k.cl_at_win IS NULL THEN k.cl + k.l0 ELSE k.cl - k.cl_at_win END
                   END AS loss_streak,
                   -- the last round at the running peak so far (where the current fall started)
                   max(CASE WHEN k.cum = k.peak THEN k.i END) OVER w AS peak_i,
                   max(k.peak - k.cum) OVER p AS worst_fall,
                   count(*) OVER p AS n
              FROM peaks k
            WINDOW w AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                      k.platform_code
                         ORDER BY k.round_number, k.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                   p AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                      k.platform_code)
        ),
        -- The rows the summary needs values of (the last one, the trough of the worst fall, the last
        -- win and loss, the peaks the falls started from), marked with whole-partition windows: no
        -- join back to the rows.
        marks AS (
            SELECT f.*,
                   min(CASE WHEN f.fall = f.worst_fall THEN f.i END) OVER p AS worst_i,
                   max(CASE WHEN f.outcome = 'WIN' THEN f.i END) OVER p AS last_win_i,
                   max(CASE WHEN f.outcome = 'LOSS' THEN f.i END) OVER p AS last_loss_i,
                   max(CASE WHEN f.i = f.n THEN f.peak_i END) OVER p AS end_peak_i
              FROM falls f
            WINDOW p AS (PARTITION BY f.bot_id, f.session_id, f.strategy_name, f.game_name,
                                      f.platform_code)
        ),
        marks2 AS (
            SELECT m.*,
                   max(CASE WHEN m.i = m.worst_i THEN m.peak_i END) OVER p AS worst_peak_i
              FROM marks m
            WINDOW p AS (PARTITION BY m.bot_id, m.session_id, m.strategy_name, m.game_name,
                                      m.platform_code)
        ),
        agg AS (
            SELECT bot_id, session_id, strategy_name, game_name, platform_code,
                   count(*) AS rounds,
                   sum(CASE WHEN outcome = 'WIN' THEN 1 ELSE 0 END) AS wins,
                   sum(CASE WHEN outcome = 'LOSS' THEN 1 ELSE 0 END) AS losses,
                   sum(CASE WHEN outcome = 'SKIP' THEN 1 ELSE 0 END) AS skips,
                   sum(CASE WHEN outcome = 'ERROR' THEN 1 ELSE 0 END) AS errors,
                   sum(bet) AS bets,
                   sum(CASE WHEN bet = 1 THEN stake ELSE 0 END) AS total_staked,
                   sum(profit) AS total_profit,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf END), 0) AS sum_profit,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf * pf END), 0) AS sum_profit_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN sf END), 0) AS sum_stake,
                   coalesce(sum(CASE WHEN bet = 1 THEN sf * sf END), 0) AS sum_stake_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf * sf END), 0) AS sum_profit_stake,
                   coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf END), 0) AS sum_gain,
                   coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf * pf END), 0) AS sum_gain_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf / sf END), 0) AS sum_return,
                   coalesce(sum(CASE WHEN bet = 1 THEN (pf / sf) * (pf / sf) END), 0) AS sum_return_sq,
                   count(crash) AS crash_count,
                   sum(crash) AS crash_sum,
                   min(crash) AS crash_min,
                   max(crash) AS crash_max,
                   max(profit) AS largest_win,
                   min(profit) AS largest_loss,
                   min(ts) AS first_ts,
                   max(ts) AS last_ts,
                   max(te) AS last_end_ts,
                   max(base) AS base,
                   max(peak) AS peak,
                   max(fall) AS max_fall,
                   max(fall_pct) AS max_fall_pct,
                   max(win_streak) AS longest_win,
                   max(loss_streak) AS longest_loss,
                   max(last_win_i) AS last_win_i,
                   max(last_loss_i) AS last_loss_i,
                   max(end_peak_i) AS end_peak_i,
                   max(worst_peak_i) AS worst_peak_i,
                   max(CASE WHEN i = n THEN round_number END) AS last_round,
                   max(CASE WHEN i = n THEN bet_slot END) AS last_slot,
                   max(CASE WHEN i = n THEN balance_after END) AS last_balance,
                   max(CASE WHEN i = worst_i THEN round_number END) AS worst_round,
                   max(CASE WHEN i = worst_i THEN ts END) AS worst_ts,
                   max(CASE WHEN i = last_win_i THEN win_streak END) AS trail_win,
                   max(CASE WHEN i = last_loss_i THEN loss_streak END) AS trail_loss,
                   max(CASE WHEN i = end_peak_i THEN round_number END) AS peak_round,
                   max(CASE WHEN i = end_peak_i THEN ts END) AS peak_ts,
                   max(CASE WHEN i = worst_peak_i THEN round_number END) AS start_round,
                   max(CASE WHEN i = worst_peak_i THEN ts END) AS start_ts
              FROM marks2
             GROUP BY bot_id, session_id, strategy_name, game_name, platform_code
        )
        SELECT a.bot_id, a.session_id, a.strategy_name, a.game_name, a.platform_code,
               coalesce(p.rounds, 0) + a.rounds AS rounds,
               coalesce(p.wins, 0) + a.wins AS wins,
               coalesce(p.losses, 0) + a.losses AS losses,
               coalesce(p.skips, 0) + a.skips AS skips,
               coalesce(p.errors, 0) + a.errors AS errors,
               coalesce(p.bets, 0) + a.bets AS bets,
               coalesce(p.total_staked, 0) + a.total_staked AS total_staked,
               coalesce(p.total_profit, 0) + a.total_profit AS total_profit,
               coalesce(p.sum_profit, 0) + a.sum_profit AS sum_profit,
               coalesce(p.sum_profit_sq, 0) + a.sum_profit_sq AS sum_profit_sq,
               coalesce(p.sum_stake, 0) + a.sum_stake AS sum_stake,
               coalesce(p.sum_stake_sq, 0) + a.sum_stake_sq AS sum_stake_sq,
               coalesce(p.sum_profit_stake, 0) + a.sum_profit_stake AS sum_profit_stake,
               coalesce(p.sum_gain, 0) + a.sum_gain AS sum_gain,
               coalesce(p.sum_gain_sq, 0) + a.sum_gain_sq AS sum_gain_sq,
               coalesce(p.sum_return, 0) + a.sum_return AS sum_return,
               coalesce(p.sum_return_sq, 0) + a.sum_return_sq AS sum_return_sq,
               coalesce(p.crash_count, 0) + a.crash_count AS crash_count,
               CASE WHEN p.crash_sum IS NULL THEN a.crash_sum
                    WHEN a.crash_sum IS NULL THEN p.crash_sum
                    ELSE p.crash_sum + a.crash_sum END AS crash_sum,
               CASE WHEN p.crash_min IS NULL OR a.crash_min < p.crash_min
                    THEN a.crash_min ELSE p.crash_min END AS crash_min,
               CASE WHEN p.crash_max IS NULL OR a.crash_max > p.crash_max
                    THEN a.crash_max ELSE p.crash_max END AS crash_max,
               CASE WHEN p.largest_win IS NULL OR a.largest_win > p.largest_win
                    THEN a.largest_win ELSE p.largest_win END AS largest_win,
               CASE WHEN p.largest_loss IS NULL OR a.largest_loss < p.largest_loss
                    THEN a.largest_loss ELSE p.largest_loss END AS largest_loss,
               CASE WHEN p.first_ts IS NULL OR a.first_ts < p.first_ts
                    THEN a.first_ts ELSE p.first_ts END AS first_ts,
               CASE WHEN p.last_ts IS NULL OR a.last_ts > p.last_ts
                    THEN a.last_ts ELSE p.last_ts END AS last_ts,
               CASE WHEN p.last_end_ts IS NULL OR a.last_end_ts > p.last_end_ts
                    THEN a.last_end_ts ELSE p.last_end_ts END AS last_end_ts,
               CASE WHEN p.bot_id IS NULL THEN a.base ELSE p.first_balance END AS first_balance,
               a.last_balance,
               a.last_round,
               a.last_slot,
               a.peak,
               CASE WHEN a.end_peak_i IS NULL THEN p.peak_round ELSE a.peak_round END AS peak_round,
               CASE WHEN a.end_peak_i IS NULL THEN p.peak_ts ELSE a.peak_ts END AS peak_ts,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.max_fall ELSE coalesce(p.max_drawdown, 0) END AS max_drawdown,
               CASE WHEN p.max_drawdown_pct IS NULL OR a.max_fall_pct > p.max_drawdown_pct
                    THEN a.max_fall_pct ELSE p.max_drawdown_pct END AS max_drawdown_pct,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_round ELSE a.start_round END
                    ELSE p.drawdown_start_round END AS drawdown_start_round,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_ts ELSE a.start_ts END
                    ELSE p.drawdown_start_ts END AS drawdown_start_ts,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.worst_round ELSE p.drawdown_end_round END AS drawdown_end_round,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.worst_ts ELSE p.drawdown_end_ts END AS drawdown_end_ts,
               CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.win_run, 0)
                    WHEN coalesce(a.last_win_i, 0) > coalesce(a.last_loss_i, 0) THEN a.trail_win
                    ELSE 0 END AS win_run,
               CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.loss_run, 0)
                    WHEN coalesce(a.last_loss_i, 0) > coalesce(a.last_win_i, 0) THEN a.trail_loss
                    ELSE 0 END AS loss_run,
               CASE WHEN coalesce(a.longest_win, 0) > coalesce(p.longest_win, 0)
                    THEN coalesce(a.longest_win, 0) ELSE coalesce(p.longest_win, 0) END AS longest_win,
               CASE WHEN coalesce(a.longest_loss, 0) > coalesce(p.longest_loss, 0)
                    THEN coalesce(a.longest_loss, 0) ELSE coalesce(p.longest_loss, 0) END AS longest_loss
          FROM agg a
          LEFT JOIN seed p
            ON p.bot_id = a.bot_id AND p.session_id = a.session_id
           AND p.strategy_name = a.strategy_name AND p.game_name = a.game_name
           AND p.platform_code = a.platform_code
               ) AS f
         WHERE true
            ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
            DO UPDATE SET rounds = excluded.rounds, wins = excluded.wins, losses = excluded.losses, skips = excluded.skips, errors = excluded.errors, bets = excluded.bets, total_staked = excluded.total_staked, total_profit = excluded.total_profit, sum_profit = excluded.sum_profit, sum_profit_sq = excluded.sum_profit_sq, sum_stake = excluded.sum_stake, sum_stake_sq = excluded.sum_stake_sq, sum_profit_stake = excluded.sum_profit_stake, sum_gain = excluded.sum_gain, sum_gain_sq = excluded.sum_gain_sq, sum_return = excluded.sum_return, sum_return_sq = excluded.sum_return_sq, crash_count = excluded.crash_count, crash_sum = excluded.crash_sum, crash_min = excluded.crash_min, crash_max = excluded.crash_max, largest_win = excluded.largest_win, largest_loss = excluded.largest_loss, first_ts = excluded.first_ts, last_ts = excluded.last_ts, last_end_ts = excluded.last_end_ts, first_balance = excluded.first_balance, last_balance = excluded.last_balance, last_round = excluded.last_round, last_slot = excluded.last_slot, peak = excluded.peak, peak_round = excluded.peak_round, peak_ts = excluded.peak_ts, max_drawdown = excluded.max_drawdown, max_drawdown_pct = excluded.max_drawdown_pct, drawdown_start_round = excluded.drawdown_start_round, drawdown_start_ts = excluded.drawdown_start_ts, drawdown_end_round = excluded.drawdown_end_round, drawdown_end_ts = excluded.drawdown_end_ts, win_run = excluded.win_run, loss_run = excluded.loss_run, longest_win = excluded.longest_win, longest_loss = excluded.longest_loss, dirty = false;
        IF EXISTS (SELECT 1 FROM run_summaries WHERE dirty) THEN
            INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code, rounds, wins, losses, skips, errors, bets, total_staked, total_profit, sum_profit, sum_profit_sq, sum_stake, sum_stake_sq, sum_profit_stake, sum_gain, sum_gain_sq, sum_return, sum_return_sq, crash_count, crash_sum, crash_min, crash_max, largest_win, largest_loss, first_ts, last_ts, last_end_ts, first_balance, last_balance, last_round, last_slot, peak, peak_round, peak_ts, max_drawdown, max_drawdown_pct, drawdown_start_round, drawdown_start_ts, drawdown_end_round, drawdown_end_ts, win_run, loss_run, longest_win, longest_loss, dirty)
            SELECT f.*, false
              FROM (
            WITH src AS (
                SELECT bot_id COLLATE "C" AS bot_id, session_id COLLATE "C" AS session_id,
                       coalesce(strategy_name, '') COLLATE "C" AS strategy_name, game_name COLLATE "C" AS game_name,
                       coalesce(platform_code, '') COLLATE "C" AS platform_code,
                       round_number, bet_slot,
                       round_start_timestamp AS ts,
                       coalesce(round_end_timestamp, round_start_timestamp) AS te,
                       round_outcome AS outcome,
                       profit_loss AS profit,
                       stake_value AS stake,
                       crash_multiplier AS crash,
                       running_balance_before AS balance_before,
                       running_balance_after AS balance_after,
                       CASE WHEN stake_value > 0 AND round_outcome <> 'SKIP' THEN 1 ELSE 0 END AS bet,
                       CAST(profit_loss AS DOUBLE PRECISION) AS pf,
                       CAST(stake_value AS DOUBLE PRECISION) AS sf
                  FROM (SELECT c.*
               FROM crash_game_rounds AS c
               JOIN run_summaries AS d
                 ON d.bot_id = c.bot_id AND d.session_id = c.session_id
                AND d.strategy_name = coalesce(c.strategy_name, '') AND d.game_name = c.game_name
                AND d.platform_code = coalesce(c.platform_code, '')
              WHERE d.dirty) AS rounds_to_fold
            ),
            seed AS (
                SELECT * FROM run_summaries WHERE false
            ),
            seq AS (
                SELECT s.*,
                       coalesce(p.total_profit, 0) + sum(s.profit) OVER w AS cum,
                       sum(CASE WHEN s.outcome = 'WIN' THEN 1 ELSE 0 END) OVER w AS cw,
                       sum(CASE WHEN s.outcome = 'LOSS' THEN 1 ELSE 0 END) OVER w AS cl,
                       row_number() OVER w AS i,
                       CASE WHEN p.bot_id IS NULL THEN first_value(s.balance_before) OVER w
                            ELSE p.first_balance END AS base,
                       coalesce(p.peak, 0) AS p0,
                       coalesce(p.win_run, 0) AS w0,
                       coalesce(p.loss_run, 0) AS l0
                  FROM src s
                  LEFT JOIN seed p
                    ON p.bot_id = s.bot_id AND p.session_id = s.session_id
                   AND p.strategy_name = s.strategy_name AND p.game_name = s.game_name
                   AND p.platform_code = s.platform_code
                WINDOW w AS (PARTITION BY s.bot_id, s.session_id, s.strategy_name, s.game_name,
                                          s.platform_code
                             ORDER BY s.round_number, s.bet_slot
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            ),
            peaks AS (
                SELECT q.*,
                       CASE WHEN max(q.cum) OVER w > q.p0 THEN max(q.cum) OVER w ELSE q.p0 END AS peak,
                       max(CASE WHEN q.outcome = 'LOSS' THEN q.cw END) OVER w AS cw_at_loss,
                       max(CASE WHEN q.outcome = 'WIN' THEN q.cl END) OVER w AS cl_at_win
                  FROM seq q
                WINDOW w AS (PARTITION BY q.bot_id, q.session_id, q.strategy_name, q.game_name,
                                          q.platform_code
                             ORDER BY q.round_number, q.bet_slot
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
            ),
            falls AS (
                SELECT k.*,
                       k.peak - k.cum AS fall,
                       CASE WHEN k.base IS NOT NULL AND k.base + k.peak <> 0
                            THEN CAST(k.peak - k.cum AS DOUBLE PRECISION)
                                 / CAST(k.base + k.peak AS DOUBLE PRECISION) END AS fall_pct,
                       CASE WHEN k.outcome = 'WIN' THEN
                            CASE WHEN k.cw_at_loss IS NULL THEN k.cw + k.w0 ELSE k.cw - k.cw_at_loss END
                       END AS win_streak,
                       CASE WHEN k.outcome = 'LOSS' THEN
                            CASE WHEN k.cl_at_win IS NULL THEN k.cl + k.l0 ELSE k.cl - k.cl_at_win END
                       END AS loss_streak,
                       -- the last round at the running peak so far (where the current fall started)
                       max(CASE WHEN k.cum = k.peak THEN k.i END) OVER w AS peak_i,
                       max(k.peak - k.cum) OVER p AS worst_fall,
                       count(*) OVER p AS n
                  FROM peaks k
                WINDOW w AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                          k.platform_code
                             ORDER BY k.round_number, k.bet_slot
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                       p AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                          k.platform_code)
            ),
            -- The rows the summary needs values of (the last one, the trough of the worst fall, the last
            -- win and loss, the peaks the falls started from), marked with whole-partition windows: no
            -- join back to the rows.
            marks AS (
                SELECT f.*,
                       min(CASE WHEN f.fall = f.worst_fall THEN f.i END) OVER p AS worst_i,
                       max(CASE WHEN f.outcome = 'WIN' THEN f.i END) OVER p AS last_win_i,
                       max(CASE WHEN f.outcome = 'LOSS' THEN f.i END) OVER p AS last_loss_i,
                       max(CASE WHEN f.i = f.n THEN f.peak_i END) OVER p AS end_peak_i
                  FROM falls f
                WINDOW p AS (PARTITION BY f.bot_id, f.session_id, f.strategy_name, f.game_name,
                                          f.platform_code)
            ),
            marks2 AS (
                SELECT m.*,
                       max(CASE WHEN m.i = m.worst_i THEN m.peak_i END) OVER p AS worst_peak_i
                  FROM marks m
                WINDOW p AS (PARTITION BY m.bot_id, m.session_id, m.strategy_name, m.game_name,
                                          m.platform_code)
            ),
            agg AS (
                SELECT bot_id, session_id, strategy_name, game_name, platform_code,
                       count(*) AS rounds,
                       sum(CASE WHEN outcome = 'WIN' THEN 1 ELSE 0 END) AS wins,
                       sum(CASE WHEN outcome = 'LOSS' THEN 1 ELSE 0 END) AS losses,
                       sum(CASE WHEN outcome = 'SKIP' THEN 1 ELSE 0 END) AS skips,
                       sum(CASE WHEN outcome = 'ERROR' THEN 1 ELSE 0 END) AS errors,
                       sum(bet) AS bets,
                       sum(CASE WHEN bet = 1 THEN stake ELSE 0 END) AS total_staked,
                       sum(profit) AS total_profit,
                       coalesce(sum(CASE WHEN bet = 1 THEN pf END), 0) AS sum_profit,
                       coalesce(sum(CASE WHEN bet = 1 THEN pf * pf END), 0) AS sum_profit_sq,
                       coalesce(sum(CASE WHEN bet = 1 THEN sf END), 0) AS sum_stake,
                       coalesce(sum(CASE WHEN bet = 1 THEN sf * sf END), 0) AS sum_stake_sq,
                       coalesce(sum(CASE WHEN bet = 1 THEN pf * sf END), 0) AS sum_profit_stake,
                       coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf END), 0) AS sum_gain,
                       coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf * pf END), 0) AS sum_gain_sq,
                       coalesce(sum(CASE WHEN bet = 1 THEN pf / sf END), 0) AS sum_return,
                       coalesce(sum(CASE WHEN bet = 1 THEN (pf / sf) * (pf / sf) END), 0) AS sum_return_sq,
                       count(crash) AS crash_count,
                       sum(crash) AS crash_sum,
                       min(crash) AS crash_min,
                       max(crash) AS crash_max,
                       max(profit) AS largest_win,
                       min(profit) AS largest_loss,
                       min(ts) AS first_ts,
                       max(ts) AS last_ts,
                       max(te) AS last_end_ts,
                       max(base) AS base,
                       max(peak) AS peak,
                       max(fall) AS max_fall,
                       max(fall_pct) AS max_fall_pct,
                       max(win_streak) AS longest_win,
                       max(loss_streak) AS longest_loss,
                       max(last_win_i) AS last_win_i,
                       max(last_loss_i) AS last_loss_i,
                       max(end_peak_i) AS end_peak_i,
                       max(worst_peak_i) AS worst_peak_i,
                       max(CASE WHEN i = n THEN round_number END) AS last_round,
                       max(CASE WHEN i = n THEN bet_slot END) AS last_slot,
                       max(CASE WHEN i = n THEN balance_after END) AS last_balance,
                       max(CASE WHEN i = worst_i THEN round_number END) AS worst_round,
                       max(CASE WHEN i = worst_i THEN ts END) AS worst_ts,
                       max(CASE WHEN i = last_win_i THEN win_streak END) AS trail_win,
                       max(CASE WHEN i = last_loss_i THEN loss_streak END) AS trail_loss,
                       max(CASE WHEN i = end_peak_i THEN round_number END) AS peak_round,
                       max(CASE WHEN i = end_peak_i THEN ts END) AS peak_ts,
                       max(CASE WHEN i = worst_peak_i THEN round_number END) AS start_round,
                       max(CASE WHEN i = worst_peak_i THEN ts END) AS start_ts
                  FROM marks2
                 GROUP BY bot_id, session_id, strategy_name, game_name, platform_code
            )
            SELECT a.bot_id, a.session_id, a.strategy_name, a.game_name, a.platform_code,
                   coalesce(p.rounds, 0) + a.rounds AS rounds,
                   coalesce(p.wins, 0) + a.wins AS wins,
                   coalesce(p.losses, 0) + a.losses AS losses,
                   coalesce(p.skips, 0) + a.skips AS skips,
                   coalesce(p.errors, 0) + a.errors AS errors,
                   coalesce(p.bets, 0) + a.bets AS bets,
                   coalesce(p.total_staked, 0) + a.total_staked AS total_staked,
                   coalesce(p.total_profit, 0) + a.total_profit AS total_profit,
                   coalesce(p.sum_profit, 0) + a.sum_profit AS sum_profit,
                   coalesce(p.sum_profit_sq, 0) + a.sum_profit_sq AS sum_profit_sq,
                   coalesce(p.sum_stake, 0) + a.sum_stake AS sum_stake,
                   coalesce(p.sum_stake_sq, 0) + a.sum_stake_sq AS sum_stake_sq,
                   coalesce(p.sum_profit_stake, 0) + a.sum_profit_stake AS sum_profit_stake,
                   coalesce(p.sum_gain, 0) + a.sum_gain AS sum_gain,
                   coalesce(p.sum_gain_sq, 0) + a.sum_gain_sq AS sum_gain_sq,
                   coalesce(p.sum_return, 0) + a.sum_return AS sum_return,
                   coalesce(p.sum_return_sq, 0) + a.sum_return_sq AS sum_return_sq,
                   coalesce(p.crash_count, 0) + a.crash_count AS crash_count,
                   CASE WHEN p.crash_sum IS NULL THEN a.crash_sum
                        WHEN a.crash_sum IS NULL THEN p.crash_sum
                        ELSE p.crash_sum + a.crash_sum END AS crash_sum,
                   CASE WHEN p.crash_min IS NULL OR a.crash_min < p.crash_min
                        THEN a.crash_min ELSE p.crash_min END AS crash_min,
                   CASE WHEN p.crash_max IS NULL OR a.crash_max > p.crash_max
                        THEN a.crash_max ELSE p.crash_max END AS crash_max,
                   CASE WHEN p.largest_win IS NULL OR a.largest_win > p.largest_win
                        THEN a.largest_win ELSE p.largest_win END AS largest_win,
                   CASE WHEN p.largest_loss IS NULL OR a.largest_loss < p.largest_loss
                        THEN a.largest_loss ELSE p.largest_loss END AS largest_loss,
                   CASE WHEN p.first_ts IS NULL OR a.first_ts < p.first_ts
                        THEN a.first_ts ELSE p.first_ts END AS first_ts,
                   CASE WHEN p.last_ts IS NULL OR a.last_ts > p.last_ts
                        THEN a.last_ts ELSE p.last_ts END AS last_ts,
                   CASE WHEN p.last_end_ts IS NULL OR a.last_end_ts > p.last_end_ts
                        THEN a.last_end_ts ELSE p.last_end_ts END AS last_end_ts,
                   CASE WHEN p.bot_id IS NULL THEN a.base ELSE p.first_balance END AS first_balance,
                   a.last_balance,
                   a.last_round,
                   a.last_slot,
                   a.peak,
                   CASE WHEN a.end_peak_i IS NULL THEN p.peak_round ELSE a.peak_round END AS peak_round,
                   CASE WHEN a.end_peak_i IS NULL THEN p.peak_ts ELSE a.peak_ts END AS peak_ts,
                   CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                        THEN a.max_fall ELSE coalesce(p.max_drawdown, 0) END AS max_drawdown,
                   CASE WHEN p.max_drawdown_pct IS NULL OR a.max_fall_pct > p.max_drawdown_pct
                        THEN a.max_fall_pct ELSE p.max_drawdown_pct END AS max_drawdown_pct,
                   CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                        THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_round ELSE a.start_round END
                        ELSE p.drawdown_start_round END AS drawdown_start_round,
                   CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                        THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_ts ELSE a.start_ts END
                        ELSE p.drawdown_start_ts END AS drawdown_start_ts,
                   CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                        THEN a.worst_round ELSE p.drawdown_end_round END AS drawdown_end_round,
                   CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                        THEN a.worst_ts ELSE p.drawdown_end_ts END AS drawdown_end_ts,
                   CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.win_run, 0)
                        WHEN coalesce(a.last_win_i, 0) > coalesce(a.last_loss_i, 0) THEN a.trail_win
                        ELSE 0 END AS win_run,
                   CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.loss_run, 0)
                        WHEN coalesce(a.last_loss_i, 0) > coalesce(a.last_win_i, 0) THEN a.trail_loss
                        ELSE 0 END AS loss_run,
                   CASE WHEN coalesce(a.longest_win, 0) > coalesce(p.longest_win, 0)
                        THEN coalesce(a.longest_win, 0) ELSE coalesce(p.longest_win, 0) END AS longest_win,
                   CASE WHEN coalesce(a.longest_loss, 0) > coalesce(p.longest_loss, 0)
                        THEN coalesce(a.longest_loss, 0) ELSE coalesce(p.longest_loss, 0) END AS longest_loss
              FROM agg a
              LEFT JOIN seed p
                ON p.bot_id = a.bot_id AND p.session_id = a.session_id
               AND p.strategy_name = a.strategy_name AND p.game_name = a.game_name
               AND p.platform_code = a.platform_code
                   ) AS f
             WHERE true
                ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
                DO UPDATE SET rounds = excluded.rounds, wins = excluded.wins, losses = excluded.losses, skips = excluded.skips, errors = excluded.errors, bets = excluded.bets, total_staked = excluded.total_staked, total_profit = excluded.total_profit, sum_profit = excluded.sum_profit, sum_profit_sq = excluded.sum_profit_sq, sum_stake = excluded.sum_stake, sum_stake_sq = excluded.sum_stake_sq, sum_profit_stake = excluded.sum_profit_stake, sum_gain = excluded.sum_gain, sum_gain_sq = excluded.sum_gain_sq, sum_return = excluded.sum_return, sum_return_sq = excluded.sum_return_sq, crash_count = excluded.crash_count, crash_sum = excluded.crash_sum, crash_min = excluded.crash_min, crash_max = excluded.crash_max, largest_win = excluded.largest_win, largest_loss = excluded.largest_loss, first_ts = excluded.first_ts, last_ts = excluded.last_ts, last_end_ts = excluded.last_end_ts, first_balance = excluded.first_balance, last_balance = excluded.last_balance, last_round = excluded.last_round, last_slot = excluded.last_slot, peak = excluded.peak, peak_round = excluded.peak_round, peak_ts = excluded.peak_ts, max_drawdown = excluded.max_drawdown, max_drawdown_pct = excluded.max_drawdown_pct, drawdown_start_round = excluded.drawdown_start_round, drawdown_start_ts = excluded.drawdown_start_ts, drawdown_end_round = excluded.drawdown_end_round, drawdown_end_ts = excluded.drawdown_end_ts, win_run = excluded.win_run, loss_run = excluded.loss_run, longest_win = excluded.longest_win, longest_loss = excluded.longest_loss, dirty = false;
            DELETE FROM run_summaries WHERE dirty;
        END IF;
        UPDATE session_logs
           SET total_rounds = t.rounds,
               total_wins = t.wins,
               total_losses = t.losses,
               total_profit = t.total_profit,
               current_balance = CASE
                   WHEN t.last_balance IS NOT NULL
                    AND (session_logs.last_round_number IS NULL
                         OR t.last_round >= session_logs.last_round_number)
                   THEN t.last_balance ELSE session_logs.current_balance END,
               last_round_number = t.last_round
          FROM (
                SELECT k.bot_id, k.session_id,
                       coalesce(sum(r.rounds), 0) AS rounds,
                       coalesce(sum(r.wins), 0) AS wins,
                       coalesce(sum(r.losses), 0) AS losses,
                       coalesce(sum(r.total_profit), 0) AS total_profit,
                       max(r.last_round) AS last_round,
                       (SELECT x.last_balance
                          FROM run_summaries x
                         WHERE x.bot_id = k.bot_id AND x.session_id = k.session_id
                         ORDER BY x.last_round DESC NULLS LAST, x.last_slot DESC NULLS LAST
                         LIMIT 1) AS last_balance
                  FROM (SELECT DISTINCT bot_id, session_id FROM new_rounds AS s0) AS k
                  LEFT JOIN run_summaries r ON r.bot_id = k.bot_id AND r.session_id = k.session_id
                 GROUP BY k.bot_id, k.session_id
               ) AS t
         WHERE session_logs.bot_id = t.bot_id AND session_logs.session_id = t.session_id;
        INSERT INTO game_round_summaries AS g (game_name, platform_code, round_external_id,
                                               crash_multiplier, crash_multiplier_max,
                                               round_start_timestamp, round_number, reports)
        SELECT f.*
          FROM (
        SELECT game_name, platform_code, round_external_id,
               min(crash_multiplier) AS crash_multiplier,
               max(crash_multiplier_max) AS crash_multiplier_max,
               min(round_start_timestamp) AS round_start_timestamp,
               min(round_number) AS round_number,
               sum(reports) AS reports
          FROM (
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier_max, round_start_timestamp, round_number, reports
                  FROM game_round_summaries
                 WHERE false
                UNION ALL
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier, round_start_timestamp, round_number, 1
                  FROM new_rounds AS n
                 WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
                   AND crash_multiplier IS NOT NULL AND is_valid
               ) AS reports
         GROUP BY game_name, platform_code, round_external_id
               ) AS f
         WHERE true
         ORDER BY 1, 2, 3
            ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
               crash_multiplier = CASE WHEN excluded.crash_multiplier < g.crash_multiplier
                                       THEN excluded.crash_multiplier ELSE g.crash_multiplier END,
               crash_multiplier_max = CASE WHEN excluded.crash_multiplier_max > g.crash_multiplier_max
                                           THEN excluded.crash_multiplier_max
                                           ELSE g.crash_multiplier_max END,
               round_start_timestamp = CASE WHEN excluded.round_start_timestamp < g.round_start_timestamp
                                            THEN excluded.round_start_timestamp
                                            ELSE g.round_start_timestamp END,
               round_number = CASE WHEN excluded.round_number < g.round_number
                                   THEN excluded.round_number ELSE g.round_number END,
               reports = g.reports + excluded.reports;
        IF EXISTS (SELECT 1 FROM game_round_summaries WHERE dirty) THEN
            INSERT INTO game_round_summaries AS g (game_name, platform_code, round_external_id,
                                                   crash_multiplier, crash_multiplier_max,
                                                   round_start_timestamp, round_number, reports)
            SELECT f.*
              FROM (
            SELECT game_name, platform_code, round_external_id,
                   min(crash_multiplier) AS crash_multiplier,
                   max(crash_multiplier_max) AS crash_multiplier_max,
                   min(round_start_timestamp) AS round_start_timestamp,
                   min(round_number) AS round_number,
                   sum(reports) AS reports
              FROM (
                    SELECT game_name, platform_code, round_external_id, crash_multiplier,
                           crash_multiplier_max, round_start_timestamp, round_number, reports
                      FROM game_round_summaries
                     WHERE false
                    UNION ALL
                    SELECT game_name, platform_code, round_external_id, crash_multiplier,
                           crash_multiplier, round_start_timestamp, round_number, 1
                      FROM (SELECT c.*
               FROM crash_game_rounds AS c
               JOIN game_round_summaries AS d
                 ON d.game_name = c.game_name AND d.platform_code = c.platform_code
                AND d.round_external_id = c.round_external_id
              WHERE d.dirty) AS reports_to_fold
                     WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
                       AND crash_multiplier IS NOT NULL AND is_valid
                   ) AS reports
             GROUP BY game_name, platform_code, round_external_id
                   ) AS f
             WHERE true
                ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
                   crash_multiplier = excluded.crash_multiplier,
                   crash_multiplier_max = excluded.crash_multiplier_max,
                   round_start_timestamp = excluded.round_start_timestamp,
                   round_number = excluded.round_number,
                   reports = excluded.reports,
                   dirty = false;
            DELETE FROM game_round_summaries WHERE dirty;
        END IF;
    ELSE
        INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code,
                                        stale)
        SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
               coalesce(platform_code, ''), true
          FROM new_rounds AS n
         WHERE true
         ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
            DO UPDATE SET stale = true;
        UPDATE run_summaries
           SET dirty = true
          FROM (SELECT bot_id, session_id, coalesce(strategy_name, '') AS strategy_name, game_name,
                       coalesce(platform_code, '') AS platform_code, min(round_number) AS first_round
                  FROM new_rounds AS n0
                 GROUP BY bot_id, session_id, coalesce(strategy_name, ''), game_name,
                          coalesce(platform_code, '')) AS m
         WHERE run_summaries.bot_id = m.bot_id AND run_summaries.session_id = m.session_id
           AND run_summaries.strategy_name = m.strategy_name
           AND run_summaries.game_name = m.game_name
           AND run_summaries.platform_code = m.platform_code
           AND run_summaries.rounds > 0
           AND NOT run_summaries.dirty
           AND (m.first_round < run_summaries.last_round
                OR (m.first_round = run_summaries.last_round
                    AND EXISTS (SELECT 1 FROM new_rounds AS n
                                 WHERE n.bot_id = m.bot_id AND n.session_id = m.session_id
                                   AND coalesce(n.strategy_name, '') = m.strategy_name
                                   AND n.game_name = m.game_name
                                   AND coalesce(n.platform_code, '') = m.platform_code
                                   AND n.round_number = run_summaries.last_round
                                   AND n.bet_slot <= run_summaries.last_slot)));
        INSERT INTO game_round_summaries AS g (game_name, platform_code, round_external_id,
                                               crash_multiplier, crash_multiplier_max,
                                               round_start_timestamp, round_number, reports)
        SELECT f.*
          FROM (
        SELECT game_name, platform_code, round_external_id,
               min(crash_multiplier) AS crash_multiplier,
               max(crash_multiplier_max) AS crash_multiplier_max,
               min(round_start_timestamp) AS round_start_timestamp,
               min(round_number) AS round_number,
               sum(reports) AS reports
          FROM (
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier_max, round_start_timestamp, round_number, reports
                  FROM game_round_summaries
                 WHERE false
                UNION ALL
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier, round_start_timestamp, round_number, 1
                  FROM new_rounds AS n
                 WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
                   AND crash_multiplier IS NOT NULL AND is_valid
               ) AS reports
         GROUP BY game_name, platform_code, round_external_id
               ) AS f
         WHERE true
         ORDER BY 1, 2, 3
            ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
               crash_multiplier = CASE WHEN excluded.crash_multiplier < g.crash_multiplier
                                       THEN excluded.crash_multiplier ELSE g.crash_multiplier END,
               crash_multiplier_max = CASE WHEN excluded.crash_multiplier_max > g.crash_multiplier_max
                                           THEN excluded.crash_multiplier_max
                                           ELSE g.crash_multiplier_max END,
               round_start_timestamp = CASE WHEN excluded.round_start_timestamp < g.round_start_timestamp
                                            THEN excluded.round_start_timestamp
                                            ELSE g.round_start_timestamp END,
               round_number = CASE WHEN excluded.round_number < g.round_number
                                   THEN excluded.round_number ELSE g.round_number END,
               reports = g.reports + excluded.reports;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_rounds_after_delete() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
BEGIN
    PERFORM 1
       FROM session_logs s
       JOIN (SELECT DISTINCT bot_id, session_id FROM old_rounds) k
         ON s.bot_id = k.bot_id AND s.session_id = k.session_id
      ORDER BY s.bot_id, s.session_id
        FOR NO KEY UPDATE OF s;
    INSERT INTO run_summaries (bot_id, session_id, strategy_name, game_name, platform_code,
                                    dirty)
    SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
           coalesce(platform_code, ''), true
      FROM old_rounds AS n
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
        DO UPDATE SET dirty = true;
    IF EXISTS (SELECT 1 FROM run_summaries WHERE dirty) THEN
        INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code, rounds, wins, losses, skips, errors, bets, total_staked, total_profit, sum_profit, sum_profit_sq, sum_stake, sum_stake_sq, sum_profit_stake, sum_gain, sum_gain_sq, sum_return, sum_return_sq, crash_count, crash_sum, crash_min, crash_max, largest_win, largest_loss, first_ts, last_ts, last_end_ts, first_balance, last_balance, last_round, last_slot, peak, peak_round, peak_ts, max_drawdown, max_drawdown_pct, drawdown_start_round, drawdown_start_ts, drawdown_end_round, drawdown_end_ts, win_run, loss_run, longest_win, longest_loss, dirty)
        SELECT f.*, false
          FROM (
        WITH src AS (
            SELECT bot_id COLLATE "C" AS bot_id, session_id COLLATE "C" AS session_id,
                   coalesce(strategy_name, '') COLLATE "C" AS strategy_name, game_name COLLATE "C" AS game_name,
                   coalesce(platform_code, '') COLLATE "C" AS platform_code,
                   round_number, bet_slot,
                   round_start_timestamp AS ts,
                   coalesce(round_end_timestamp, round_start_timestamp) AS te,
                   round_outcome AS outcome,
                   profit_loss AS profit,
                   stake_value AS stake,
                   crash_multiplier AS crash,
                   running_balance_before AS balance_before,
                   running_balance_after AS balance_after,
                   CASE WHEN stake_value > 0 AND round_outcome <> 'SKIP' THEN 1 ELSE 0 END AS bet,
                   CAST(profit_loss AS DOUBLE PRECISION) AS pf,
                   CAST(stake_value AS DOUBLE PRECISION) AS sf
              FROM (SELECT c.*
           FROM crash_game_rounds AS c
           JOIN run_summaries AS d
             ON d.bot_id = c.bot_id AND d.session_id = c.session_id
            AND d.strategy_name = coalesce(c.strategy_name, '') AND d.game_name = c.game_name
            AND d.platform_code = coalesce(c.platform_code, '')
          WHERE d.dirty) AS rounds_to_fold
        ),
        seed AS (
            SELECT * FROM run_summaries WHERE false
        ),
        seq AS (
            SELECT s.*,
                   coalesce(p.total_profit, 0) + sum(s.profit) OVER w AS cum,
                   sum(CASE WHEN s.outcome = 'WIN' THEN 1 ELSE 0 END) OVER w AS cw,
                   sum(CASE WHEN s.outcome = 'LOSS' THEN 1 ELSE 0 END) OVER w AS cl,
                   row_number() OVER w AS i,
                   CASE WHEN p.bot_id IS NULL THEN first_value(s.balance_before) OVER w
                        ELSE p.first_balance END AS base,
                   coalesce(p.peak, 0) AS p0,
                   coalesce(p.win_run, 0) AS w0,
                   coalesce(p.loss_run, 0) AS l0
              FROM src s
              LEFT JOIN seed p
                ON p.bot_id = s.bot_id AND p.session_id = s.session_id
               AND p.strategy_name = s.strategy_name AND p.game_name = s.game_name
               AND p.platform_code = s.platform_code
            WINDOW w AS (PARTITION BY s.bot_id, s.session_id, s.strategy_name, s.game_name,
                                      s.platform_code
                         ORDER BY s.round_number, s.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        peaks AS (
            SELECT q.*,
                   CASE WHEN max(q.cum) OVER w > q.p0 THEN max(q.cum) OVER w ELSE q.p0 END AS peak,
                   max(CASE WHEN q.outcome = 'LOSS' THEN q.cw END) OVER w AS cw_at_loss,
                   max(CASE WHEN q.outcome = 'WIN' THEN q.cl END) OVER w AS cl_at_win
              FROM seq q
            WINDOW w AS (PARTITION BY q.bot_id, q.session_id, q.strategy_name, q.game_name,
                                      q.platform_code
                         ORDER BY q.round_number, q.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        falls AS (
            SELECT k.*,
                   k.peak - k.cum AS fall,
                   CASE WHEN k.base IS NOT NULL AND k.base + k.peak <> 0
                        THEN CAST(k.peak - k.cum AS DOUBLE PRECISION)
                             / CAST(k.base + k.peak AS DOUBLE PRECISION) END AS fall_pct,
                   CASE WHEN k.outcome = 'WIN' THEN
                        CASE WHEN k.cw_at_loss IS NULL THEN k.cw + k.w0 ELSE k.cw - k.cw_at_loss END
                   END AS win_streak,
                   CASE WHEN k.outcome = 'LOSS' THEN
                        CASE WHEN k.cl_at_win IS NULL THEN k.cl + k.l0 ELSE k.cl - k.cl_at_win END
                   END AS loss_streak,
                   -- the last round at the running peak so far (where the current fall started)
                   max(CASE WHEN k.cum = k.peak THEN k.i END) OVER w AS peak_i,
                   max(k.peak - k.cum) OVER p AS worst_fall,
                   count(*) OVER p AS n
              FROM peaks k
            WINDOW w AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                      k.platform_code
                         ORDER BY k.round_number, k.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                   p AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                      k.platform_code)
        ),
        -- The rows the summary needs values of (the last one, the trough of the worst fall, the last
        -- win and loss, the peaks the falls started from), marked with whole-partition windows: no
        -- join back to the rows.
        marks AS (
            SELECT f.*,
                   min(CASE WHEN f.fall = f.worst_fall THEN f.i END) OVER p AS worst_i,
                   max(CASE WHEN f.outcome = 'WIN' THEN f.i END) OVER p AS last_win_i,
                   max(CASE WHEN f.outcome = 'LOSS' THEN f.i END) OVER p AS last_loss_i,
                   max(CASE WHEN f.i = f.n THEN f.peak_i END) OVER p AS end_peak_i
              FROM falls f
            WINDOW p AS (PARTITION BY f.bot_id, f.session_id, f.strategy_name, f.game_name,
                                      f.platform_code)
        ),
        marks2 AS (
            SELECT m.*,
                   max(CASE WHEN m.i = m.worst_i THEN m.peak_i END) OVER p AS worst_peak_i
              FROM marks m
            WINDOW p AS (PARTITION BY m.bot_id, m.session_id, m.strategy_name, m.game_name,
                                      m.platform_code)
        ),
        agg AS (
            SELECT bot_id, session_id, strategy_name, game_name, platform_code,
                   count(*) AS rounds,
                   sum(CASE WHEN outcome = 'WIN' THEN 1 ELSE 0 END) AS wins,
                   sum(CASE WHEN outcome = 'LOSS' THEN 1 ELSE 0 END) AS losses,
                   sum(CASE WHEN outcome = 'SKIP' THEN 1 ELSE 0 END) AS skips,
                   sum(CASE WHEN outcome = 'ERROR' THEN 1 ELSE 0 END) AS errors,
                   sum(bet) AS bets,
                   sum(CASE WHEN bet = 1 THEN stake ELSE 0 END) AS total_staked,
                   sum(profit) AS total_profit,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf END), 0) AS sum_profit,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf * pf END), 0) AS sum_profit_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN sf END), 0) AS sum_stake,
                   coalesce(sum(CASE WHEN bet = 1 THEN sf * sf END), 0) AS sum_stake_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf * sf END), 0) AS sum_profit_stake,
                   coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf END), 0) AS sum_gain,
                   coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf * pf END), 0) AS sum_gain_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf / sf END), 0) AS sum_return,
                   coalesce(sum(CASE WHEN bet = 1 THEN (pf / sf) * (pf / sf) END), 0) AS sum_return_sq,
                   count(crash) AS crash_count,
                   sum(crash) AS crash_sum,
                   min(crash) AS crash_min,
                   max(crash) AS crash_max,
                   max(profit) AS largest_win,
                   min(profit) AS largest_loss,
                   min(ts) AS first_ts,
                   max(ts) AS last_ts,
                   max(te) AS last_end_ts,
                   max(base) AS base,
                   max(peak) AS peak,
                   max(fall) AS max_fall,
                   max(fall_pct) AS max_fall_pct,
                   max(win_streak) AS longest_win,
                   max(loss_streak) AS longest_loss,
                   max(last_win_i) AS last_win_i,
                   max(last_loss_i) AS last_loss_i,
                   max(end_peak_i) AS end_peak_i,
                   max(worst_peak_i) AS worst_peak_i,
                   max(CASE WHEN i = n THEN round_number END) AS last_round,
                   max(CASE WHEN i = n THEN bet_slot END) AS last_slot,
                   max(CASE WHEN i = n THEN balance_after END) AS last_balance,
                   max(CASE WHEN i = worst_i THEN round_number END) AS worst_round,
                   max(CASE WHEN i = worst_i THEN ts END) AS worst_ts,
                   max(CASE WHEN i = last_win_i THEN win_streak END) AS trail_win,
                   max(CASE WHEN i = last_loss_i THEN loss_streak END) AS trail_loss,
                   max(CASE WHEN i = end_peak_i THEN round_number END) AS peak_round,
                   max(CASE WHEN i = end_peak_i THEN ts END) AS peak_ts,
                   max(CASE WHEN i = worst_peak_i THEN round_number END) AS start_round,
                   max(CASE WHEN i = worst_peak_i THEN ts END) AS start_ts
              FROM marks2
             GROUP BY bot_id, session_id, strategy_name, game_name, platform_code
        )
        SELECT a.bot_id, a.session_id, a.strategy_name, a.game_name, a.platform_code,
               coalesce(p.rounds, 0) + a.rounds AS rounds,
               coalesce(p.wins, 0) + a.wins AS wins,
               coalesce(p.losses, 0) + a.losses AS losses,
               coalesce(p.skips, 0) + a.skips AS skips,
               coalesce(p.errors, 0) + a.errors AS errors,
               coalesce(p.bets, 0) + a.bets AS bets,
               coalesce(p.total_staked, 0) + a.total_staked AS total_staked,
               coalesce(p.total_profit, 0) + a.total_profit AS total_profit,
               coalesce(p.sum_profit, 0) + a.sum_profit AS sum_profit,
               coalesce(p.sum_profit_sq, 0) + a.sum_profit_sq AS sum_profit_sq,
               coalesce(p.sum_stake, 0) + a.sum_stake AS sum_stake,
               coalesce(p.sum_stake_sq, 0) + a.sum_stake_sq AS sum_stake_sq,
               coalesce(p.sum_profit_stake, 0) + a.sum_profit_stake AS sum_profit_stake,
               coalesce(p.sum_gain, 0) + a.sum_gain AS sum_gain,
               coalesce(p.sum_gain_sq, 0) + a.sum_gain_sq AS sum_gain_sq,
               coalesce(p.sum_return, 0) + a.sum_return AS sum_return,
               coalesce(p.sum_return_sq, 0) + a.sum_return_sq AS sum_return_sq,
               coalesce(p.crash_count, 0) + a.crash_count AS crash_count,
               CASE WHEN p.crash_sum IS NULL THEN a.crash_sum
                    WHEN a.crash_sum IS NULL THEN p.crash_sum
                    ELSE p.crash_sum + a.crash_sum END AS crash_sum,
               CASE WHEN p.crash_min IS NULL OR a.crash_min < p.crash_min
                    THEN a.crash_min ELSE p.crash_min END AS crash_min,
               CASE WHEN p.crash_max IS NULL OR a.crash_max > p.crash_max
                    THEN a.crash_max ELSE p.crash_max END AS crash_max,
               CASE WHEN p.largest_win IS NULL OR a.largest_win > p.largest_win
                    THEN a.largest_win ELSE p.largest_win END AS largest_win,
               CASE WHEN p.largest_loss IS NULL OR a.largest_loss < p.largest_loss
                    THEN a.largest_loss ELSE p.largest_loss END AS largest_loss,
               CASE WHEN p.first_ts IS NULL OR a.first_ts < p.first_ts
                    THEN a.first_ts ELSE p.first_ts END AS first_ts,
               CASE WHEN p.last_ts IS NULL OR a.last_ts > p.last_ts
                    THEN a.last_ts ELSE p.last_ts END AS last_ts,
               CASE WHEN p.last_end_ts IS NULL OR a.last_end_ts > p.last_end_ts
                    THEN a.last_end_ts ELSE p.last_end_ts END AS last_end_ts,
               CASE WHEN p.bot_id IS NULL THEN a.base ELSE p.first_balance END AS first_balance,
               a.last_balance,
               a.last_round,
               a.last_slot,
               a.peak,
               CASE WHEN a.end_peak_i IS NULL THEN p.peak_round ELSE a.peak_round END AS peak_round,
               CASE WHEN a.end_peak_i IS NULL THEN p.peak_ts ELSE a.peak_ts END AS peak_ts,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.max_fall ELSE coalesce(p.max_drawdown, 0) END AS max_drawdown,
               CASE WHEN p.max_drawdown_pct IS NULL OR a.max_fall_pct > p.max_drawdown_pct
                    THEN a.max_fall_pct ELSE p.max_drawdown_pct END AS max_drawdown_pct,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_round ELSE a.start_round END
                    ELSE p.drawdown_start_round END AS drawdown_start_round,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_ts ELSE a.start_ts END
                    ELSE p.drawdown_start_ts END AS drawdown_start_ts,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.worst_round ELSE p.drawdown_end_round END AS drawdown_end_round,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.worst_ts ELSE p.drawdown_end_ts END AS drawdown_end_ts,
               CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.win_run, 0)
                    WHEN coalesce(a.last_win_i, 0) > coalesce(a.last_loss_i, 0) THEN a.trail_win
                    ELSE 0 END AS win_run,
               CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.loss_run, 0)
                    WHEN coalesce(a.last_loss_i, 0) > coalesce(a.last_win_i, 0) THEN a.trail_loss
                    ELSE 0 END AS loss_run,
               CASE WHEN coalesce(a.longest_win, 0) > coalesce(p.longest_win, 0)
                    THEN coalesce(a.longest_win, 0) ELSE coalesce(p.longest_win, 0) END AS longest_win,
               CASE WHEN coalesce(a.longest_loss, 0) > coalesce(p.longest_loss, 0)
                    THEN coalesce(a.longest_loss, 0) ELSE coalesce(p.longest_loss, 0) END AS longest_loss
          FROM agg a
          LEFT JOIN seed p
            ON p.bot_id = a.bot_id AND p.session_id = a.session_id
           AND p.strategy_name = a.strategy_name AND p.game_name = a.game_name
           AND p.platform_code = a.platform_code
               ) AS f
         WHERE true
            ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
            DO UPDATE SET rounds = excluded.rounds, wins = excluded.wins, losses = excluded.losses, skips = excluded.skips, errors = excluded.errors, bets = excluded.bets, total_staked = excluded.total_staked, total_profit = excluded.total_profit, sum_profit = excluded.sum_profit, sum_profit_sq = excluded.sum_profit_sq, sum_stake = excluded.sum_stake, sum_stake_sq = excluded.sum_stake_sq, sum_profit_stake = excluded.sum_profit_stake, sum_gain = excluded.sum_gain, sum_gain_sq = excluded.sum_gain_sq, sum_return = excluded.sum_return, sum_return_sq = excluded.sum_return_sq, crash_count = excluded.crash_count, crash_sum = excluded.crash_sum, crash_min = excluded.crash_min, crash_max = excluded.crash_max, largest_win = excluded.largest_win, largest_loss = excluded.largest_loss, first_ts = excluded.first_ts, last_ts = excluded.last_ts, last_end_ts = excluded.last_end_ts, first_balance = excluded.first_balance, last_balance = excluded.last_balance, last_round = excluded.last_round, last_slot = excluded.last_slot, peak = excluded.peak, peak_round = excluded.peak_round, peak_ts = excluded.peak_ts, max_drawdown = excluded.max_drawdown, max_drawdown_pct = excluded.max_drawdown_pct, drawdown_start_round = excluded.drawdown_start_round, drawdown_start_ts = excluded.drawdown_start_ts, drawdown_end_round = excluded.drawdown_end_round, drawdown_end_ts = excluded.drawdown_end_ts, win_run = excluded.win_run, loss_run = excluded.loss_run, longest_win = excluded.longest_win, longest_loss = excluded.longest_loss, dirty = false;
        DELETE FROM run_summaries WHERE dirty;
    END IF;
    UPDATE session_logs
       SET total_rounds = t.rounds,
           total_wins = t.wins,
           total_losses = t.losses,
           total_profit = t.total_profit,
           current_balance = CASE
               WHEN t.last_balance IS NOT NULL
                AND (session_logs.last_round_number IS NULL
                     OR t.last_round >= session_logs.last_round_number)
               THEN t.last_balance ELSE session_logs.current_balance END,
           last_round_number = t.last_round
      FROM (
            SELECT k.bot_id, k.session_id,
                   coalesce(sum(r.rounds), 0) AS rounds,
                   coalesce(sum(r.wins), 0) AS wins,
                   coalesce(sum(r.losses), 0) AS losses,
                   coalesce(sum(r.total_profit), 0) AS total_profit,
                   max(r.last_round) AS last_round,
                   (SELECT x.last_balance
                      FROM run_summaries x
                     WHERE x.bot_id = k.bot_id AND x.session_id = k.session_id
                     ORDER BY x.last_round DESC NULLS LAST, x.last_slot DESC NULLS LAST
                     LIMIT 1) AS last_balance
              FROM (SELECT DISTINCT bot_id, session_id FROM old_rounds AS s0) AS k
              LEFT JOIN run_summaries r ON r.bot_id = k.bot_id AND r.session_id = k.session_id
             GROUP BY k.bot_id, k.session_id
           ) AS t
     WHERE session_logs.bot_id = t.bot_id AND session_logs.session_id = t.session_id;
    INSERT INTO game_round_summaries (game_name, platform_code, round_external_id,
                                           crash_multiplier, crash_multiplier_max,
                                           round_start_timestamp, round_number, reports, dirty)
    SELECT game_name, platform_code, round_external_id, min(crash_multiplier),
           min(crash_multiplier), min(round_start_timestamp), min(round_number), 0, true
      FROM old_rounds AS n
     WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
       AND crash_multiplier IS NOT NULL AND is_valid
     GROUP BY game_name, platform_code, round_external_id
     ORDER BY 1, 2, 3
        ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET dirty = true;
    IF EXISTS (SELECT 1 FROM game_round_summaries WHERE dirty) THEN
        INSERT INTO game_round_summaries AS g (game_name, platform_code, round_external_id,
                                               crash_multiplier, crash_multiplier_max,
                                               round_start_timestamp, round_number, reports)
        SELECT f.*
          FROM (
        SELECT game_name, platform_code, round_external_id,
               min(crash_multiplier) AS crash_multiplier,
               max(crash_multiplier_max) AS crash_multiplier_max,
               min(round_start_timestamp) AS round_start_timestamp,
               min(round_number) AS round_number,
               sum(reports) AS reports
          FROM (
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier_max, round_start_timestamp, round_number, reports
                  FROM game_round_summaries
                 WHERE false
                UNION ALL
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier, round_start_timestamp, round_number, 1
                  FROM (SELECT c.*
           FROM crash_game_rounds AS c
           JOIN game_round_summaries AS d
             ON d.game_name = c.game_name AND d.platform_code = c.platform_code
            AND d.round_external_id = c.round_external_id
          WHERE d.dirty) AS reports_to_fold
                 WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
                   AND crash_multiplier IS NOT NULL AND is_valid
               ) AS reports
         GROUP BY game_name, platform_code, round_external_id
               ) AS f
         WHERE true
            ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
               crash_multiplier = excluded.crash_multiplier,
               crash_multiplier_max = excluded.crash_multiplier_max,
               round_start_timestamp = excluded.round_start_timestamp,
               round_number = excluded.round_number,
               reports = excluded.reports,
               dirty = false;
        DELETE FROM game_round_summaries WHERE dirty;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_rounds_after_update() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
BEGIN
    PERFORM 1
       FROM session_logs s
       JOIN (SELECT bot_id, session_id FROM old_rounds
             UNION SELECT bot_id, session_id FROM new_rounds) k
         ON s.bot_id = k.bot_id AND s.session_id = k.session_id
      ORDER BY s.bot_id, s.session_id
        FOR NO KEY UPDATE OF s;
    INSERT INTO run_summaries (bot_id, session_id, strategy_name, game_name, platform_code,
                                    dirty)
    SELECT DISTINCT bot_id, session_id, coalesce(strategy_name, ''), game_name,
           coalesce(platform_code, ''), true
      FROM (SELECT * FROM old_rounds UNION ALL SELECT * FROM new_rounds) AS n
     WHERE true
     ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
        DO UPDATE SET dirty = true;
    IF EXISTS (SELECT 1 FROM run_summaries WHERE dirty) THEN
        INSERT INTO run_summaries AS r (bot_id, session_id, strategy_name, game_name, platform_code, rounds, wins, losses, skips, errors, bets, total_staked, total_profit, sum_profit, sum_profit_sq, sum_stake, sum_stake_sq, sum_profit_stake, sum_gain, sum_gain_sq, sum_return, sum_return_sq, crash_count, crash_sum, crash_min, crash_max, largest_win, largest_loss, first_ts, last_ts, last_end_ts, first_balance, last_balance, last_round, last_slot, peak, peak_round, peak_ts, max_drawdown, max_drawdown_pct, drawdown_start_round, drawdown_start_ts, drawdown_end_round, drawdown_end_ts, win_run, loss_run, longest_win, longest_loss, dirty)
        SELECT f.*, false
          FROM (
        WITH src AS (
            SELECT bot_id COLLATE "C" AS bot_id, session_id COLLATE "C" AS session_id,
                   coalesce(strategy_name, '') COLLATE "C" AS strategy_name, game_name COLLATE "C" AS game_name,
                   coalesce(platform_code, '') COLLATE "C" AS platform_code,
                   round_number, bet_slot,
                   round_start_timestamp AS ts,
                   coalesce(round_end_timestamp, round_start_timestamp) AS te,
                   round_outcome AS outcome,
                   profit_loss AS profit,
                   stake_value AS stake,
                   crash_multiplier AS crash,
                   running_balance_before AS balance_before,
                   running_balance_after AS balance_after,
                   CASE WHEN stake_value > 0 AND round_outcome <> 'SKIP' THEN 1 ELSE 0 END AS bet,
                   CAST(profit_loss AS DOUBLE PRECISION) AS pf,
                   CAST(stake_value AS DOUBLE PRECISION) AS sf
              FROM (SELECT c.*
           FROM crash_game_rounds AS c
           JOIN run_summaries AS d
             ON d.bot_id = c.bot_id AND d.session_id = c.session_id
            AND d.strategy_name = coalesce(c.strategy_name, '') AND d.game_name = c.game_name
            AND d.platform_code = coalesce(c.platform_code, '')
          WHERE d.dirty) AS rounds_to_fold
        ),
        seed AS (
            SELECT * FROM run_summaries WHERE false
        ),
        seq AS (
            SELECT s.*,
                   coalesce(p.total_profit, 0) + sum(s.profit) OVER w AS cum,
                   sum(CASE WHEN s.outcome = 'WIN' THEN 1 ELSE 0 END) OVER w AS cw,
                   sum(CASE WHEN s.outcome = 'LOSS' THEN 1 ELSE 0 END) OVER w AS cl,
                   row_number() OVER w AS i,
                   CASE WHEN p.bot_id IS NULL THEN first_value(s.balance_before) OVER w
                        ELSE p.first_balance END AS base,
                   coalesce(p.peak, 0) AS p0,
                   coalesce(p.win_run, 0) AS w0,
                   coalesce(p.loss_run, 0) AS l0
              FROM src s
              LEFT JOIN seed p
                ON p.bot_id = s.bot_id AND p.session_id = s.session_id
               AND p.strategy_name = s.strategy_name AND p.game_name = s.game_name
               AND p.platform_code = s.platform_code
            WINDOW w AS (PARTITION BY s.bot_id, s.session_id, s.strategy_name, s.game_name,
                                      s.platform_code
                         ORDER BY s.round_number, s.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        peaks AS (
            SELECT q.*,
                   CASE WHEN max(q.cum) OVER w > q.p0 THEN max(q.cum) OVER w ELSE q.p0 END AS peak,
                   max(CASE WHEN q.outcome = 'LOSS' THEN q.cw END) OVER w AS cw_at_loss,
                   max(CASE WHEN q.outcome = 'WIN' THEN q.cl END) OVER w AS cl_at_win
              FROM seq q
            WINDOW w AS (PARTITION BY q.bot_id, q.session_id, q.strategy_name, q.game_name,
                                      q.platform_code
                         ORDER BY q.round_number, q.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        falls AS (
            SELECT k.*,
                   k.peak - k.cum AS fall,
                   CASE WHEN k.base IS NOT NULL AND k.base + k.peak <> 0
                        THEN CAST(k.peak - k.cum AS DOUBLE PRECISION)
                             / CAST(k.base + k.peak AS DOUBLE PRECISION) END AS fall_pct,
                   CASE WHEN k.outcome = 'WIN' THEN
                        CASE WHEN k.cw_at_loss IS NULL THEN k.cw + k.w0 ELSE k.cw - k.cw_at_loss END
                   END AS win_streak,
                   CASE WHEN k.outcome = 'LOSS' THEN
                        CASE WHEN k.cl_at_win IS NULL THEN k.cl + k.l0 ELSE k.cl - k.cl_at_win END
                   END AS loss_streak,
                   -- the last round at the running peak so far (where the current fall started)
                   max(CASE WHEN k.cum = k.peak THEN k.i END) OVER w AS peak_i,
                   max(k.peak - k.cum) OVER p AS worst_fall,
                   count(*) OVER p AS n
              FROM peaks k
            WINDOW w AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                      k.platform_code
                         ORDER BY k.round_number, k.bet_slot
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                   p AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                                      k.platform_code)
        ),
        -- The rows the summary needs values of (the last one, the trough of the worst fall, the last
        -- win and loss, the peaks the falls started from), marked with whole-partition windows: no
        -- join back to the rows.
        marks AS (
            SELECT f.*,
                   min(CASE WHEN f.fall = f.worst_fall THEN f.i END) OVER p AS worst_i,
                   max(CASE WHEN f.outcome = 'WIN' THEN f.i END) OVER p AS last_win_i,
                   max(CASE WHEN f.outcome = 'LOSS' THEN f.i END) OVER p AS last_loss_i,
                   max(CASE WHEN f.i = f.n THEN f.peak_i END) OVER p AS end_peak_i
              FROM falls f
            WINDOW p AS (PARTITION BY f.bot_id, f.session_id, f.strategy_name, f.game_name,
                                      f.platform_code)
        ),
        marks2 AS (
            SELECT m.*,
                   max(CASE WHEN m.i = m.worst_i THEN m.peak_i END) OVER p AS worst_peak_i
              FROM marks m
            WINDOW p AS (PARTITION BY m.bot_id, m.session_id, m.strategy_name, m.game_name,
                                      m.platform_code)
        ),
        agg AS (
            SELECT bot_id, session_id, strategy_name, game_name, platform_code,
                   count(*) AS rounds,
                   sum(CASE WHEN outcome = 'WIN' THEN 1 ELSE 0 END) AS wins,
                   sum(CASE WHEN outcome = 'LOSS' THEN 1 ELSE 0 END) AS losses,
                   sum(CASE WHEN outcome = 'SKIP' THEN 1 ELSE 0 END) AS skips,
                   sum(CASE WHEN outcome = 'ERROR' THEN 1 ELSE 0 END) AS errors,
                   sum(bet) AS bets,
                   sum(CASE WHEN bet = 1 THEN stake ELSE 0 END) AS total_staked,
                   sum(profit) AS total_profit,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf END), 0) AS sum_profit,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf * pf END), 0) AS sum_profit_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN sf END), 0) AS sum_stake,
                   coalesce(sum(CASE WHEN bet = 1 THEN sf * sf END), 0) AS sum_stake_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf * sf END), 0) AS sum_profit_stake,
                   coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf END), 0) AS sum_gain,
                   coalesce(sum(CASE WHEN bet = 1 AND pf > 0 THEN pf * pf END), 0) AS sum_gain_sq,
                   coalesce(sum(CASE WHEN bet = 1 THEN pf / sf END), 0) AS sum_return,
                   coalesce(sum(CASE WHEN bet = 1 THEN (pf / sf) * (pf / sf) END), 0) AS sum_return_sq,
                   count(crash) AS crash_count,
                   sum(crash) AS crash_sum,
                   min(crash) AS crash_min,
                   max(crash) AS crash_max,
                   max(profit) AS largest_win,
                   min(profit) AS largest_loss,
                   min(ts) AS first_ts,
                   max(ts) AS last_ts,
                   max(te) AS last_end_ts,
                   max(base) AS base,
                   max(peak) AS peak,
                   max(fall) AS max_fall,
                   max(fall_pct) AS max_fall_pct,
                   max(win_streak) AS longest_win,
                   max(loss_streak) AS longest_loss,
                   max(last_win_i) AS last_win_i,
                   max(last_loss_i) AS last_loss_i,
                   max(end_peak_i) AS end_peak_i,
                   max(worst_peak_i) AS worst_peak_i,
                   max(CASE WHEN i = n THEN round_number END) AS last_round,
                   max(CASE WHEN i = n THEN bet_slot END) AS last_slot,
                   max(CASE WHEN i = n THEN balance_after END) AS last_balance,
                   max(CASE WHEN i = worst_i THEN round_number END) AS worst_round,
                   max(CASE WHEN i = worst_i THEN ts END) AS worst_ts,
                   max(CASE WHEN i = last_win_i THEN win_streak END) AS trail_win,
                   max(CASE WHEN i = last_loss_i THEN loss_streak END) AS trail_loss,
                   max(CASE WHEN i = end_peak_i THEN round_number END) AS peak_round,
                   max(CASE WHEN i = end_peak_i THEN ts END) AS peak_ts,
                   max(CASE WHEN i = worst_peak_i THEN round_number END) AS start_round,
                   max(CASE WHEN i = worst_peak_i THEN ts END) AS start_ts
              FROM marks2
             GROUP BY bot_id, session_id, strategy_name, game_name, platform_code
        )
        SELECT a.bot_id, a.session_id, a.strategy_name, a.game_name, a.platform_code,
               coalesce(p.rounds, 0) + a.rounds AS rounds,
               coalesce(p.wins, 0) + a.wins AS wins,
               coalesce(p.losses, 0) + a.losses AS losses,
               coalesce(p.skips, 0) + a.skips AS skips,
               coalesce(p.errors, 0) + a.errors AS errors,
               coalesce(p.bets, 0) + a.bets AS bets,
               coalesce(p.total_staked, 0) + a.total_staked AS total_staked,
               coalesce(p.total_profit, 0) + a.total_profit AS total_profit,
               coalesce(p.sum_profit, 0) + a.sum_profit AS sum_profit,
               coalesce(p.sum_profit_sq, 0) + a.sum_profit_sq AS sum_profit_sq,
               coalesce(p.sum_stake, 0) + a.sum_stake AS sum_stake,
               coalesce(p.sum_stake_sq, 0) + a.sum_stake_sq AS sum_stake_sq,
               coalesce(p.sum_profit_stake, 0) + a.sum_profit_stake AS sum_profit_stake,
               coalesce(p.sum_gain, 0) + a.sum_gain AS sum_gain,
               coalesce(p.sum_gain_sq, 0) + a.sum_gain_sq AS sum_gain_sq,
               coalesce(p.sum_return, 0) + a.sum_return AS sum_return,
               coalesce(p.sum_return_sq, 0) + a.sum_return_sq AS sum_return_sq,
               coalesce(p.crash_count, 0) + a.crash_count AS crash_count,
               CASE WHEN p.crash_sum IS NULL THEN a.crash_sum
                    WHEN a.crash_sum IS NULL THEN p.crash_sum
                    ELSE p.crash_sum + a.crash_sum END AS crash_sum,
               CASE WHEN p.crash_min IS NULL OR a.crash_min < p.crash_min
                    THEN a.crash_min ELSE p.crash_min END AS crash_min,
               CASE WHEN p.crash_max IS NULL OR a.crash_max > p.crash_max
                    THEN a.crash_max ELSE p.crash_max END AS crash_max,
               CASE WHEN p.largest_win IS NULL OR a.largest_win > p.largest_win
                    THEN a.largest_win ELSE p.largest_win END AS largest_win,
               CASE WHEN p.largest_loss IS NULL OR a.largest_loss < p.largest_loss
                    THEN a.largest_loss ELSE p.largest_loss END AS largest_loss,
               CASE WHEN p.first_ts IS NULL OR a.first_ts < p.first_ts
                    THEN a.first_ts ELSE p.first_ts END AS first_ts,
               CASE WHEN p.last_ts IS NULL OR a.last_ts > p.last_ts
                    THEN a.last_ts ELSE p.last_ts END AS last_ts,
               CASE WHEN p.last_end_ts IS NULL OR a.last_end_ts > p.last_end_ts
                    THEN a.last_end_ts ELSE p.last_end_ts END AS last_end_ts,
               CASE WHEN p.bot_id IS NULL THEN a.base ELSE p.first_balance END AS first_balance,
               a.last_balance,
               a.last_round,
               a.last_slot,
               a.peak,
               CASE WHEN a.end_peak_i IS NULL THEN p.peak_round ELSE a.peak_round END AS peak_round,
               CASE WHEN a.end_peak_i IS NULL THEN p.peak_ts ELSE a.peak_ts END AS peak_ts,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.max_fall ELSE coalesce(p.max_drawdown, 0) END AS max_drawdown,
               CASE WHEN p.max_drawdown_pct IS NULL OR a.max_fall_pct > p.max_drawdown_pct
                    THEN a.max_fall_pct ELSE p.max_drawdown_pct END AS max_drawdown_pct,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_round ELSE a.start_round END
                    ELSE p.drawdown_start_round END AS drawdown_start_round,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN CASE WHEN a.worst_peak_i IS NULL THEN p.peak_ts ELSE a.start_ts END
                    ELSE p.drawdown_start_ts END AS drawdown_start_ts,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.worst_round ELSE p.drawdown_end_round END AS drawdown_end_round,
               CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
                    THEN a.worst_ts ELSE p.drawdown_end_ts END AS drawdown_end_ts,
               CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.win_run, 0)
                    WHEN coalesce(a.last_win_i, 0) > coalesce(a.last_loss_i, 0) THEN a.trail_win
                    ELSE 0 END AS win_run,
               CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.loss_run, 0)
                    WHEN coalesce(a.last_loss_i, 0) > coalesce(a.last_win_i, 0) THEN a.trail_loss
                    ELSE 0 END AS loss_run,
               CASE WHEN coalesce(a.longest_win, 0) > coalesce(p.longest_win, 0)
                    THEN coalesce(a.longest_win, 0) ELSE coalesce(p.longest_win, 0) END AS longest_win,
               CASE WHEN coalesce(a.longest_loss, 0) > coalesce(p.longest_loss, 0)
                    THEN coalesce(a.longest_loss, 0) ELSE coalesce(p.longest_loss, 0) END AS longest_loss
          FROM agg a
          LEFT JOIN seed p
            ON p.bot_id = a.bot_id AND p.session_id = a.session_id
           AND p.strategy_name = a.strategy_name AND p.game_name = a.game_name
           AND p.platform_code = a.platform_code
               ) AS f
         WHERE true
            ON CONFLICT (bot_id, session_id, strategy_name, game_name, platform_code)
            DO UPDATE SET rounds = excluded.rounds, wins = excluded.wins, losses = excluded.losses, skips = excluded.skips, errors = excluded.errors, bets = excluded.bets, total_staked = excluded.total_staked, total_profit = excluded.total_profit, sum_profit = excluded.sum_profit, sum_profit_sq = excluded.sum_profit_sq, sum_stake = excluded.sum_stake, sum_stake_sq = excluded.sum_stake_sq, sum_profit_stake = excluded.sum_profit_stake, sum_gain = excluded.sum_gain, sum_gain_sq = excluded.sum_gain_sq, sum_return = excluded.sum_return, sum_return_sq = excluded.sum_return_sq, crash_count = excluded.crash_count, crash_sum = excluded.crash_sum, crash_min = excluded.crash_min, crash_max = excluded.crash_max, largest_win = excluded.largest_win, largest_loss = excluded.largest_loss, first_ts = excluded.first_ts, last_ts = excluded.last_ts, last_end_ts = excluded.last_end_ts, first_balance = excluded.first_balance, last_balance = excluded.last_balance, last_round = excluded.last_round, last_slot = excluded.last_slot, peak = excluded.peak, peak_round = excluded.peak_round, peak_ts = excluded.peak_ts, max_drawdown = excluded.max_drawdown, max_drawdown_pct = excluded.max_drawdown_pct, drawdown_start_round = excluded.drawdown_start_round, drawdown_start_ts = excluded.drawdown_start_ts, drawdown_end_round = excluded.drawdown_end_round, drawdown_end_ts = excluded.drawdown_end_ts, win_run = excluded.win_run, loss_run = excluded.loss_run, longest_win = excluded.longest_win, longest_loss = excluded.longest_loss, dirty = false;
        DELETE FROM run_summaries WHERE dirty;
    END IF;
    UPDATE session_logs
       SET total_rounds = t.rounds,
           total_wins = t.wins,
           total_losses = t.losses,
           total_profit = t.total_profit,
           current_balance = CASE
               WHEN t.last_balance IS NOT NULL
                AND (session_logs.last_round_number IS NULL
                     OR t.last_round >= session_logs.last_round_number)
               THEN t.last_balance ELSE session_logs.current_balance END,
           last_round_number = t.last_round
      FROM (
            SELECT k.bot_id, k.session_id,
                   coalesce(sum(r.rounds), 0) AS rounds,
                   coalesce(sum(r.wins), 0) AS wins,
                   coalesce(sum(r.losses), 0) AS losses,
                   coalesce(sum(r.total_profit), 0) AS total_profit,
                   max(r.last_round) AS last_round,
                   (SELECT x.last_balance
                      FROM run_summaries x
                     WHERE x.bot_id = k.bot_id AND x.session_id = k.session_id
                     ORDER BY x.last_round DESC NULLS LAST, x.last_slot DESC NULLS LAST
                     LIMIT 1) AS last_balance
              FROM (SELECT DISTINCT bot_id, session_id FROM (SELECT * FROM old_rounds UNION ALL SELECT * FROM new_rounds) AS s0) AS k
              LEFT JOIN run_summaries r ON r.bot_id = k.bot_id AND r.session_id = k.session_id
             GROUP BY k.bot_id, k.session_id
           ) AS t
     WHERE session_logs.bot_id = t.bot_id AND session_logs.session_id = t.session_id;
    INSERT INTO game_round_summaries (game_name, platform_code, round_external_id,
                                           crash_multiplier, crash_multiplier_max,
                                           round_start_timestamp, round_number, reports, dirty)
    SELECT game_name, platform_code, round_external_id, min(crash_multiplier),
           min(crash_multiplier), min(round_start_timestamp), min(round_number), 0, true
      FROM (SELECT * FROM old_rounds UNION ALL SELECT * FROM new_rounds) AS n
     WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
       AND crash_multiplier IS NOT NULL AND is_valid
     GROUP BY game_name, platform_code, round_external_id
     ORDER BY 1, 2, 3
        ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET dirty = true;
    IF EXISTS (SELECT 1 FROM game_round_summaries WHERE dirty) THEN
        INSERT INTO game_round_summaries AS g (game_name, platform_code, round_external_id,
                                               crash_multiplier, crash_multiplier_max,
                                               round_start_timestamp, round_number, reports)
        SELECT f.*
          FROM (
        SELECT game_name, platform_code, round_external_id,
               min(crash_multiplier) AS crash_multiplier,
               max(crash_multiplier_max) AS crash_multiplier_max,
               min(round_start_timestamp) AS round_start_timestamp,
               min(round_number) AS round_number,
               sum(reports) AS reports
          FROM (
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier_max, round_start_timestamp, round_number, reports
                  FROM game_round_summaries
                 WHERE false
                UNION ALL
                SELECT game_name, platform_code, round_external_id, crash_multiplier,
                       crash_multiplier, round_start_timestamp, round_number, 1
                  FROM (SELECT c.*
           FROM crash_game_rounds AS c
           JOIN game_round_summaries AS d
             ON d.game_name = c.game_name AND d.platform_code = c.platform_code
            AND d.round_external_id = c.round_external_id
          WHERE d.dirty) AS reports_to_fold
                 WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL
                   AND crash_multiplier IS NOT NULL AND is_valid
               ) AS reports
         GROUP BY game_name, platform_code, round_external_id
               ) AS f
         WHERE true
            ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
               crash_multiplier = excluded.crash_multiplier,
               crash_multiplier_max = excluded.crash_multiplier_max,
               round_start_timestamp = excluded.round_start_timestamp,
               round_number = excluded.round_number,
               reports = excluded.reports,
               dirty = false;
        DELETE FROM game_round_summaries WHERE dirty;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_rounds_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE run_summaries, game_round_summaries;
    UPDATE session_logs
       SET total_rounds = 0, total_wins = 0, total_losses = 0, total_profit = 0,
           last_round_number = NULL
     WHERE total_rounds <> 0 OR last_round_number IS NOT NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_summaries_insert AFTER INSERT ON crash_game_rounds
REFERENCING NEW TABLE AS new_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_after_insert();

CREATE TRIGGER trg_crash_rounds_summaries_delete AFTER DELETE ON crash_game_rounds
REFERENCING OLD TABLE AS old_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_after_delete();

CREATE TRIGGER trg_crash_rounds_summaries_update AFTER UPDATE ON crash_game_rounds
REFERENCING OLD TABLE AS old_rounds NEW TABLE AS new_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_after_update();

CREATE TRIGGER trg_crash_rounds_summaries_truncate AFTER TRUNCATE ON crash_game_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_truncate();

CREATE VIEW mv_bot_daily_stats AS
SELECT bot_id,
       game_name,
       (round_start_timestamp AT TIME ZONE 'UTC')::date AS day,
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
 GROUP BY bot_id, game_name, (round_start_timestamp AT TIME ZONE 'UTC')::date;

CREATE TABLE api_tokens (
    id VARCHAR(32) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    role VARCHAR(32) NOT NULL,
    bot_id VARCHAR(64),
    name VARCHAR(128),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    revoked_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_api_tokens PRIMARY KEY (id),
    CONSTRAINT uq_api_tokens_token_hash UNIQUE (token_hash)
);

CREATE TABLE bot_heartbeats (
    bot_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(128),
    status VARCHAR(256),
    balance NUMERIC(18, 4),
    ocr_health NUMERIC(5, 4),
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_bot_heartbeats PRIMARY KEY (bot_id)
);

CREATE TABLE fleet_alerts (
    id BIGSERIAL NOT NULL,
    rule VARCHAR(32) NOT NULL,
    subject VARCHAR(128) NOT NULL,
    state VARCHAR(32) NOT NULL,
    severity VARCHAR(32) NOT NULL,
    message TEXT NOT NULL,
    value JSONB,
    started_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    last_notified_at TIMESTAMP WITH TIME ZONE,
    resolved_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_fleet_alerts PRIMARY KEY (id)
);

CREATE INDEX idx_fleet_alerts_state ON fleet_alerts (state, rule, subject);

CREATE INDEX idx_fleet_alerts_updated ON fleet_alerts (updated_at DESC);

CREATE TABLE alert_deliveries (
    id BIGSERIAL NOT NULL,
    alert_id BIGINT NOT NULL,
    event VARCHAR(32) NOT NULL,
    channel VARCHAR(128) NOT NULL,
    payload JSONB NOT NULL,
    status VARCHAR(32) NOT NULL,
    attempts INTEGER DEFAULT '0' NOT NULL,
    last_error VARCHAR(512),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    next_attempt_at TIMESTAMP WITH TIME ZONE,
    delivered_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_alert_deliveries PRIMARY KEY (id)
);

CREATE INDEX idx_alert_deliveries_pending ON alert_deliveries (status, next_attempt_at);

CREATE INDEX idx_alert_deliveries_alert ON alert_deliveries (alert_id);

INSERT INTO alembic_version (version_num) VALUES ('0001_initial') RETURNING alembic_version.version_num;

-- Running upgrade 0001_initial -> 0002_signal_summaries

CREATE TABLE signal_summaries (
    bot_id VARCHAR(64) NOT NULL,
    signal_type VARCHAR(64) NOT NULL,
    game_name VARCHAR(32) NOT NULL,
    target_multiplier NUMERIC(12, 2) NOT NULL,
    confidence_bin SMALLINT NOT NULL,
    signals BIGINT DEFAULT 0 NOT NULL,
    resolved BIGINT DEFAULT 0 NOT NULL,
    hits BIGINT DEFAULT 0 NOT NULL,
    with_confidence BIGINT DEFAULT 0 NOT NULL,
    hits_with_confidence BIGINT DEFAULT 0 NOT NULL,
    confidence_units BIGINT DEFAULT 0 NOT NULL,
    brier_units BIGINT DEFAULT 0 NOT NULL,
    CONSTRAINT pk_signal_summaries PRIMARY KEY (bot_id, signal_type, game_name, target_multiplier, confidence_bin)
);

UPDATE analytics_round_signals
   SET actual_multiplier = coalesce(actual_multiplier,
                                    (SELECT r.crash_multiplier FROM crash_game_rounds r
                                      WHERE r.id = analytics_round_signals.round_id)),
       game_name = coalesce(game_name,
                            (SELECT r.game_name FROM crash_game_rounds r
                              WHERE r.id = analytics_round_signals.round_id))
 WHERE round_id IS NOT NULL AND (actual_multiplier IS NULL OR game_name IS NULL);

CREATE FUNCTION crashdb_signals_round_game() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.game_name INTO NEW.game_name FROM crash_game_rounds r WHERE r.id = NEW.round_id;
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_signals_round_game BEFORE INSERT ON analytics_round_signals
FOR EACH ROW WHEN (NEW.game_name IS NULL AND NEW.round_id IS NOT NULL)
EXECUTE FUNCTION crashdb_signals_round_game();

CREATE FUNCTION crashdb_signals_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           count(*) AS signals,
           sum(resolved) AS resolved,
           sum(hit) AS hits,
           sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM new_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
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
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_insert AFTER INSERT ON analytics_round_signals
REFERENCING NEW TABLE AS new_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_insert();

CREATE FUNCTION crashdb_signals_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           -count(*) AS signals,
           -sum(resolved) AS resolved,
           -sum(hit) AS hits,
           -sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           -sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM old_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
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
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    DELETE FROM signal_summaries WHERE signals = 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_delete AFTER DELETE ON analytics_round_signals
REFERENCING OLD TABLE AS old_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_delete();

CREATE FUNCTION crashdb_signals_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           -count(*) AS signals,
           -sum(resolved) AS resolved,
           -sum(hit) AS hits,
           -sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           -sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           -sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM old_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
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
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                                  confidence_bin, signals, resolved, hits, with_confidence,
                                  hits_with_confidence, confidence_units, brier_units)
    SELECT c.*
      FROM (
    SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
           count(*) AS signals,
           sum(resolved) AS resolved,
           sum(hit) AS hits,
           sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
           sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
           sum(CASE WHEN confidence_bin >= 0
                          THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
               AS brier_units
      FROM (
            SELECT coalesce(bot_id, '') AS bot_id, signal_type,
                   coalesce(game_name, '') AS game_name,
                   coalesce(target_multiplier, 0) AS target_multiplier,
                   resolved, units,
                   CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
                   CASE WHEN resolved = 0 OR units IS NULL THEN -1
                        WHEN units >= 9000 THEN 9
                        WHEN units < 0 THEN 0
                        ELSE units / 1000 END AS confidence_bin
              FROM (
                    SELECT s.*,
                           CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                                  OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                                THEN 1 ELSE 0 END AS resolved,
                           CASE WHEN target_multiplier IS NULL
                                THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                                WHEN actual_multiplier >= target_multiplier THEN 1
                                ELSE 0 END AS hit,
                           CAST(confidence_score * 10000 AS BIGINT) AS units
                      FROM new_signals AS s
                   ) AS judged
           ) AS binned
     GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
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
           brier_units = signal_summaries.brier_units + excluded.brier_units;
    DELETE FROM signal_summaries WHERE signals = 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_update AFTER UPDATE ON analytics_round_signals
REFERENCING OLD TABLE AS old_signals NEW TABLE AS new_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_after_update();

CREATE FUNCTION crashdb_signals_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM signal_summaries;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_signals_summaries_truncate AFTER TRUNCATE ON analytics_round_signals
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_signals_truncate();

CREATE FUNCTION crashdb_rounds_signal_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE analytics_round_signals s
       SET actual_multiplier = coalesce(s.actual_multiplier, n.crash_multiplier),
           game_name = coalesce(s.game_name, n.game_name)
      FROM new_rounds n
     WHERE s.round_id = n.id
       AND ((s.actual_multiplier IS NULL AND n.crash_multiplier IS NOT NULL)
            OR (s.game_name IS NULL AND n.game_name IS NOT NULL));
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_signal_values AFTER UPDATE ON crash_game_rounds
REFERENCING NEW TABLE AS new_rounds
FOR EACH STATEMENT EXECUTE FUNCTION crashdb_rounds_signal_values();

INSERT INTO signal_summaries (bot_id, signal_type, game_name, target_multiplier,
                              confidence_bin, signals, resolved, hits, with_confidence,
                              hits_with_confidence, confidence_units, brier_units)
SELECT c.*
  FROM (
SELECT bot_id, signal_type, game_name, target_multiplier, confidence_bin,
       count(*) AS signals,
       sum(resolved) AS resolved,
       sum(hit) AS hits,
       sum(CASE WHEN confidence_bin >= 0 THEN 1 ELSE 0 END) AS with_confidence,
       sum(CASE WHEN confidence_bin >= 0 THEN hit ELSE 0 END) AS hits_with_confidence,
       sum(CASE WHEN confidence_bin >= 0 THEN units ELSE 0 END) AS confidence_units,
       sum(CASE WHEN confidence_bin >= 0
                      THEN (units - 10000 * hit) * (units - 10000 * hit) ELSE 0 END)
           AS brier_units
  FROM (
        SELECT coalesce(bot_id, '') AS bot_id, signal_type,
               coalesce(game_name, '') AS game_name,
               coalesce(target_multiplier, 0) AS target_multiplier,
               resolved, units,
               CASE WHEN resolved = 1 THEN hit ELSE 0 END AS hit,
               CASE WHEN resolved = 0 OR units IS NULL THEN -1
                    WHEN units >= 9000 THEN 9
                    WHEN units < 0 THEN 0
                    ELSE units / 1000 END AS confidence_bin
          FROM (
                SELECT s.*,
                       CASE WHEN (target_multiplier IS NOT NULL AND actual_multiplier IS NOT NULL)
                              OR (target_multiplier IS NULL AND signal_correctness IS NOT NULL)
                            THEN 1 ELSE 0 END AS resolved,
                       CASE WHEN target_multiplier IS NULL
                            THEN CASE WHEN signal_correctness THEN 1 ELSE 0 END
                            WHEN actual_multiplier >= target_multiplier THEN 1
                            ELSE 0 END AS hit,
                       CAST(confidence_score * 10000 AS BIGINT) AS units
                  FROM analytics_round_signals AS s
               ) AS judged
       ) AS binned
 GROUP BY bot_id, signal_type, game_name, target_multiplier, confidence_bin
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
       brier_units = signal_summaries.brier_units + excluded.brier_units;

UPDATE alembic_version SET version_num='0002_signal_summaries' WHERE alembic_version.version_num = '0001_initial';

-- Running upgrade 0002_signal_summaries -> 0003_json_null

ALTER TABLE bot_vm_registration DISABLE TRIGGER USER;

UPDATE bot_vm_registration SET metadata = NULL WHERE metadata = 'null'::jsonb;

ALTER TABLE bot_vm_registration ENABLE TRIGGER USER;

ALTER TABLE game_platform_config DISABLE TRIGGER USER;

UPDATE game_platform_config SET config = NULL WHERE config = 'null'::jsonb;

ALTER TABLE game_platform_config ENABLE TRIGGER USER;

ALTER TABLE session_logs DISABLE TRIGGER USER;

UPDATE session_logs SET metadata = NULL WHERE metadata = 'null'::jsonb;

ALTER TABLE session_logs ENABLE TRIGGER USER;

ALTER TABLE crash_game_rounds DISABLE TRIGGER USER;

UPDATE crash_game_rounds SET metadata = NULL WHERE metadata = 'null'::jsonb;

ALTER TABLE crash_game_rounds ENABLE TRIGGER USER;

ALTER TABLE analytics_round_signals DISABLE TRIGGER USER;

UPDATE analytics_round_signals SET feature_vector = NULL WHERE feature_vector = 'null'::jsonb;

ALTER TABLE analytics_round_signals ENABLE TRIGGER USER;

ALTER TABLE error_logs DISABLE TRIGGER USER;

UPDATE error_logs SET context = NULL WHERE context = 'null'::jsonb;

ALTER TABLE error_logs ENABLE TRIGGER USER;

ALTER TABLE fleet_alerts DISABLE TRIGGER USER;

UPDATE fleet_alerts SET value = NULL WHERE value = 'null'::jsonb;

ALTER TABLE fleet_alerts ENABLE TRIGGER USER;

UPDATE alembic_version SET version_num='0003_json_null' WHERE alembic_version.version_num = '0002_signal_summaries';

COMMIT;
