"""Example 4: log a losing round (the plane flew away before the target)."""

from decimal import Decimal

from crashdb import init_db, log_crash_round, log_round_outcome

init_db()
round_id = log_crash_round(
    bot_id="aviator_bot_001",
    session_id="session_20251121_001",
    game_name="aviator",
    platform_code="dafabet",
    round_number=2,
    stake_value=Decimal("10.00"),
    target_multiplier=Decimal("1.33"),
    crash_multiplier=Decimal("1.12"),
    cashout_multiplier=None,  # a LOSS has no cash-out
    round_outcome="LOSS",
    profit_loss=Decimal("-10.00"),
    running_balance_before=Decimal("1003.30"),
    running_balance_after=Decimal("993.30"),
)
log_round_outcome(
    round_id=round_id,
    outcome="LOSS",
    target_multiplier=Decimal("1.33"),
    actual_multiplier=Decimal("1.12"),
    hit_target=False,
)
print(f"Logged losing round {round_id}: -10.00")
