-- crashdb schema for PostgreSQL, generated from the Alembic migrations.
-- Do not edit: regenerate with `crashdb schema > src/crashdb/db/schema.sql`.

BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

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
    is_active BOOLEAN DEFAULT (true) NOT NULL,
    auto_registered BOOLEAN DEFAULT (false) NOT NULL,
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
    is_active BOOLEAN DEFAULT (true) NOT NULL,
    config JSONB,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_game_platform_config PRIMARY KEY (id),
    CONSTRAINT ck_game_platform_config_rtp_percent CHECK (rtp_percent IS NULL OR (rtp_percent > 0 AND rtp_percent <= 100)),
    CONSTRAINT uq_game_platform_config_game_name_platform_code UNIQUE (game_name, platform_code)
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
    total_profit NUMERIC(18, 4) DEFAULT '0' NOT NULL,
    last_round_number INTEGER,
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
    is_simulated BOOLEAN DEFAULT (false) NOT NULL,
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
    is_valid BOOLEAN DEFAULT (true) NOT NULL,
    metadata JSONB,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_crash_game_rounds PRIMARY KEY (id),
    CONSTRAINT ck_crash_game_rounds_round_outcome CHECK (round_outcome IN ('WIN', 'LOSS', 'SKIP', 'ERROR')),
    CONSTRAINT ck_crash_game_rounds_bet_slot CHECK (bet_slot >= 1),
    CONSTRAINT ck_crash_game_rounds_cashout_multiplier CHECK (cashout_multiplier IS NULL OR cashout_multiplier >= 1.00),
    CONSTRAINT ck_crash_game_rounds_crash_multiplier CHECK (crash_multiplier IS NULL OR crash_multiplier >= 1.00),
    CONSTRAINT ck_crash_game_rounds_ocr_confidence CHECK (ocr_confidence IS NULL OR (ocr_confidence >= 0 AND ocr_confidence <= 1)),
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

CREATE INDEX idx_crash_rounds_game_platform ON crash_game_rounds (game_name, platform_code);

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
    is_crash BOOLEAN DEFAULT (false) NOT NULL,
    is_cashout BOOLEAN DEFAULT (false) NOT NULL,
    is_max BOOLEAN DEFAULT (false) NOT NULL,
    ocr_confidence NUMERIC(5, 4),
    data_quality_score NUMERIC(5, 4),
    timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    date_bucket DATE NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
    CONSTRAINT pk_analytics_round_multipliers PRIMARY KEY (id),
    CONSTRAINT ck_analytics_round_multipliers_data_quality_score CHECK (data_quality_score IS NULL OR (data_quality_score >= 0 AND data_quality_score <= 1)),
    CONSTRAINT ck_analytics_round_multipliers_multiplier CHECK (multiplier >= 1.00),
    CONSTRAINT ck_analytics_round_multipliers_ocr_confidence CHECK (ocr_confidence IS NULL OR (ocr_confidence >= 0 AND ocr_confidence <= 1)),
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
    CONSTRAINT ck_analytics_round_signals_confidence_score CHECK (confidence_score IS NULL OR (confidence_score >= 0 AND confidence_score <= 1)),
    CONSTRAINT ck_analytics_round_signals_signal_strength CHECK (signal_strength IS NULL OR (signal_strength >= 0 AND signal_strength <= 1)),
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
    resolved BOOLEAN DEFAULT (false) NOT NULL,
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
    CONSTRAINT ck_ocr_validation_logs_confidence CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
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

CREATE INDEX idx_crash_rounds_metadata ON crash_game_rounds USING gin (metadata jsonb_path_ops);

CREATE FUNCTION crashdb_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_bot_vm_registration_updated_at BEFORE UPDATE ON bot_vm_registration FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_game_platform_config_updated_at BEFORE UPDATE ON game_platform_config FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_session_logs_updated_at BEFORE UPDATE ON session_logs FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_crash_game_rounds_updated_at BEFORE UPDATE ON crash_game_rounds FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE TRIGGER trg_analytics_round_signals_updated_at BEFORE UPDATE ON analytics_round_signals FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();

