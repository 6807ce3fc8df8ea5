"""The self-contained HTML report: :func:`write_report`.

Modules: :mod:`~crashdb.report.data` (what the report shows, read from the database),
:mod:`~crashdb.report.charts` (Plotly figures), :mod:`~crashdb.report.html` (the page).
"""

from __future__ import annotations

from crashdb.report.html import write_report

__all__ = ["write_report"]
