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
-- {money_real} turns a money column into its real value as a double (dialect).
WITH src AS (
    SELECT bot_id, session_id,
           {strategy_key} AS strategy_name, {game_key} AS game_name,
           {platform_key} AS platform_code,
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
                 ORDER BY q.i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
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
                 ORDER BY k.i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           p AS (PARTITION BY k.bot_id, k.session_id, k.strategy_name, k.game_name,
                              k.platform_code)
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
           max(n) AS n,
           min(CASE WHEN fall = worst_fall THEN i END) AS worst_i,
           max(CASE WHEN outcome = 'WIN' THEN i END) AS last_win_i,
           max(CASE WHEN outcome = 'LOSS' THEN i END) AS last_loss_i
      FROM falls
     GROUP BY bot_id, session_id, strategy_name, game_name, platform_code
),
picked AS (
    SELECT a.bot_id, a.session_id, a.strategy_name, a.game_name, a.platform_code,
           max(CASE WHEN f.i = a.n THEN f.round_number END) AS last_round,
           max(CASE WHEN f.i = a.n THEN f.bet_slot END) AS last_slot,
           max(CASE WHEN f.i = a.n THEN f.balance_after END) AS last_balance,
           max(CASE WHEN f.i = a.n THEN f.peak_i END) AS end_peak_i,
           max(CASE WHEN f.i = a.worst_i THEN f.round_number END) AS worst_round,
           max(CASE WHEN f.i = a.worst_i THEN f.ts END) AS worst_ts,
           max(CASE WHEN f.i = a.worst_i THEN f.peak_i END) AS worst_peak_i,
           max(CASE WHEN f.i = a.last_win_i THEN f.win_streak END) AS trail_win,
           max(CASE WHEN f.i = a.last_loss_i THEN f.loss_streak END) AS trail_loss
      FROM agg a
      JOIN falls f
        ON f.bot_id = a.bot_id AND f.session_id = a.session_id
       AND f.strategy_name = a.strategy_name AND f.game_name = a.game_name
       AND f.platform_code = a.platform_code
       AND (f.i = a.n OR f.i = a.worst_i OR f.i = a.last_win_i OR f.i = a.last_loss_i)
     GROUP BY a.bot_id, a.session_id, a.strategy_name, a.game_name, a.platform_code
),
located AS (
    SELECT k.bot_id, k.session_id, k.strategy_name, k.game_name, k.platform_code,
           max(CASE WHEN f.i = k.end_peak_i THEN f.round_number END) AS peak_round,
           max(CASE WHEN f.i = k.end_peak_i THEN f.ts END) AS peak_ts,
           max(CASE WHEN f.i = k.worst_peak_i THEN f.round_number END) AS start_round,
           max(CASE WHEN f.i = k.worst_peak_i THEN f.ts END) AS start_ts
      FROM picked k
      LEFT JOIN falls f
        ON f.bot_id = k.bot_id AND f.session_id = k.session_id
       AND f.strategy_name = k.strategy_name AND f.game_name = k.game_name
       AND f.platform_code = k.platform_code
       AND (f.i = k.end_peak_i OR f.i = k.worst_peak_i)
     GROUP BY k.bot_id, k.session_id, k.strategy_name, k.game_name, k.platform_code
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
       k.last_balance,
       k.last_round,
       k.last_slot,
       a.peak,
       CASE WHEN k.end_peak_i IS NULL THEN p.peak_round ELSE l.peak_round END AS peak_round,
       CASE WHEN k.end_peak_i IS NULL THEN p.peak_ts ELSE l.peak_ts END AS peak_ts,
       CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
            THEN a.max_fall ELSE coalesce(p.max_drawdown, 0) END AS max_drawdown,
       CASE WHEN p.max_drawdown_pct IS NULL OR a.max_fall_pct > p.max_drawdown_pct
            THEN a.max_fall_pct ELSE p.max_drawdown_pct END AS max_drawdown_pct,
       CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
            THEN CASE WHEN k.worst_peak_i IS NULL THEN p.peak_round ELSE l.start_round END
            ELSE p.drawdown_start_round END AS drawdown_start_round,
       CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
            THEN CASE WHEN k.worst_peak_i IS NULL THEN p.peak_ts ELSE l.start_ts END
            ELSE p.drawdown_start_ts END AS drawdown_start_ts,
       CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
            THEN k.worst_round ELSE p.drawdown_end_round END AS drawdown_end_round,
       CASE WHEN a.max_fall > coalesce(p.max_drawdown, 0)
            THEN k.worst_ts ELSE p.drawdown_end_ts END AS drawdown_end_ts,
       CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.win_run, 0)
            WHEN coalesce(a.last_win_i, 0) > coalesce(a.last_loss_i, 0) THEN k.trail_win
            ELSE 0 END AS win_run,
       CASE WHEN a.last_win_i IS NULL AND a.last_loss_i IS NULL THEN coalesce(p.loss_run, 0)
            WHEN coalesce(a.last_loss_i, 0) > coalesce(a.last_win_i, 0) THEN k.trail_loss
            ELSE 0 END AS loss_run,
       CASE WHEN coalesce(a.longest_win, 0) > coalesce(p.longest_win, 0)
            THEN coalesce(a.longest_win, 0) ELSE coalesce(p.longest_win, 0) END AS longest_win,
       CASE WHEN coalesce(a.longest_loss, 0) > coalesce(p.longest_loss, 0)
            THEN coalesce(a.longest_loss, 0) ELSE coalesce(p.longest_loss, 0) END AS longest_loss
  FROM agg a
  JOIN picked k
    ON k.bot_id = a.bot_id AND k.session_id = a.session_id
   AND k.strategy_name = a.strategy_name AND k.game_name = a.game_name
   AND k.platform_code = a.platform_code
  JOIN located l
    ON l.bot_id = a.bot_id AND l.session_id = a.session_id
   AND l.strategy_name = a.strategy_name AND l.game_name = a.game_name
   AND l.platform_code = a.platform_code
  LEFT JOIN seed p
    ON p.bot_id = a.bot_id AND p.session_id = a.session_id
   AND p.strategy_name = a.strategy_name AND p.game_name = a.game_name
   AND p.platform_code = a.platform_code
