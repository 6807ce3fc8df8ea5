"""CLI commands: analytics (work in progress)."""

from __future__ import annotations
