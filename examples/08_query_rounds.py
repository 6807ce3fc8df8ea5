"""Example 8: query rounds with SQLAlchemy, and the bot statistics with confidence intervals."""

from sqlalchemy import select

from crashdb import get_bot_statistics, init_db, session_scope
from crashdb.models import CrashGameRound

init_db()
with session_scope() as session:
    rows = session.scalars(
        select(CrashGameRound)
        .where(CrashGameRound.bot_id == "aviator_bot_001")
        .order_by(CrashGameRound.round_start_timestamp.desc())
        .limit(10)
    ).all()
    for r in rows:
        print(
            f"#{r.round_number} {r.round_outcome:<4} crash={r.crash_multiplier} "
            f"profit={r.profit_loss} balance={r.running_balance_after}"
        )

stats = get_bot_statistics("aviator_bot_001")
print(f"Win rate: {stats['win_rate_percent']}% (95% CI {stats.get('win_rate_percent_ci95')})")
print(f"Total profit: {stats['total_profit']}  ROI: {stats['roi_percent']}%")
