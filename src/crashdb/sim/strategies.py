"""Betting strategies behind one small interface.

A strategy looks at the rounds it has played (``history``) and the current bankroll, and
returns the next :class:`Bet` (a stake and a cash-out target) or ``None`` to sit the round out::

    class Strategy:
        name: str
        def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None: ...
        def stop_reason(self, history, bankroll) -> str | None: ...   # end the session?

Strategies are pure functions of the history, so one instance can be replayed over any
sequence of rounds (simulation, backtest, Monte Carlo) with the same result. Money is
:class:`~decimal.Decimal`; stakes are rounded down to 0.01 and targets are multipliers >= 1.01.

No strategy changes the expected return of a crash game: every bet at any target returns
``RTP - 1`` per unit staked on average (-3% at 97%). Strategies only change the *shape* of
the results (how often you win, how deep the drawdowns get, how likely ruin is).
:class:`KellyCriterion` makes the point explicitly: at the game's true odds the Kelly
fraction is negative, so it stakes nothing.

Built in: ``compound_1.33x``, ``martingale``, ``fixed_stake``, ``kelly_criterion``; ``custom``
strategies load from a class or from ``path/to/file.py:ClassName`` (or ``package.module:Class``);
:class:`StopLoss` and :class:`TakeProfit` wrap any strategy.

Specs (command line): ``martingale``, ``martingale[max_stake=50,target=2]``,
``kelly_criterion[edge=0.02]``, ``my_bots/strat.py:MyStrategy[threshold=3]``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "BUILTIN_STRATEGIES",
    "Bet",
    "CompoundStrategy",
    "CustomStrategy",
    "FixedStake",
    "KellyCriterion",
    "Martingale",
    "RoundResult",
    "StopLoss",
    "Strategy",
    "StrategyLike",
    "TakeProfit",
    "kelly_fraction",
    "load_custom_strategy",
    "make_strategy",
    "parse_strategy_spec",
    "quantize_stake",
]

CENT = Decimal("0.01")
MIN_TARGET = Decimal("1.01")
MIN_STAKE = Decimal("0.10")  # the smallest bet the games take


def quantize_stake(value: Decimal) -> Decimal:
    """A stake rounded down to 0.01."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def _dec(value: Any, what: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{what}: not a number: {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"{what}: must be finite, got {value!r}")
    return d


@dataclass(frozen=True, slots=True)
class Bet:
    """A stake and the multiplier to cash out at. ``step`` is logged as ``strategy_step``."""

    stake: Decimal
    target: Decimal
    step: int | None = None

    def __post_init__(self) -> None:
        if self.stake <= 0:
            raise ValueError(f"stake must be > 0, got {self.stake}")
        if self.target < MIN_TARGET:
            raise ValueError(f"target must be >= {MIN_TARGET}, got {self.target}")


@dataclass(frozen=True, slots=True)
class RoundResult:
    """One round as a strategy sees it afterwards."""

    round_number: int
    crash: Decimal
    bet: Bet | None
    won: bool | None  # None when no bet was placed
    profit: Decimal
    balance_before: Decimal
    balance_after: Decimal


def _last_bet(history: Sequence[RoundResult]) -> RoundResult | None:
    for r in reversed(history):
        if r.bet is not None:
            return r
    return None


def _start_balance(history: Sequence[RoundResult], bankroll: Decimal) -> Decimal:
    return history[0].balance_before if history else bankroll


@runtime_checkable
class StrategyLike(Protocol):
    """What a custom strategy class must provide (it need not subclass :class:`Strategy`)."""

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None: ...