CREATE FUNCTION crashdb_session_totals_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock the affected sessions in one fixed order: concurrent batches cannot deadlock.
    PERFORM 1
      FROM session_logs s
      JOIN (SELECT DISTINCT bot_id, session_id FROM new_rounds) k
        ON s.bot_id = k.bot_id AND s.session_id = k.session_id
     ORDER BY s.bot_id, s.session_id
       FOR UPDATE OF s;

    UPDATE session_logs s SET
        total_rounds = s.total_rounds + a.n_rounds,
        total_wins = s.total_wins + a.n_wins,
        total_losses = s.total_losses + a.n_losses,
        total_profit = s.total_profit + a.profit,
        current_balance = CASE
            WHEN s.last_round_number IS NULL OR a.last_round >= s.last_round_number
            THEN COALESCE(a.last_balance, s.current_balance)
            ELSE s.current_balance END,
        last_round_number = GREATEST(COALESCE(s.last_round_number, a.last_round), a.last_round)
    FROM (
        SELECT bot_id, session_id,
               count(*) AS n_rounds,
               count(*) FILTER (WHERE round_outcome = 'WIN') AS n_wins,
               count(*) FILTER (WHERE round_outcome = 'LOSS') AS n_losses,
               COALESCE(sum(profit_loss), 0) AS profit,
               max(round_number) AS last_round,
               (array_agg(running_balance_after
                          ORDER BY round_number DESC, bet_slot DESC))[1] AS last_balance
          FROM new_rounds
         GROUP BY bot_id, session_id
    ) a
    WHERE s.bot_id = a.bot_id AND s.session_id = a.session_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_session_totals AFTER INSERT ON crash_game_rounds REFERENCING NEW TABLE AS new_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_session_totals_after_insert();

CREATE MATERIALIZED VIEW mv_bot_daily_stats AS
SELECT bot_id,
       game_name,
       (round_start_timestamp AT TIME ZONE 'UTC')::date AS day,
       count(*) AS rounds,
       count(*) FILTER (WHERE round_outcome = 'WIN') AS wins,
       count(*) FILTER (WHERE round_outcome = 'LOSS') AS losses,
       sum(stake_value) AS total_staked,
       sum(profit_loss) AS total_profit,
       avg(crash_multiplier) AS avg_crash_multiplier,
       max(crash_multiplier) AS max_crash_multiplier,
       min(running_balance_after) AS min_balance,
       max(running_balance_after) AS max_balance
  FROM crash_game_rounds
 GROUP BY bot_id, game_name, (round_start_timestamp AT TIME ZONE 'UTC')::date;

CREATE UNIQUE INDEX ux_mv_bot_daily_stats ON mv_bot_daily_stats (bot_id, game_name, day);

CREATE FUNCTION refresh_bot_daily_stats() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY mv_bot_daily_stats;
END
$$;

INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING alembic_version.version_num;

-- Running upgrade 0001 -> 0002_analytics

CREATE INDEX idx_crash_rounds_session_run ON crash_game_rounds (session_id, bot_id, round_number, bet_slot);

CREATE INDEX idx_crash_rounds_strategy_run ON crash_game_rounds (strategy_name, bot_id, session_id, round_number, bet_slot) INCLUDE (round_outcome, stake_value, profit_loss, running_balance_before, round_start_timestamp, round_end_timestamp, game_name);

CREATE INDEX idx_crash_rounds_game_round ON crash_game_rounds (game_name, platform_code, round_external_id) INCLUDE (crash_multiplier, round_start_timestamp, round_number, is_valid, bot_id, session_id);

CREATE INDEX idx_crash_rounds_game_ts ON crash_game_rounds (game_name, round_start_timestamp);

CREATE FUNCTION crashdb_signal_actual_multiplier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.actual_multiplier IS NULL AND NEW.round_id IS NOT NULL THEN
        SELECT r.crash_multiplier INTO NEW.actual_multiplier
          FROM crash_game_rounds r WHERE r.id = NEW.round_id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_signals_actual_multiplier BEFORE INSERT ON analytics_round_signals FOR EACH ROW EXECUTE FUNCTION crashdb_signal_actual_multiplier();

UPDATE analytics_round_signals
   SET actual_multiplier = (SELECT r.crash_multiplier FROM crash_game_rounds r
                             WHERE r.id = analytics_round_signals.round_id)
 WHERE actual_multiplier IS NULL AND round_id IS NOT NULL;

UPDATE alembic_version SET version_num='0002_analytics' WHERE alembic_version.version_num = '0001';

-- Running upgrade 0002_analytics -> 0003_session_totals

ALTER TABLE session_logs ALTER COLUMN last_round_number TYPE BIGINT;

