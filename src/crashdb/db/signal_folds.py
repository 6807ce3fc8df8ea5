"""The signal summaries' SQL (revision 0002): ``signal_cells.sql`` (how a signal is judged and
which cell it adds to) and the triggers that keep ``signal_summaries`` on each backend.

The report applies :func:`signal_cells` to the signals of its scope; :mod:`crashdb.db.folds`
renders the revision's files and rebuilds the cells on ``refresh --full``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from crashdb.db.sql_files import DIALECTS, sql_file, statements

__all__ = [
    "CONFIDENCE_BINS",
    "SIGNAL_COLUMNS",
    "cell_values",
    "signal_cells",
    "signal_objects",
    "signals_merge",
]

CONFIDENCE_BINS = 10  # signal_cells.sql bins confidences by tenths
_NO_BIN = -1  # the bin of a signal not resolved or without a confidence
_CONFIDENCE_UNIT = 1e-4  # of confidence_units
_BRIER_UNIT = 1e-8  # of brier_units

# The columns of a signal that its cell depends on (signal_cells.sql).
SIGNAL_COLUMNS = (
    "bot_id",
    "signal_type",
    "game_name",
    "target_multiplier",
    "confidence_score",
    "actual_multiplier",
    "signal_correctness",
)
DROP_EMPTY_SIGNAL_CELLS = "DELETE FROM signal_summaries WHERE signals = 0"
# Signals without their round's crash point or game take them from the round.
_SIGNAL_ROUND_VALUES = """UPDATE analytics_round_signals
   SET actual_multiplier = coalesce(actual_multiplier,
                                    (SELECT r.crash_multiplier FROM crash_game_rounds r
                                      WHERE r.id = analytics_round_signals.round_id)),
       game_name = coalesce(game_name,
                            (SELECT r.game_name FROM crash_game_rounds r
                              WHERE r.id = analytics_round_signals.round_id))
 WHERE round_id IS NOT NULL AND (actual_multiplier IS NULL OR game_name IS NULL)"""


def signal_cells(dialect: str, source: str, sign: str = "") -> str:
    """signal_cells.sql: the cells the signals in ``source`` add to (``sign`` ``-``: take
    from) the signal summaries."""
    return sql_file("signal_cells.sql").format(
        source=source, sign=sign, confidence_units=DIALECTS[dialect].confidence_units
    )


def cell_values(cell: Mapping[Any, Any]) -> dict[str, Any]:
    """A cell as signal_cells.sql returns it (or the sum of stored cells, with the same column
    names) in plain values: no game, target or bin as None, the sums in their units."""
    return {
        "signal_type": cell["signal_type"],
        "game": cell["game_name"] or None,
        "target_multiplier": cell["target_multiplier"] or None,
        "bin": None if cell["confidence_bin"] == _NO_BIN else int(cell["confidence_bin"]),
        "n": int(cell["signals"]),
        "resolved": int(cell["resolved"]),
        "hits": int(cell["hits"]),
        "n_conf": int(cell["with_confidence"]),
        "hits_conf": int(cell["hits_with_confidence"]),
        "sum_conf": int(cell["confidence_units"]) * _CONFIDENCE_UNIT,
        "brier_sum": int(cell["brier_units"]) * _BRIER_UNIT,
    }


def signals_merge(dialect: str, source: str, sign: str = "") -> str:
    """The signals in ``source`` merged into (or, ``sign`` ``-``, taken from) the summaries."""
    return sql_file("signal_summaries_merge.sql").format(
        signal_cells=signal_cells(dialect, source, sign)
    )


def _signal_row(ref: str) -> str:
    """A one-row relation of a row trigger's OLD or NEW signal."""
    return "(SELECT " + ", ".join(f"{ref}.{c} AS {c}" for c in SIGNAL_COLUMNS) + ")"


@cache
def signal_objects(dialect: str) -> list[str]:
    """Revision 0002: what keeps the signal summaries, in creation order (the table itself is
    created by the revision)."""

    def body(stmt: str) -> str:
        return stmt.replace("\n", "\n    ")

    if dialect == "postgresql":
        new, old = "new_signals", "old_signals"
    else:
        new, old = _signal_row("NEW"), _signal_row("OLD")
    script = sql_file(f"{dialect}_signals.sql").format(
        backfill_round_values=_SIGNAL_ROUND_VALUES,
        add_new=body(signals_merge(dialect, new)),
        take_old=body(signals_merge(dialect, old, "-")),
        drop_empty=DROP_EMPTY_SIGNAL_CELLS,
        judged_columns=", ".join(SIGNAL_COLUMNS),
        add_all=signals_merge(dialect, "analytics_round_signals"),
    )
    return statements(script)
