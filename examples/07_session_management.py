"""Example 7: open a session, play a few rounds, close it, read its summary."""

import json
from decimal import Decimal

from crashdb import (
    create_session_log,
    get_session_summary,
    init_db,
    log_crash_round,
    update_session_log,
)

init_db()
session_id = create_session_log(
    bot_id="aviator_bot_002",
    session_id="session_example_007",
    game_name="aviator",
    initial_balance=Decimal("500.00"),
)
balance = Decimal("500.00")
for n, crash in enumerate([Decimal("1.85"), Decimal("1.01"), Decimal("3.20")], start=1):
    outcome = "WIN" if crash >= Decimal("1.50") else "LOSS"
    profit = Decimal("5.00") if outcome == "WIN" else Decimal("-10.00")
    log_crash_round(
        bot_id="aviator_bot_002",
        session_id=session_id,
        game_name="aviator",
        platform_code="fun88",
        round_number=n,
        stake_value=Decimal("10.00"),
        target_multiplier=Decimal("1.50"),
        crash_multiplier=crash,
        cashout_multiplier=Decimal("1.50") if outcome == "WIN" else None,
        round_outcome=outcome,
        profit_loss=profit,
        running_balance_before=balance,
        running_balance_after=balance + profit,
    )
    balance += profit
update_session_log(
    session_id,
    bot_id="aviator_bot_002",
    final_balance=balance,
    status="completed",
    notes="example 7",
)
print(json.dumps(get_session_summary(session_id), indent=2))
