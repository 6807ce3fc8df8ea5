"""crashdb: record every round a fleet of crash-game bots plays, and answer honest questions.

The public API is the seed's functions and the core types::

    from crashdb import init_db, log_crash_round, get_bot_statistics, RoundWriter

Everything else is importable from its subpackage: :mod:`crashdb.db` (engine, models,
migrations), :mod:`crashdb.ingest` (validation and the write path), :mod:`crashdb.writer`,
:mod:`crashdb.analytics` (with the pure statistics of :mod:`crashdb.analytics.stats`),
:mod:`crashdb.sim` (games, fairness, strategies, simulation), :mod:`crashdb.report`.

Names are resolved on first use (PEP 562): ``import crashdb`` (and so ``crashdb --help``)
loads nothing else, a bot that only logs never pays for the analytics' SciPy and pyarrow,
and ``crashdb.get_bot_statistics`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, for type checkers and IDEs
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

# Every public name and the module it lives in, imported on first use (PEP 562): ``import
# crashdb`` costs nothing, ``from crashdb import log_crash_round`` loads what logging needs, and
# the analytics (SciPy, pyarrow) load only with the first ``get_*`` call.
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        (
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
        ),
        "crashdb.analytics",
    ),
    **dict.fromkeys(
        (
            "create_session_log",
            "log_batch_rounds",
            "log_crash_round",
            "log_error",
            "log_ocr_validation",
            "log_round_multiplier_analytics",
            "log_round_outcome",
            "log_round_signal",
            "update_session_log",
        ),
        "crashdb.api",
    ),
    **dict.fromkeys(
        (
            "Database",
            "DatabaseConnection",
            "get_database",
            "get_session",
            "init_db",
            "session_scope",
        ),
        "crashdb.db",
    ),
    **dict.fromkeys(
        (
            "ConflictingRecord",
            "CrashdbError",
            "DatabaseUnavailable",
            "FieldError",
            "InvalidRecord",
            "SchemaNotInitialized",
            "VerificationError",
        ),
        "crashdb.exceptions",
    ),
    **dict.fromkeys(
        (
            "ErrorRecord",
            "MultiplierRecord",
            "OCRRecord",
            "OutcomeRecord",
            "Record",
            "RoundRecord",
            "SessionStartRecord",
            "SessionUpdateRecord",
            "SignalRecord",
        ),
        "crashdb.ingest.records",
    ),
    "RoundWriter": "crashdb.writer",
}
# The seed's analytics functions (kept apart: they pull in SciPy and pyarrow).
_LAZY = tuple(n for n, m in _HOMES.items() if m == "crashdb.analytics")

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
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'crashdb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
