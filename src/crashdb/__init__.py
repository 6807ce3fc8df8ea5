"""crashdb: record every round a fleet of crash-game bots plays, and answer honest questions.

The public API is the seed's functions and the core types::

    from crashdb import init_db, log_crash_round, get_bot_statistics, RoundWriter

Everything else is importable from its subpackage: :mod:`crashdb.db` (engine, models,
migrations), :mod:`crashdb.ingest` (validation and the write path), :mod:`crashdb.writer`,
:mod:`crashdb.analytics` (with the pure statistics of :mod:`crashdb.analytics.stats`),
:mod:`crashdb.sim` (games, fairness, strategies, simulation), :mod:`crashdb.report`.

What a bot needs to log is imported with the package. The analytics pull in SciPy and pyarrow
(over a second at start-up), so their names are resolved on first use (PEP 562):
``crashdb.get_bot_statistics`` works as usual, and a bot that only logs never pays for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crashdb.api import (
    create_session_log,
    log_batch_rounds,
    log_crash_round,
    log_error,
    log_ocr_validation,
    log_round_multiplier_analytics,
    log_round_outcome,
    log_round_signal,
    update_session_log,
)
from crashdb.db import (
    Database,
    DatabaseConnection,
    get_database,
    get_session,
    init_db,
    session_scope,
)
from crashdb.exceptions import (
    ConflictingRecord,
    CrashdbError,
    DatabaseUnavailable,
    FieldError,
    InvalidRecord,
    SchemaNotInitialized,
    VerificationError,
)
from crashdb.ingest.records import (
    ErrorRecord,
    MultiplierRecord,
    OCRRecord,
    OutcomeRecord,
    Record,
    RoundRecord,
    SessionStartRecord,
    SessionUpdateRecord,
    SignalRecord,
)
from crashdb.writer import RoundWriter

if TYPE_CHECKING:  # the lazy names, for type checkers and IDEs
    from crashdb.analytics import (
        cleanup_old_records,
        export_multipliers_for_ml,
        export_rounds_to_json,
        get_bot_statistics,
        get_database_size,
        get_game_statistics,
        get_multiplier_distribution,
        get_session_summary,
        get_signal_effectiveness,
        get_strategy_performance,
    )

# The seed's analytics functions, resolved from crashdb.analytics on first use.
_LAZY = (
    "cleanup_old_records",
    "export_multipliers_for_ml",
    "export_rounds_to_json",
    "get_bot_statistics",
    "get_database_size",
    "get_game_statistics",
    "get_multiplier_distribution",
    "get_session_summary",
    "get_signal_effectiveness",
    "get_strategy_performance",
)

__all__ = [
    "ConflictingRecord",
    "CrashdbError",
    "Database",
    "DatabaseConnection",
    "DatabaseUnavailable",
    "ErrorRecord",
    "FieldError",
    "InvalidRecord",
    "MultiplierRecord",
    "OCRRecord",
    "OutcomeRecord",
    "Record",
    "RoundRecord",
    "RoundWriter",
    "SchemaNotInitialized",
    "SessionStartRecord",
    "SessionUpdateRecord",
    "SignalRecord",
    "VerificationError",
    "cleanup_old_records",
    "create_session_log",
    "export_multipliers_for_ml",
    "export_rounds_to_json",
    "get_bot_statistics",
    "get_database",
    "get_database_size",
    "get_game_statistics",
    "get_multiplier_distribution",
    "get_session",
    "get_session_summary",
    "get_signal_effectiveness",
    "get_strategy_performance",
    "init_db",
    "log_batch_rounds",
    "log_crash_round",
    "log_error",
    "log_ocr_validation",
    "log_round_multiplier_analytics",
    "log_round_outcome",
    "log_round_signal",
    "session_scope",
    "update_session_log",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'crashdb' has no attribute {name!r}")
    value = getattr(importlib.import_module("crashdb.analytics"), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
