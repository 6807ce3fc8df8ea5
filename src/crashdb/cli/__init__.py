"""The ``crashdb`` command line (Typer + Rich). Each concern registers its commands here."""

from __future__ import annotations

from crashdb.cli import schema as _schema  # noqa: F401  (registers init/check/schema)
from crashdb.cli._app import app, main

__all__ = ["app", "main"]
