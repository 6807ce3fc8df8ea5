"""CLI commands: simulate (work in progress)."""

from __future__ import annotations
