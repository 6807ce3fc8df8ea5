"""Crash-point generators with each game's published return to player (RTP).

A crash game with return to player ``RTP`` and no other edge has the survival function

    P(crash >= x) = RTP / x        for every multiplier x > 1.00 (and 1 for x <= 1.00),

so a bet that cashes out at ``x`` wins with probability ``RTP / x`` and returns, on average,
``RTP`` per unit staked whatever ``x`` is: the expected ROI of every cash-out target is
``RTP - 1`` (-3% at 97%). With probability ``1 - RTP`` the round "crashes instantly" at 1.00x.

The generator draws ``k`` uniformly from ``{1, ..., 2**bits}`` and sets the crash point, in
hundredths, to ``floor(100 * RTP * 2**bits / k)`` using exact integer arithmetic: multipliers are
rounded *down* to 0.01 as the games display them, below 1.00 becomes 1.00 and above the game's
cap becomes the cap. On the 0.01 grid ``P(crash >= x) = RTP / x`` holds up to ``2**-bits``.

Everything is vectorized (NumPy) and seeded by a :class:`numpy.random.Generator`, so the same
seed gives the same rounds.

    game = CrashGame.from_catalog("aviator")              # RTP 0.97 from crashdb.config.GAMES
    rng = np.random.default_rng(42)
    cents = game.crash_cents(10_000, rng)                 # int64 array, 245 means 2.45x
    points = game.crash_points(10, rng)                   # list[Decimal]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from crashdb.config import GAMES, GameInfo

__all__ = [
    "CrashGame",
    "cents_to_decimal",
    "decimal_to_cents",
    "expected_roi",
    "get_game",
    "survival_probability",
]

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


def cents_to_decimal(cents: int) -> Decimal:
    """``245`` -> ``Decimal('2.45')``."""
    return Decimal(int(cents)).scaleb(-2)


def decimal_to_cents(value: Decimal | str | int | float) -> int:
    """A multiplier rounded *down* to 0.01, in hundredths: ``'2.459'`` -> ``245``."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    return int((d * _HUNDRED).to_integral_value(rounding="ROUND_FLOOR"))


def survival_probability(x: float | Decimal, rtp: float | Decimal) -> float:
    """The theoretical ``P(crash >= x) = min(1, RTP / x)`` of a fair-RTP crash game."""
    xf = float(x)
    if xf <= 0:
        raise ValueError("multiplier must be positive")
    if xf <= 1.0:
        return 1.0  # every round reaches 1.00x (an instant crash shows 1.00x)
    return min(1.0, float(rtp) / xf)


def expected_roi(rtp: float | Decimal) -> float:
    """Expected return per unit staked of any cash-out target: ``RTP - 1``."""
    return float(rtp) - 1.0


@dataclass(frozen=True, slots=True)
class CrashGame:
    """A crash game: its name, RTP and multiplier cap (all configurable)."""

    name: str
    rtp: Decimal = Decimal("0.97")
    max_multiplier: Decimal = Decimal("1000000.00")
    display_name: str = ""
    provider: str = ""

    def __post_init__(self) -> None:
        if not (Decimal(0) < self.rtp <= Decimal(1)):
            raise ValueError(f"rtp must be in (0, 1], got {self.rtp}")
        if self.max_multiplier < Decimal(1):
            raise ValueError(f"max_multiplier must be >= 1.00, got {self.max_multiplier}")

    @classmethod
    def from_info(cls, info: GameInfo) -> CrashGame:
        return cls(
            name=info.name,
            rtp=info.rtp,
            max_multiplier=info.max_multiplier,
            display_name=info.display_name,
            provider=info.provider,
        )

    @classmethod
    def from_catalog(cls, name: str, rtp: Decimal | None = None) -> CrashGame:
        """The game from :data:`crashdb.config.GAMES`, optionally with another RTP."""
        return get_game(name, rtp)

    def with_rtp(self, rtp: Decimal) -> CrashGame:
        return replace(self, rtp=rtp)

    @property
    def max_cents(self) -> int:
        return decimal_to_cents(self.max_multiplier)

    def _scaled(self) -> tuple[int, int, int]:
        """``(numerator, denominator, bits)`` with ``100 * RTP = numerator / denominator``.

        ``bits`` is as large as possible (at most 52) so that ``numerator * 2**bits`` and
        ``denominator * 2**bits`` fit in a signed 64-bit integer.
        """
        frac = Fraction(self.rtp) * 100
        num, den = frac.numerator, frac.denominator
        bits = min(52, 62 - num.bit_length(), 62 - den.bit_length())
        if bits < 24:
            raise ValueError(f"rtp {self.rtp} has too many digits for the generator")
        return num, den, bits

    def crash_cents(self, n: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
        """``n`` crash points in hundredths (``int64``; 100 means 1.00x), rounded down."""
        if n < 0:
            raise ValueError("n must be >= 0")
        num, den, bits = self._scaled()
        k = rng.integers(1, (1 << bits) + 1, size=n, dtype=np.int64)
        # floor(num * 2**bits / (den * k)) without overflow: num * 2**bits < 2**63.
        cents = np.int64(num << bits) // (np.int64(den) * k)
        np.clip(cents, 100, self.max_cents, out=cents)
        return cents

    def crash_points(self, n: int, rng: np.random.Generator) -> list[Decimal]:
        """``n`` crash multipliers as exact :class:`~decimal.Decimal` values (``2.45``)."""
        return [cents_to_decimal(c) for c in self.crash_cents(n, rng).tolist()]

    def survival(self, x: float | Decimal) -> float:
        """``P(crash >= x)`` in theory, including the cap (0 above it)."""
        if Decimal(str(x)) > self.max_multiplier:
            return 0.0
        return survival_probability(x, self.rtp)

    def win_probability(self, target: Decimal) -> float:
        """Probability that a cash-out at ``target`` (rounded down to 0.01) is reached."""
        cents = decimal_to_cents(target)
        if cents > self.max_cents:
            return 0.0
        if cents <= 100:
            return 1.0
        num, den, bits = self._scaled()
        # Exact for this generator: #{k : floor(num 2^b / (den k)) >= c} / 2^b.
        return min(1.0, math.floor(Fraction(num << bits, den * cents)) / (1 << bits))


def get_game(name: str, rtp: Decimal | None = None) -> CrashGame:
    """A catalog game by name (``aviator``, ``aviatrix``, ``jetx``); any RTP may override."""
    key = name.strip().lower()
    if key not in GAMES:
        raise KeyError(f"unknown game {name!r}; known: {', '.join(sorted(GAMES))}")
    game = CrashGame.from_info(GAMES[key])
    return game if rtp is None else game.with_rtp(rtp)
