"""The ``crashdb`` command line (Typer + Rich); each concern registers its commands."""

from __future__ import annotations

from crashdb.cli import analytics as _analytics  # noqa: F401
from crashdb.cli import ingest as _ingest  # noqa: F401
from crashdb.cli import report as _report  # noqa: F401
from crashdb.cli import schema as _schema  # noqa: F401
from crashdb.cli import serve as _serve  # noqa: F401
from crashdb.cli import simulate as _simulate  # noqa: F401
from crashdb.cli._app import app, main

__all__ = ["app", "main"]
