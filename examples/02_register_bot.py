"""Example 2: register a bot instance (what VM it runs on, its strategy and bankroll)."""

from decimal import Decimal

from sqlalchemy import select

from crashdb import init_db, session_scope
from crashdb.models import BotVMRegistration

init_db()
with session_scope() as session:
    bot = session.scalars(
        select(BotVMRegistration).where(BotVMRegistration.bot_id == "aviator_bot_001")
    ).one_or_none()
    if bot is None:
        bot = BotVMRegistration(bot_id="aviator_bot_001")
        session.add(bot)
    bot.bot_name = "Aviator Main Bot"
    bot.vm_name = "GPU-Instance-1"
    bot.vm_provider = "digitalocean"
    bot.region = "nyc3"
    bot.session_id = "session_20251121_001"
    bot.strategy_name = "compound_1.33x"
    bot.initial_balance = Decimal("1000.00")
    bot.base_stake = Decimal("10.00")
    bot.max_stake = Decimal("100.00")
    print(f"Registered bot: {bot.bot_id} ({bot.strategy_name} on {bot.vm_provider})")