class Strategy(ABC):
    """Base class: ``decide`` the next bet; optionally ``stop_reason`` to end a session."""

    name: str = "strategy"

    @abstractmethod
    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        """The next bet, or ``None`` to skip this round."""

    def stop_reason(self, history: Sequence[RoundResult], bankroll: Decimal) -> str | None:
        """Why the session should end now, or ``None`` to keep playing."""
        return None

    def describe(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class FixedStake(Strategy):
    """The same stake at the same target every round."""

    def __init__(self, stake: Any = "1.00", target: Any = "2.00", name: str = "fixed_stake"):
        self.stake = quantize_stake(_dec(stake, "stake"))
        self.target = _dec(target, "target")
        Bet(self.stake, self.target)  # validate
        self.name = name

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        return Bet(self.stake, self.target, 0)

    def describe(self) -> str:
        return f"{self.name}: {self.stake} at {self.target}x"


class CompoundStrategy(Strategy):
    """Re-stake the whole return after a win, for up to ``max_steps`` wins, then bank it.

    Step 0 stakes ``base_stake``. After a win at step ``s < max_steps`` the next stake is the
    previous stake times the target (stake plus profit), at step ``s + 1``. After a loss, or
    after ``max_steps`` wins in a row, it starts again from ``base_stake``. Stakes never exceed
    ``max_stake``.
    """

    def __init__(
        self,
        base_stake: Any = "1.00",
        target: Any = "1.33",
        max_steps: int = 3,
        max_stake: Any = None,
        name: str = "compound_1.33x",
    ) -> None:
        self.base_stake = quantize_stake(_dec(base_stake, "base_stake"))
        self.target = _dec(target, "target")
        Bet(self.base_stake, self.target)
        self.max_steps = int(max_steps)
        self.max_stake = None if max_stake is None else _dec(max_stake, "max_stake")
        self.name = name

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        last = _last_bet(history)
        if last is None or not last.won or last.bet is None:
            return Bet(self.base_stake, self.target, 0)
        step = (last.bet.step or 0) + 1
        if step > self.max_steps:
            return Bet(self.base_stake, self.target, 0)
        stake = quantize_stake(last.bet.stake * last.bet.target)
        if self.max_stake is not None and stake > self.max_stake:
            stake = quantize_stake(self.max_stake)
        return Bet(stake, self.target, step)

    def describe(self) -> str:
        return f"{self.name}: {self.base_stake} at {self.target}x, compounding {self.max_steps}"


class Martingale(Strategy):
    """Multiply the stake by ``factor`` after each loss; back to ``base_stake`` after a win.

    ``max_stake`` is the table limit: a stake is never above it. When the progression would
    exceed it, ``at_limit="reset"`` (default) starts again from ``base_stake`` (the loss run is
    realized) and ``at_limit="cap"`` keeps betting ``max_stake``.
    """

    def __init__(
        self,
        base_stake: Any = "1.00",
        target: Any = "2.00",
        factor: Any = "2",
        max_stake: Any = "100.00",
        at_limit: str = "reset",
        name: str = "martingale",
    ) -> None:
        self.base_stake = quantize_stake(_dec(base_stake, "base_stake"))
        self.target = _dec(target, "target")
        self.factor = _dec(factor, "factor")
        self.max_stake = quantize_stake(_dec(max_stake, "max_stake"))
        Bet(self.base_stake, self.target)
        if self.max_stake < self.base_stake:
            raise ValueError("max_stake must be >= base_stake")
        if at_limit not in ("reset", "cap"):
            raise ValueError("at_limit must be 'reset' or 'cap'")
        self.at_limit = at_limit
        self.name = name

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        last = _last_bet(history)
        if last is None or last.won or last.bet is None:
            return Bet(self.base_stake, self.target, 0)
        stake = quantize_stake(last.bet.stake * self.factor)
        step = (last.bet.step or 0) + 1
        if stake > self.max_stake:
            if self.at_limit == "reset":
                return Bet(self.base_stake, self.target, 0)
            stake = self.max_stake
        return Bet(stake, self.target, step)

    def describe(self) -> str:
        return (
            f"{self.name}: {self.base_stake} at {self.target}x, x{self.factor} after a loss, "
            f"table limit {self.max_stake} ({self.at_limit})"
        )


def kelly_fraction(win_probability: float, target: float) -> float:
    """Kelly's optimal fraction ``(b p - q) / b`` for net odds ``b = target - 1``."""
    b = target - 1.0
    if b <= 0:
        raise ValueError("target must be > 1")
    return (b * win_probability - (1.0 - win_probability)) / b


class KellyCriterion(Strategy):
    """Stake the Kelly fraction of the bankroll, which at a crash game's true odds is nothing.

    At target ``t`` the true win probability is ``RTP / t``, so the Kelly fraction is
    ``(RTP - 1) / (t - 1)``: negative for any RTP below 1. The strategy then returns no bet
    and :meth:`explain` says why. ``edge`` lets you state a *believed* edge (expected profit
    per unit staked, e.g. ``0.02``) to see what Kelly would stake if such an edge existed; it
    then stakes ``fraction * edge / (t - 1)`` of the bankroll. No such edge exists in a fair
    game: believing in one is how bankrolls are lost.
    """

    def __init__(
        self,
        target: Any = "2.00",
        rtp: Any = "0.97",
        edge: Any = None,
        fraction: Any = "1",
        name: str = "kelly_criterion",
    ) -> None:
        self.target = _dec(target, "target")
        if self.target < MIN_TARGET:
            raise ValueError(f"target must be >= {MIN_TARGET}")
        self.rtp = _dec(rtp, "rtp")
        self.edge = None if edge is None else _dec(edge, "edge")
        self.fraction = _dec(fraction, "fraction")
        self.name = name

    @property
    def win_probability(self) -> float:
        """The probability the strategy bets on: true odds, or the believed edge's."""
        expected_return = float(self.rtp) if self.edge is None else 1.0 + float(self.edge)
        return min(1.0, expected_return / float(self.target))

    @property
    def kelly(self) -> float:
        return kelly_fraction(self.win_probability, float(self.target))

    def explain(self) -> str:
        p, t, f = self.win_probability, float(self.target), self.kelly
        source = "true odds" if self.edge is None else f"believed edge {self.edge}"
        verdict = (
            "<= 0: Kelly stakes nothing (the bet has negative expectation)"
            if f <= 0
            else f"> 0: stakes {float(self.fraction) * f:.4f} of the bankroll"
        )
        return (
            f"Kelly at {t:.2f}x with {source}: p = {p:.4f}, b = {t - 1:.2f}, "
            f"f* = (b*p - q)/b = {f:+.4f} {verdict}"
        )

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        f = self.kelly
        if f <= 0:
            return None
        stake = quantize_stake(bankroll * self.fraction * Decimal(repr(f)))
        if stake <= 0:
            return None
        return Bet(stake, self.target, 0)

    def describe(self) -> str:
        return self.explain()


class CustomStrategy(Strategy):
    """Adapts any object with ``decide(history, bankroll)`` (and optionally ``name``,
    ``stop_reason``) to :class:`Strategy`."""

    def __init__(self, inner: StrategyLike, name: str | None = None) -> None:
        if not callable(getattr(inner, "decide", None)):
            raise TypeError(f"{inner!r} has no decide(history, bankroll) method")
        self.inner = inner
        self.name = name or str(getattr(inner, "name", None) or type(inner).__name__)

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        bet = self.inner.decide(history, bankroll)
        if bet is not None and not isinstance(bet, Bet):
            raise TypeError(f"{self.name}.decide returned {bet!r}, expected Bet or None")
        return bet

    def stop_reason(self, history: Sequence[RoundResult], bankroll: Decimal) -> str | None:
        fn = getattr(self.inner, "stop_reason", None)
        return fn(history, bankroll) if callable(fn) else None


class StopLoss(Strategy):
    """Stop the wrapped strategy before the session loses more than ``max_loss``.

    A stake is cut to what is left before the limit; once less than ``min_stake`` is left
    the session stops.
    """

    def __init__(self, inner: Strategy, max_loss: Any, min_stake: Any = MIN_STAKE) -> None:
        self.inner = inner
        self.max_loss = _dec(max_loss, "max_loss")
        self.min_stake = _dec(min_stake, "min_stake")
        if self.max_loss <= 0:
            raise ValueError("max_loss must be > 0")
        self.name = f"{inner.name}+sl{self.max_loss}"

    def stop_reason(self, history: Sequence[RoundResult], bankroll: Decimal) -> str | None:
        lost = _start_balance(history, bankroll) - bankroll
        if self.max_loss - lost < self.min_stake:
            return f"stop-loss: lost {lost} of {self.max_loss}"
        return self.inner.stop_reason(history, bankroll)

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        if self.stop_reason(history, bankroll) is not None:
            return None
        bet = self.inner.decide(history, bankroll)
        if bet is None:
            return None
        # Never stake more than what is left before the stop-loss triggers.
        room = self.max_loss - (_start_balance(history, bankroll) - bankroll)
        if bet.stake > room:
            stake = quantize_stake(room)
            return Bet(stake, bet.target, bet.step) if stake > 0 else None
        return bet


class TakeProfit(Strategy):
    """Stop the wrapped strategy once the session is up ``target_profit`` or more."""

    def __init__(self, inner: Strategy, target_profit: Any) -> None:
        self.inner = inner
        self.target_profit = _dec(target_profit, "target_profit")
        if self.target_profit <= 0:
            raise ValueError("target_profit must be > 0")
        self.name = f"{inner.name}+tp{self.target_profit}"

    def stop_reason(self, history: Sequence[RoundResult], bankroll: Decimal) -> str | None:
        won = bankroll - _start_balance(history, bankroll)
        if won >= self.target_profit:
            return f"take-profit: up {won} >= {self.target_profit}"
        return self.inner.stop_reason(history, bankroll)

    def decide(self, history: Sequence[RoundResult], bankroll: Decimal) -> Bet | None:
        if self.stop_reason(history, bankroll) is not None:
            return None
        return self.inner.decide(history, bankroll)


# --------------------------------------------------------------------------------------------
# construction from names and specs

BUILTIN_STRATEGIES: dict[str, Callable[..., Strategy]] = {
    "compound_1.33x": CompoundStrategy,
    "martingale": Martingale,
    "fixed_stake": FixedStake,
    "kelly_criterion": KellyCriterion,
}
# Parameters the fleet passes to every strategy that accepts them.
_SHARED = {"base_stake", "stake", "max_stake", "rtp"}


@functools.lru_cache(maxsize=64)
def _load_object(ref: str) -> Any:
    """``path/to/file.py:Name`` or ``package.module:Name``."""
    if ":" not in ref:
        raise ValueError(f"custom strategy {ref!r}: expected 'path/to/file.py:ClassName'")
    where, _, attr = ref.rpartition(":")
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where).expanduser().resolve()
        if not path.is_file():
            raise ValueError(f"custom strategy file not found: {path}")
        mod_name = f"crashdb_custom_{abs(hash(str(path)))}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"{where} has no attribute {attr!r}") from None


