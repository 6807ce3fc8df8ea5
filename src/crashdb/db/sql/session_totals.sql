-- Session totals: the sums of a session's run summaries, for the sessions in {sessions}
-- (a relation of bot_id, session_id). current_balance follows the balance after the
-- session's last round when that round is at least the last one already counted.
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
          FROM (SELECT DISTINCT bot_id, session_id FROM {sessions} AS s0) AS k
          LEFT JOIN run_summaries r ON r.bot_id = k.bot_id AND r.session_id = k.session_id
         GROUP BY k.bot_id, k.session_id
       ) AS t
 WHERE session_logs.bot_id = t.bot_id AND session_logs.session_id = t.session_id
