"""The ``crashdb`` command line (Typer + Rich).

Each module in :data:`COMMAND_MODULES` registers its commands on :data:`app` with
``@app.command()``; adding a command module is one line here. Every command gets the error
boundary, the safe consoles and the light start-up of :mod:`crashdb.cli._app` for free.
"""

from __future__ import annotations

import importlib

from crashdb.cli._app import app, main

__all__ = ["COMMAND_MODULES", "app", "main"]

# In the order ``crashdb --help`` lists their commands.
COMMAND_MODULES = (
    "crashdb.cli.schema",  # init, check, schema
    "crashdb.cli.listing",  # list
    "crashdb.cli.analytics",  # stats, distribution, signals, export, cleanup, size, refresh
    "crashdb.cli.ingest",  # import
    "crashdb.cli.report",  # report
    "crashdb.cli.simulate",  # simulate, montecarlo, backtest, demo, verify
    "crashdb.cli.serve",  # serve, token
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)
