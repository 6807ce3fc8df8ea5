"""Example 3: log a winning round and its analytics rows."""

from decimal import Decimal

from crashdb import (
    init_db,
    log_crash_round,
    log_round_multiplier_analytics,
    log_round_outcome,
)

init_db()
stake, target, crash = Decimal("10.00"), Decimal("1.33"), Decimal("2.45")
round_id = log_crash_round(
    bot_id="aviator_bot_001",
    session_id="session_20251121_001",
    game_name="aviator",
    platform_code="dafabet",
    round_number=1,
    stake_value=stake,
    target_multiplier=target,
    crash_multiplier=crash,
    cashout_multiplier=target,
    round_outcome="WIN",
    running_balance_before=Decimal("1000.00"),
    ocr_text="2.45x",
    ocr_confidence=0.97,
    metadata={"note": "profit, ROI and balance after are derived when omitted"},
)
log_round_multiplier_analytics(round_id=round_id, multiplier=crash, is_crash=True)
log_round_outcome(
    round_id=round_id,
    outcome="WIN",
    target_multiplier=target,
    actual_multiplier=crash,
    hit_target=True,
)
print(f"Logged winning round {round_id}: +{(target - 1) * stake}")
