"""CLI commands: ingest (work in progress)."""

from __future__ import annotations
