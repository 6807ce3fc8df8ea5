"""Values that database objects created by the migrations and the runtime code must agree on.

Never change one: databases already migrated have it compiled into their trigger functions.
This module imports nothing, so runtime code can read it without loading Alembic.
"""

from __future__ import annotations

__all__ = ["GAME_ROUNDS_LOCK"]

# pg_advisory_xact_lock key shared by migration 0007's insert trigger (bulk merges) and
# crashdb.analytics.game_rounds (folds): the two never run at once.
GAME_ROUNDS_LOCK = 7_417_000_007
