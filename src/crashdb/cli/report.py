"""CLI commands: report (work in progress)."""

from __future__ import annotations
