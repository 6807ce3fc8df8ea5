-- The run summary: one strategy's rounds in one bot session, in (round_number, bet_slot) order.
--
-- The one definition of every per-run quantity (counts, exact money totals, the sums behind
-- the confidence intervals, multipliers, drawdown, streaks). It is a SELECT that folds the
-- rounds of {source} into the states of {seed} (the stored summaries they extend, or none) and
-- returns the new states, one row per key. Used by the insert trigger (PostgreSQL), the fold
-- after each write (SQLite), the recomputation of runs that changed, and by readers for rounds
-- no summary covers yet (the edges of a date range, rows not yet folded).
--
-- Placeholders: {source} rows shaped like crash_game_rounds; {seed} prior states shaped like
-- run_summaries; {strategy_key} {game_key} {platform_key} the key expressions ('' groups all);
-- {money_real} turns a money column into its real value as a double; {collate} makes the key
-- sort bytewise (PostgreSQL: faster than the database's collation; only equality matters).
WITH src AS (
    SELECT bot_id{collate} AS bot_id, session_id{collate} AS session_id,
           {strategy_key}{collate} AS strategy_name, {game_key}{collate} AS game_name,
           {platform_key}{collate} AS platform_code,
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
           CAST(profit_loss AS DOUBLE PRECISION){money_real} AS pf,
           CAST(stake_value AS DOUBLE PRECISION){money_real} AS sf
      FROM {source}
),
seed AS (
    {seed}
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
