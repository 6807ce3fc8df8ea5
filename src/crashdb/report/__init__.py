"""The self-contained HTML report: :func:`write_report`.

Modules: :mod:`~crashdb.report.data` (what the report shows, read from the database),
:mod:`~crashdb.report.charts` (Plotly figures), :mod:`~crashdb.report.html` (the page),
:mod:`~crashdb.report.text` (how ids and times read).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crashdb.report.html import write_report

__all__ = ["write_report"]


def __getattr__(name: str) -> Any:
    # Plotly is imported with crashdb.report.html: only when the report is written, so that
    # crashdb.report.text stays light for the command line.
    if name == "write_report":
        return importlib.import_module("crashdb.report.html").write_report
    raise AttributeError(f"module 'crashdb.report' has no attribute {name!r}")
