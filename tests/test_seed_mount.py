"""The seed's import path ``backend.database`` works through the mount in examples/."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SEED_LAYOUT = Path(__file__).resolve().parents[1] / "examples" / "seed_layout"


@pytest.fixture
def seed_path() -> Iterator[None]:
    sys.path.insert(0, str(SEED_LAYOUT))
    yield
    sys.path.remove(str(SEED_LAYOUT))
    for name in [m for m in sys.modules if m == "backend" or m.startswith("backend.")]:
        del sys.modules[name]


def test_seed_imports_resolve(seed_path: None, db_url: str) -> None:
    from backend.database import DatabaseConnection, init_db, session_scope
    from backend.database.models import BotVMRegistration, CrashGameRound

    DatabaseConnection.initialize(db_url)
    init_db(drop_existing=False)
    with session_scope() as session:
        session.add(BotVMRegistration(bot_id="aviator_bot_001", vm_provider="digitalocean"))
    assert DatabaseConnection.test_connection()
    assert CrashGameRound.__tablename__ == "crash_game_rounds"
    DatabaseConnection.close()