CREATE OR REPLACE FUNCTION crashdb_session_totals_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock the affected sessions in one fixed order: concurrent batches cannot deadlock.
    PERFORM 1
      FROM session_logs s
      JOIN (SELECT DISTINCT bot_id, session_id FROM new_rounds) k
        ON s.bot_id = k.bot_id AND s.session_id = k.session_id
     ORDER BY s.bot_id, s.session_id
       FOR NO KEY UPDATE OF s;

    UPDATE session_logs s SET
        total_rounds = s.total_rounds + a.n_rounds,
        total_wins = s.total_wins + a.n_wins,
        total_losses = s.total_losses + a.n_losses,
        total_profit = s.total_profit + a.profit,
        current_balance = CASE
            WHEN s.last_round_number IS NULL OR a.last_round >= s.last_round_number
            THEN COALESCE(a.last_balance, s.current_balance)
            ELSE s.current_balance END,
        last_round_number = GREATEST(COALESCE(s.last_round_number, a.last_round), a.last_round)
    FROM (
        SELECT bot_id, session_id,
               count(*) AS n_rounds,
               count(*) FILTER (WHERE round_outcome = 'WIN') AS n_wins,
               count(*) FILTER (WHERE round_outcome = 'LOSS') AS n_losses,
               COALESCE(sum(profit_loss), 0) AS profit,
               max(round_number) AS last_round,
               (array_agg(running_balance_after
                          ORDER BY round_number DESC, bet_slot DESC))[1] AS last_balance
          FROM new_rounds
         GROUP BY bot_id, session_id
    ) a
    WHERE s.bot_id = a.bot_id AND s.session_id = a.session_id;
    RETURN NULL;
END
$$;

UPDATE alembic_version SET version_num='0003_session_totals' WHERE alembic_version.version_num = '0002_analytics';

-- Running upgrade 0003_session_totals -> 0004_strategy_runs

CREATE TABLE strategy_run_rollups (
    strategy_name VARCHAR(64) NOT NULL,
    bot_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(128) NOT NULL,
    stale BOOLEAN DEFAULT true NOT NULL,
    rebuild BOOLEAN DEFAULT true NOT NULL,
    stale_round BIGINT,
    stale_slot SMALLINT,
    state JSONB,
    CONSTRAINT pk_strategy_run_rollups PRIMARY KEY (strategy_name, bot_id, session_id)
);

CREATE FUNCTION crashdb_strategy_runs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO strategy_run_rollups AS r
           (strategy_name, bot_id, session_id, stale, rebuild, stale_round, stale_slot)
    SELECT strategy_name, bot_id, session_id, true, true, k[1], k[2]::smallint
      FROM (SELECT strategy_name, bot_id, session_id,
                   min(ARRAY[round_number, bet_slot::bigint]) AS k
              FROM new_rounds
             WHERE strategy_name IS NOT NULL
             GROUP BY strategy_name, bot_id, session_id) n
     ORDER BY strategy_name, bot_id, session_id
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET
        stale = true,
        stale_round = CASE
            WHEN NOT r.stale OR r.stale_round IS NULL
              OR (EXCLUDED.stale_round, EXCLUDED.stale_slot) < (r.stale_round, r.stale_slot)
            THEN EXCLUDED.stale_round ELSE r.stale_round END,
        stale_slot = CASE
            WHEN NOT r.stale OR r.stale_round IS NULL
              OR (EXCLUDED.stale_round, EXCLUDED.stale_slot) < (r.stale_round, r.stale_slot)
            THEN EXCLUDED.stale_slot ELSE r.stale_slot END;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_strategy_runs_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO strategy_run_rollups AS r (strategy_name, bot_id, session_id, stale, rebuild)
    SELECT DISTINCT strategy_name, bot_id, session_id, true, true
      FROM old_rounds
     WHERE strategy_name IS NOT NULL
     ORDER BY strategy_name, bot_id, session_id
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET stale = true, rebuild = true;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_strategy_runs_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO strategy_run_rollups AS r (strategy_name, bot_id, session_id, stale, rebuild)
    SELECT DISTINCT k.strategy_name, k.bot_id, k.session_id, true, true
      FROM old_rounds o
      JOIN new_rounds n ON n.id = o.id
     CROSS JOIN LATERAL (VALUES (o.strategy_name, o.bot_id, o.session_id),
                                (n.strategy_name, n.bot_id, n.session_id))
           AS k (strategy_name, bot_id, session_id)
     WHERE k.strategy_name IS NOT NULL
       AND (o.strategy_name IS DISTINCT FROM n.strategy_name OR o.bot_id IS DISTINCT FROM n.bot_id OR o.session_id IS DISTINCT FROM n.session_id OR o.round_number IS DISTINCT FROM n.round_number OR o.bet_slot IS DISTINCT FROM n.bet_slot OR o.game_name IS DISTINCT FROM n.game_name OR o.stake_value IS DISTINCT FROM n.stake_value OR o.profit_loss IS DISTINCT FROM n.profit_loss OR o.round_outcome IS DISTINCT FROM n.round_outcome OR o.running_balance_before IS DISTINCT FROM n.running_balance_before OR o.round_start_timestamp IS DISTINCT FROM n.round_start_timestamp OR o.round_end_timestamp IS DISTINCT FROM n.round_end_timestamp)
     ORDER BY 1, 2, 3
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET stale = true, rebuild = true;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_strategy_runs_insert AFTER INSERT ON crash_game_rounds REFERENCING NEW TABLE AS new_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_after_insert();

