-- Daily per-bot statistics: one row per bot, game and UTC day, always current (a plain view
-- over the rounds). On SQLite money and multipliers are scaled integers, see crashdb.db.types.
CREATE VIEW mv_bot_daily_stats AS
SELECT bot_id,
       game_name,
       {day} AS day,
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
 GROUP BY bot_id, game_name, {day}
