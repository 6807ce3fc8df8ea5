"""Example 10: a complete bot loop that never blocks on the database and never loses a round.

The RoundWriter validates each call at once (bad input raises InvalidRecord to the bot),
returns the round id immediately, writes in group commits from a background thread, and
spools to local disk if the database is unreachable, replaying in order when it returns.
"""

import random
from decimal import ROUND_DOWN, Decimal

from crashdb import RoundWriter, get_bot_statistics, init_db

BOT, SESSION, GAME, RTP = "example_bot_010", "session_example_010", "aviator", 0.97
TARGET, STAKE = Decimal("2.00"), Decimal("5.00")

init_db()
rng = random.Random(10)
balance = Decimal("250.00")
with RoundWriter(spool_dir=".crashdb-spool") as writer:
    writer.create_session_log(
        bot_id=BOT, session_id=SESSION, game_name=GAME, initial_balance=balance
    )
    for n in range(1, 201):
        # The game: P(crash >= x) = RTP / x, shown rounded down to 0.01.
        crash = max(
            Decimal(1),
            (Decimal(RTP / (1.0 - rng.random()))).quantize(Decimal("0.01"), rounding=ROUND_DOWN),
        )
        win = crash >= TARGET
        profit = STAKE * (TARGET - 1) if win else -STAKE
        round_id = writer.log_crash_round(
            bot_id=BOT,
            session_id=SESSION,
            game_name=GAME,
            platform_code="dafabet",
            round_number=n,
            stake_value=STAKE,
            target_multiplier=TARGET,
            crash_multiplier=crash,
            cashout_multiplier=TARGET if win else None,
            round_outcome="WIN" if win else "LOSS",
            profit_loss=profit,
            running_balance_before=balance,
            running_balance_after=balance + profit,
            strategy_name="fixed_stake",
        )
        writer.log_round_multiplier_analytics(round_id=round_id, multiplier=crash, is_crash=True)
        balance += profit
    writer.update_session_log(SESSION, bot_id=BOT, final_balance=balance, status="completed")

stats = get_bot_statistics(BOT)
print(
    f"{stats['total_rounds']} rounds, win rate {stats['win_rate_percent']}%, "
    f"ROI {stats['roi_percent']}% (a fair 2.00x bet returns RTP - 1 = -3% on average)"
)