def load_custom_strategy(source: str | type | Any, **params: Any) -> Strategy:
    """A user's strategy from a class, an instance, or ``path/to/file.py:ClassName``.

    A class is instantiated with the ``params`` its constructor accepts. The result is a
    :class:`Strategy` (subclass instances are returned as they are, others are adapted).
    """
    obj = _load_object(source) if isinstance(source, str) else source
    if inspect.isclass(obj):
        accepted = _accepted_params(obj, params)
        obj = obj(**accepted)
    if isinstance(obj, Strategy):
        return obj
    if not isinstance(obj, StrategyLike):
        raise TypeError(f"{obj!r} has no decide(history, bankroll) method")
    return CustomStrategy(obj)


def _accepted_params(factory: Callable[..., Any], params: dict[str, Any]) -> dict[str, Any]:
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return dict(params)
    return {k: v for k, v in params.items() if k in sig.parameters}


def parse_strategy_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``'martingale[max_stake=50,target=2]'`` -> ``('martingale', {...})``."""
    spec = spec.strip()
    params: dict[str, str] = {}
    if spec.endswith("]") and "[" in spec:
        head, _, body = spec[:-1].partition("[")
        spec = head.strip()
        for item in filter(None, (p.strip() for p in body.split(","))):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"strategy parameter {item!r}: expected key=value")
            params[key.strip()] = value.strip()
    if not spec:
        raise ValueError("empty strategy spec")
    return spec, params


def make_strategy(
    spec: str | Strategy | type,
    *,
    stop_loss: Any = None,
    take_profit: Any = None,
    **defaults: Any,
) -> Strategy:
    """A strategy from a name or spec, with shared ``defaults`` and optional wrappers.

    ``defaults`` (e.g. ``base_stake``, ``max_stake``, ``rtp``) go to every strategy whose
    constructor accepts them; parameters in the spec override them. A name that is not a
    built-in is loaded as a custom strategy (``path/to/file.py:ClassName``).
    """
    strategy: Strategy
    if isinstance(spec, Strategy):
        strategy = spec
    elif isinstance(spec, str):
        name, params = parse_strategy_spec(spec)
        shared = {k: v for k, v in defaults.items() if v is not None}
        if name in BUILTIN_STRATEGIES:
            factory = BUILTIN_STRATEGIES[name]
            merged = {**_accepted_params(factory, shared), **params}
            if factory is FixedStake and "stake" not in params and "base_stake" in shared:
                merged["stake"] = shared["base_stake"]
            unknown = set(params) - set(inspect.signature(factory).parameters)
            if unknown:
                raise ValueError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))}")
            strategy = factory(**merged)
        elif name == "custom":
            raise ValueError("custom strategies are given as 'path/to/file.py:ClassName'")
        else:
            strategy = load_custom_strategy(name, **{**shared, **params})
    else:
        strategy = load_custom_strategy(spec, **defaults)
    if stop_loss is not None:
        strategy = StopLoss(strategy, stop_loss)
    if take_profit is not None:
        strategy = TakeProfit(strategy, take_profit)
    return strategy