CREATE TRIGGER trg_crash_rounds_strategy_runs_delete AFTER DELETE ON crash_game_rounds REFERENCING OLD TABLE AS old_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_rebuild();

CREATE TRIGGER trg_crash_rounds_strategy_runs_update AFTER UPDATE ON crash_game_rounds REFERENCING OLD TABLE AS old_rounds NEW TABLE AS new_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_after_update();

INSERT INTO strategy_run_rollups (strategy_name, bot_id, session_id, stale, rebuild)
SELECT DISTINCT strategy_name, bot_id, session_id, true, true
  FROM crash_game_rounds
 WHERE strategy_name IS NOT NULL;

UPDATE alembic_version SET version_num='0004_strategy_runs' WHERE alembic_version.version_num = '0003_session_totals';

-- Running upgrade 0004_strategy_runs -> 0005_strategy_fold

CREATE OR REPLACE FUNCTION crashdb_strategy_runs_after_insert() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
DECLARE
    min_rows integer := coalesce(nullif(current_setting('crashdb.rollup_fold_min_rows', true), ''), '1000')::int;
BEGIN
    -- Small statements (a bot's round, a writer flush) only mark their runs, as in 0004:
    -- folding costs about a millisecond per statement, and the query-time fold of a short
    -- tail is cheap. Bulk loads fold here.
    IF (SELECT count(*) FROM (SELECT FROM new_rounds LIMIT min_rows) s) < min_rows THEN

    INSERT INTO strategy_run_rollups AS r
           (strategy_name, bot_id, session_id, stale, rebuild, stale_round, stale_slot)
    SELECT strategy_name, bot_id, session_id, true, true, k[1], k[2]::smallint
      FROM (SELECT strategy_name, bot_id, session_id,
                   min(ARRAY[round_number, bet_slot::bigint]) AS k
              FROM new_rounds
             WHERE strategy_name IS NOT NULL
             GROUP BY strategy_name, bot_id, session_id) n
     ORDER BY strategy_name, bot_id, session_id
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET
        stale = true,
        stale_round = CASE
            WHEN NOT r.stale OR r.stale_round IS NULL
              OR (EXCLUDED.stale_round, EXCLUDED.stale_slot) < (r.stale_round, r.stale_slot)
            THEN EXCLUDED.stale_round ELSE r.stale_round END,
        stale_slot = CASE
            WHEN NOT r.stale OR r.stale_round IS NULL
              OR (EXCLUDED.stale_round, EXCLUDED.stale_slot) < (r.stale_round, r.stale_slot)
            THEN EXCLUDED.stale_slot ELSE r.stale_slot END;
        RETURN NULL;
    END IF;

    -- 1. New runs get an empty summary; every touched run is locked, in key order.
    INSERT INTO strategy_run_rollups AS r (strategy_name, bot_id, session_id, stale, rebuild)
    SELECT DISTINCT strategy_name, bot_id, session_id, false, false
      FROM new_rounds
     WHERE strategy_name IS NOT NULL
     ORDER BY 1, 2, 3
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET stale = r.stale WHERE false;

    -- 2. Fold the new rounds into the summaries they extend; a run that is already stale, or
    --    that received a round ordered before its summarised ones, is only marked stale (as
    --    in revision 0004: crashdb.analytics.rollup rebuilds it when it is queried).
    WITH runs AS MATERIALIZED (
        SELECT row_number() OVER () AS run, k.strategy_name, k.bot_id, k.session_id, k.k,
               r.state AS st,
               NOT r.stale
               AND (r.state IS NULL
                    OR k.k > ARRAY[(r.state->>'last_round')::bigint,
                                   (r.state->>'last_slot')::bigint]) AS append,
               r.stale, r.stale_round, r.stale_slot,
               coalesce((r.state->>'cum')::numeric, 0) AS c0,
               coalesce((r.state->>'peak')::numeric, 0) AS p0,
               coalesce((r.state->>'has_first')::boolean, false) AS has0,
               (r.state->>'first_balance')::numeric AS b0,
               coalesce((r.state->>'win_run')::bigint, 0) AS w0,
               coalesce((r.state->>'loss_run')::bigint, 0) AS l0
          FROM (SELECT strategy_name, bot_id, session_id, min(ARRAY[round_number, bet_slot::bigint]) AS k
                  FROM new_rounds
                 WHERE strategy_name IS NOT NULL
                 GROUP BY 1, 2, 3) k
          JOIN strategy_run_rollups r USING (strategy_name, bot_id, session_id)
    ),
    seq AS (
        SELECT r.run, n.round_number, n.bet_slot,
               n.game_name, n.round_outcome AS outcome, n.profit_loss AS profit,
               n.profit_loss::float8 AS pf, n.stake_value::float8 AS sf,
               n.round_start_timestamp AS ts,
               coalesce(n.round_end_timestamp, n.round_start_timestamp) AS te,
               coalesce(n.stake_value > 0 AND n.round_outcome <> 'SKIP', false) AS bet,
               n.stake_value AS stake,
               CASE WHEN r.has0 THEN r.b0
                    ELSE first_value(n.running_balance_before) OVER w END AS base,
               r.c0 + sum(n.profit_loss) OVER w AS cum,
               count(*) FILTER (WHERE n.round_outcome IN ('WIN', 'LOSS')) OVER w AS wl,
               row_number() OVER w AS i,
               r.p0, r.w0, r.l0
          FROM new_rounds n
          JOIN runs r USING (strategy_name, bot_id, session_id)
         WHERE r.append
        WINDOW w AS (PARTITION BY r.run ORDER BY n.round_number, n.bet_slot
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    peaks AS (
        SELECT s.*,
               greatest(s.p0, max(s.cum) OVER w) AS peak,
               max(s.wl) FILTER (WHERE s.outcome = 'WIN') OVER w AS last_win,
               max(s.wl) FILTER (WHERE s.outcome = 'LOSS') OVER w AS last_loss
          FROM seq s
        WINDOW w AS (PARTITION BY s.run ORDER BY s.round_number, s.bet_slot
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    folded AS MATERIALIZED (
        SELECT p.*,
               p.peak - p.cum AS fall,
               CASE WHEN p.base IS NOT NULL AND p.base::float8 + p.peak::float8 <> 0
                    THEN (p.peak - p.cum)::float8 / (p.base::float8 + p.peak::float8)
               END AS pct,
               -- the streak this round extends (the stored one if none broke it yet)
               CASE WHEN p.outcome = 'WIN'
                    THEN CASE WHEN p.last_loss IS NULL THEN p.wl + p.w0
                              ELSE p.wl - p.last_loss END
                    WHEN p.outcome = 'LOSS'
                    THEN CASE WHEN p.last_win IS NULL THEN p.wl + p.l0
                              ELSE p.wl - p.last_win END
               END AS streak
          FROM peaks p
    ),
    agg AS MATERIALIZED (
        SELECT run,
               count(*) AS rows,
               count(*) FILTER (WHERE outcome = 'WIN') AS wins,
               count(*) FILTER (WHERE outcome = 'LOSS') AS losses,
               count(*) FILTER (WHERE outcome = 'SKIP') AS skips,
               count(*) FILTER (WHERE outcome = 'ERROR') AS errors,
               count(*) FILTER (WHERE bet) AS bets,
               sum(profit) AS total_profit,
               coalesce(sum(stake) FILTER (WHERE bet), 0) AS total_staked,
               coalesce(sum(pf) FILTER (WHERE bet), 0) AS sp,
               coalesce(sum(pf * pf) FILTER (WHERE bet), 0) AS spp,
               coalesce(sum(sf) FILTER (WHERE bet), 0) AS ss,
               coalesce(sum(sf * sf) FILTER (WHERE bet), 0) AS sss,
               coalesce(sum(pf * sf) FILTER (WHERE bet), 0) AS sps,
               coalesce(sum(pf) FILTER (WHERE bet AND pf > 0), 0) AS sg,
               coalesce(sum(pf * pf) FILTER (WHERE bet AND pf > 0), 0) AS sgg,
               coalesce(sum(pf / sf) FILTER (WHERE bet), 0) AS sr,
               coalesce(sum((pf / sf) * (pf / sf)) FILTER (WHERE bet), 0) AS srr,
               min(ts) AS first_ts,
               max(te) AS last_ts,
               max(pct) AS max_fall_pct,
               max(streak) FILTER (WHERE outcome = 'WIN') AS longest_win,
               max(streak) FILTER (WHERE outcome = 'LOSS') AS longest_loss,
               -- where the run ends (running values: their last is their maximum)
               max(peak) AS peak,
               max(base) AS base,
               max(ARRAY[round_number, bet_slot::bigint]) AS last_k,
               max(wl) FILTER (WHERE outcome = 'WIN') AS last_win,
               max(wl) FILTER (WHERE outcome = 'LOSS') AS last_loss
          FROM folded
         GROUP BY run
    ),
    worst AS MATERIALIZED (
        SELECT DISTINCT ON (run) run, fall, peak, round_number, bet_slot, ts
          FROM folded
         ORDER BY run, fall DESC, ts, i
    ),
    games AS MATERIALIZED (
        SELECT run, jsonb_object_agg(game_name, jsonb_build_array(bets, staked)) AS g
          FROM (SELECT run, game_name, count(*) AS bets, sum(sf) AS staked
                  FROM folded
                 WHERE bet
                 GROUP BY 1, 2) per_game
         GROUP BY run
    ),
    new_state AS MATERIALIZED (
        SELECT u.run, jsonb_build_object(
'rows', coalesce((u.st->>'rows')::bigint, 0) + a.rows,
'wins', coalesce((u.st->>'wins')::bigint, 0) + a.wins,
'losses', coalesce((u.st->>'losses')::bigint, 0) + a.losses,
'skips', coalesce((u.st->>'skips')::bigint, 0) + a.skips,
'errors', coalesce((u.st->>'errors')::bigint, 0) + a.errors,
'bets', coalesce((u.st->>'bets')::bigint, 0) + a.bets,
'sp', coalesce((u.st->>'sp')::float8, 0) + a.sp,
'spp', coalesce((u.st->>'spp')::float8, 0) + a.spp,
'ss', coalesce((u.st->>'ss')::float8, 0) + a.ss,
'sss', coalesce((u.st->>'sss')::float8, 0) + a.sss,
'sps', coalesce((u.st->>'sps')::float8, 0) + a.sps,
'sg', coalesce((u.st->>'sg')::float8, 0) + a.sg,
'sgg', coalesce((u.st->>'sgg')::float8, 0) + a.sgg,
'sr', coalesce((u.st->>'sr')::float8, 0) + a.sr,
'srr', coalesce((u.st->>'srr')::float8, 0) + a.srr,
'total_profit', (coalesce((u.st->>'total_profit')::numeric, 0) + a.total_profit)::text,
'total_staked', (coalesce((u.st->>'total_staked')::numeric, 0) + a.total_staked)::text,
'games', (SELECT coalesce(jsonb_object_agg(key, jsonb_build_array(
                     coalesce((o.value->>0)::bigint, 0) + coalesce((n.value->>0)::bigint, 0),
                     coalesce((o.value->>1)::float8, 0) + coalesce((n.value->>1)::float8, 0)
                 )), '{}'::jsonb)
            FROM jsonb_each(coalesce(u.st->'games', '{}'::jsonb)) o
            FULL JOIN jsonb_each(coalesce(g.g, '{}'::jsonb)) n USING (key)),
'first_ts', to_char((least((u.st->>'first_ts')::timestamptz, a.first_ts)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
'last_ts', to_char((greatest((u.st->>'last_ts')::timestamptz, a.last_ts)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
'first_balance', a.base::text,
'has_first', true,
'cum', (u.c0 + a.total_profit)::text,
'peak', a.peak::text,
'max_fall_pct', greatest((u.st->>'max_fall_pct')::float8, a.max_fall_pct),
'fall', CASE WHEN (u.st->'fall' IS NULL OR jsonb_typeof(u.st->'fall') = 'null' OR w.fall > (u.st->>'fall')::numeric OR (w.fall = (u.st->>'fall')::numeric AND w.ts < (u.st->>'fall_ts')::timestamptz)) THEN to_jsonb(w.fall::text) ELSE u.st->'fall' END,
'fall_peak', CASE WHEN (u.st->'fall' IS NULL OR jsonb_typeof(u.st->'fall') = 'null' OR w.fall > (u.st->>'fall')::numeric OR (w.fall = (u.st->>'fall')::numeric AND w.ts < (u.st->>'fall_ts')::timestamptz)) THEN to_jsonb(w.peak::text) ELSE u.st->'fall_peak' END,
'fall_round', CASE WHEN (u.st->'fall' IS NULL OR jsonb_typeof(u.st->'fall') = 'null' OR w.fall > (u.st->>'fall')::numeric OR (w.fall = (u.st->>'fall')::numeric AND w.ts < (u.st->>'fall_ts')::timestamptz)) THEN to_jsonb(w.round_number) ELSE u.st->'fall_round' END,
'fall_slot', CASE WHEN (u.st->'fall' IS NULL OR jsonb_typeof(u.st->'fall') = 'null' OR w.fall > (u.st->>'fall')::numeric OR (w.fall = (u.st->>'fall')::numeric AND w.ts < (u.st->>'fall_ts')::timestamptz)) THEN to_jsonb(w.bet_slot) ELSE u.st->'fall_slot' END,
'fall_ts', CASE WHEN (u.st->'fall' IS NULL OR jsonb_typeof(u.st->'fall') = 'null' OR w.fall > (u.st->>'fall')::numeric OR (w.fall = (u.st->>'fall')::numeric AND w.ts < (u.st->>'fall_ts')::timestamptz)) THEN to_jsonb(to_char((w.ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')) ELSE u.st->'fall_ts' END,
'win_run', CASE WHEN a.last_win IS NULL AND a.last_loss IS NULL THEN u.w0
                WHEN coalesce(a.last_win, 0) > coalesce(a.last_loss, 0)
                THEN a.last_win - coalesce(a.last_loss, -u.w0)
                ELSE 0 END,
'loss_run', CASE WHEN a.last_win IS NULL AND a.last_loss IS NULL THEN u.l0
                 WHEN coalesce(a.last_loss, 0) > coalesce(a.last_win, 0)
                 THEN a.last_loss - coalesce(a.last_win, -u.l0)
                 ELSE 0 END,
'longest_win', greatest(coalesce((u.st->>'longest_win')::bigint, 0), a.longest_win),
'longest_loss', greatest(coalesce((u.st->>'longest_loss')::bigint, 0), a.longest_loss),
'last_round', a.last_k[1],
'last_slot', a.last_k[2]) AS state
          FROM runs u
          JOIN agg a USING (run)
          JOIN worst w USING (run)
          LEFT JOIN games g USING (run)
         WHERE u.append
    )
    UPDATE strategy_run_rollups r
       SET state = CASE WHEN u.append THEN f.state ELSE r.state END,
           stale = NOT u.append,
           stale_round = CASE
               WHEN u.append THEN NULL
               WHEN NOT u.stale OR u.stale_round IS NULL
                 OR (u.k[1], u.k[2]) < (u.stale_round, u.stale_slot)
               THEN u.k[1] ELSE u.stale_round END,
           stale_slot = CASE
               WHEN u.append THEN NULL
               WHEN NOT u.stale OR u.stale_round IS NULL
                 OR (u.k[1], u.k[2]) < (u.stale_round, u.stale_slot)
               THEN u.k[2]::smallint ELSE u.stale_slot END
      FROM runs u
      LEFT JOIN new_state f USING (run)
     WHERE r.strategy_name = u.strategy_name
       AND r.bot_id = u.bot_id
       AND r.session_id = u.session_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_strategy_runs_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM strategy_run_rollups;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_strategy_runs_truncate AFTER TRUNCATE ON crash_game_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_truncate();

UPDATE alembic_version SET version_num='0005_strategy_fold' WHERE alembic_version.version_num = '0004_strategy_runs';

-- Running upgrade 0005_strategy_fold -> 0006_game_own

CREATE INDEX idx_crash_rounds_game_own ON crash_game_rounds (game_name, bot_id, session_id) INCLUDE (crash_multiplier, round_start_timestamp, round_number, is_valid) WHERE round_external_id IS NULL;

UPDATE alembic_version SET version_num='0006_game_own' WHERE alembic_version.version_num = '0005_strategy_fold';

-- Running upgrade 0006_game_own -> 0007_game_rounds

CREATE TABLE game_round_rollups (
    game_name VARCHAR(32) NOT NULL,
    platform_code VARCHAR(32) NOT NULL,
    round_external_id VARCHAR(128) NOT NULL,
    crash_multiplier NUMERIC(12, 2) NOT NULL,
    crash_multiplier_max NUMERIC(12, 2) NOT NULL,
    round_start_timestamp TIMESTAMP WITH TIME ZONE NOT NULL,
    round_number BIGINT NOT NULL,
    reports INTEGER NOT NULL,
    CONSTRAINT pk_game_round_rollups PRIMARY KEY (game_name, platform_code, round_external_id)
);

CREATE INDEX idx_game_round_rollups_stream ON game_round_rollups (game_name, platform_code, round_start_timestamp, round_number) INCLUDE (crash_multiplier, crash_multiplier_max, reports);

CREATE TABLE game_round_pending (
    id BIGSERIAL NOT NULL,
    game_name VARCHAR(32) NOT NULL,
    platform_code VARCHAR(32) NOT NULL,
    round_external_id VARCHAR(128) NOT NULL,
    CONSTRAINT pk_game_round_pending PRIMARY KEY (id)
);

CREATE INDEX idx_game_round_pending_key ON game_round_pending (game_name, platform_code, round_external_id);

DROP INDEX idx_crash_rounds_game_own;

CREATE INDEX idx_crash_rounds_game_own ON crash_game_rounds (game_name, bot_id, session_id) INCLUDE (crash_multiplier, round_start_timestamp, round_number, is_valid) WHERE round_external_id IS NULL OR platform_code IS NULL;

CREATE FUNCTION crashdb_game_rounds_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    min_rows integer := coalesce(nullif(current_setting('crashdb.rollup_fold_min_rows', true), ''), '1000')::int;
BEGIN
    IF (SELECT count(*) FROM (SELECT FROM new_rounds LIMIT min_rows) s) >= min_rows
       AND pg_try_advisory_xact_lock(7417000007) THEN
        INSERT INTO game_round_rollups AS g (game_name, platform_code, round_external_id, crash_multiplier, crash_multiplier_max, round_start_timestamp, round_number, reports)
SELECT game_name, platform_code, round_external_id, min(crash_multiplier), max(crash_multiplier), min(round_start_timestamp),
       min(round_number), count(*)
  FROM new_rounds
 WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL AND crash_multiplier IS NOT NULL AND is_valid
 GROUP BY game_name, platform_code, round_external_id
         ORDER BY game_name, platform_code, round_external_id
        ON CONFLICT (game_name, platform_code, round_external_id) DO UPDATE SET
            crash_multiplier = least(g.crash_multiplier, EXCLUDED.crash_multiplier),
            crash_multiplier_max = greatest(g.crash_multiplier_max, EXCLUDED.crash_multiplier_max),
            round_start_timestamp = least(g.round_start_timestamp, EXCLUDED.round_start_timestamp),
            round_number = least(g.round_number, EXCLUDED.round_number),
            reports = g.reports + EXCLUDED.reports;
    ELSE
        INSERT INTO game_round_pending (game_name, platform_code, round_external_id)
        SELECT game_name, platform_code, round_external_id FROM new_rounds WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL AND crash_multiplier IS NOT NULL AND is_valid;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_game_rounds_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO game_round_pending (game_name, platform_code, round_external_id)
    SELECT game_name, platform_code, round_external_id FROM old_rounds WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL AND crash_multiplier IS NOT NULL AND is_valid;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_game_rounds_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO game_round_pending (game_name, platform_code, round_external_id)
    SELECT k.* FROM old_rounds o
      JOIN new_rounds n ON n.id = o.id
     CROSS JOIN LATERAL (
           SELECT o.game_name, o.platform_code, o.round_external_id WHERE o.round_external_id IS NOT NULL AND o.platform_code IS NOT NULL
           UNION ALL
           SELECT n.game_name, n.platform_code, n.round_external_id WHERE n.round_external_id IS NOT NULL AND n.platform_code IS NOT NULL
           ) k
     WHERE o.game_name IS DISTINCT FROM n.game_name OR o.platform_code IS DISTINCT FROM n.platform_code OR o.round_external_id IS DISTINCT FROM n.round_external_id OR o.crash_multiplier IS DISTINCT FROM n.crash_multiplier OR o.round_start_timestamp IS DISTINCT FROM n.round_start_timestamp OR o.round_number IS DISTINCT FROM n.round_number OR o.is_valid IS DISTINCT FROM n.is_valid;
    RETURN NULL;
END
$$;

CREATE FUNCTION crashdb_game_rounds_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE game_round_rollups, game_round_pending;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_crash_rounds_game_rounds_insert AFTER INSERT ON crash_game_rounds REFERENCING NEW TABLE AS new_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_game_rounds_after_insert();

CREATE TRIGGER trg_crash_rounds_game_rounds_delete AFTER DELETE ON crash_game_rounds REFERENCING OLD TABLE AS old_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_game_rounds_after_delete();

CREATE TRIGGER trg_crash_rounds_game_rounds_update AFTER UPDATE ON crash_game_rounds REFERENCING OLD TABLE AS old_rounds NEW TABLE AS new_rounds FOR EACH STATEMENT EXECUTE FUNCTION crashdb_game_rounds_after_update();

CREATE TRIGGER trg_crash_rounds_game_rounds_truncate AFTER TRUNCATE ON crash_game_rounds  FOR EACH STATEMENT EXECUTE FUNCTION crashdb_game_rounds_truncate();

INSERT INTO game_round_rollups (game_name, platform_code, round_external_id, crash_multiplier, crash_multiplier_max, round_start_timestamp, round_number, reports)
SELECT game_name, platform_code, round_external_id, min(crash_multiplier), max(crash_multiplier), min(round_start_timestamp),
       min(round_number), count(*)
  FROM crash_game_rounds
 WHERE round_external_id IS NOT NULL AND platform_code IS NOT NULL AND crash_multiplier IS NOT NULL AND is_valid
 GROUP BY game_name, platform_code, round_external_id;

UPDATE alembic_version SET version_num='0007_game_rounds' WHERE alembic_version.version_num = '0006_game_own';

-- Running upgrade 0007_game_rounds -> 0008_fleet_service

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

UPDATE alembic_version SET version_num='0008_fleet_service' WHERE alembic_version.version_num = '0007_game_rounds';

COMMIT;
