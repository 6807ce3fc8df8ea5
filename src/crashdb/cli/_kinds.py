"""What ``crashdb list`` lists (a light module: the command's argument type)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Kind"]


class Kind(StrEnum):
    bots = "bots"
    sessions = "sessions"
    strategies = "strategies"
    games = "games"
