-- crashdb database objects on postgresql, rendered by crashdb.db.folds from the
-- definitions in crashdb/db/sql. Statements are separated by blank lines.

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
