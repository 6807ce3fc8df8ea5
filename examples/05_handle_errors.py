"""Example 5: handle errors: bad input is refused loudly, bot errors are logged."""

import traceback
from decimal import Decimal

from crashdb import InvalidRecord, init_db, log_crash_round, log_error

init_db()

# A misread multiplier (0.45x cannot happen: every crash game starts at 1.00x) is refused,
# with the field and the reason, and nothing is written.
try:
    log_crash_round(
        bot_id="aviator_bot_001",
        session_id="session_20251121_001",
        game_name="aviator",
        platform_code="dafabet",
        round_number=3,
        stake_value=Decimal("10.00"),
        crash_multiplier=Decimal("0.45"),
        round_outcome="LOSS",
    )
except InvalidRecord as exc:
    print("Refused:", exc)
    for error in exc.errors:
        print(f"  field={error.field} reason={error.reason}")

# Errors the bot itself hits go to error_logs with the trace and what the bot did about it.
try:
    raise TimeoutError("cash-out button not found within 2 s")
except TimeoutError as exc:
    error_id = log_error(
        bot_id="aviator_bot_001",
        session_id="session_20251121_001",
        error_type="ui_timeout",
        error_message=str(exc),
        error_trace=traceback.format_exc(),
        recovery_action="reloaded the game page",
    )
    print(f"Logged bot error {error_id}")
