"""The numbers behind the HTML report, aggregated in SQL.

Every query here returns a bounded amount of data however many rounds the database holds:
equity curves are downsampled server-side (window functions number each curve's rounds and
keep the last point of each of at most ``points`` buckets, with the worst drawdown inside the
bucket, so the maximum drawdown survives the downsampling); the multiplier distribution,
hit rates and calibration come back as counts per grid point, target or bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import String

from crashdb.analytics import stats
from crashdb.analytics.common import R, fnum, iso, num, published_rtp
from crashdb.analytics.game_rounds import game_rounds
from crashdb.analytics.performance import metrics_from, performance_metrics
from crashdb.analytics.runs import Selection, T, run_states
from crashdb.analytics.strategies import strategy_capital
from crashdb.config import GAMES
from crashdb.db.models import AnalyticsRoundSignal, SessionLog
from crashdb.db.signal_folds import CONFIDENCE_BINS, cell_values, signal_cells
from crashdb.db.types import MULTIPLIER

__all__: list[str] = []

SIG = AnalyticsRoundSignal.__table__.c
S = SessionLog.__table__.c
DEFAULT_RTP = float(GAMES["aviator"].rtp)
MIN_TAIL_ROUNDS = 5  # survival points drawn only where at least this many rounds reach x


@dataclass(frozen=True, slots=True)
class Scope:
    """Which rounds the report covers (``None`` = no restriction)."""

    bot_id: str | None = None
    session_id: str | None = None
    strategy_name: str | None = None
    game_name: str | None = None

    def whole_strategies(self) -> bool:
        """True when every round of a strategy in scope is in scope (no bot, session or game
        filter): its metrics come from the run summaries (crashdb.analytics.runs)."""
        return self.bot_id is None and self.session_id is None and self.game_name is None

    def where(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.bot_id is not None:
            out.append(R.bot_id == self.bot_id)
        if self.session_id is not None:
            out.append(R.session_id == self.session_id)
        if self.strategy_name is not None:
            out.append(R.strategy_name == self.strategy_name)
        if self.game_name is not None:
            out.append(R.game_name == self.game_name)
        return out

    def describe(self) -> str:
        parts = [
            f"{label} {value}"
            for label, value in (
                ("bot", self.bot_id),
                ("session", self.session_id),
                ("strategy", self.strategy_name),
                ("game", self.game_name),
            )
            if value is not None
        ]
        return ", ".join(parts) if parts else "all recorded rounds"


# --------------------------------------------------------------------------- overview


@dataclass(slots=True)
class Overview:
    rounds: int = 0
    bets: int = 0
    bots: int = 0
    sessions: int = 0
    games: list[str] = field(default_factory=list)
    first_round_at: str | None = None
    last_round_at: str | None = None
    total_staked: float = 0.0
    total_profit: float = 0.0
    rtps: dict[str, float] = field(default_factory=dict)


def overview(conn: Connection, scope: Scope) -> Overview:
    where = scope.where()
    bet = and_(R.stake_value > 0, R.round_outcome.in_(("WIN", "LOSS")))
    sessions = (
        select(R.bot_id, R.session_id).where(*where).group_by(R.bot_id, R.session_id).subquery()
    )
    row = conn.execute(
        select(
            func.count(),
            func.count().filter(bet),
            func.count(func.distinct(R.bot_id)),
            func.min(R.round_start_timestamp),
            func.max(R.round_start_timestamp),
            func.coalesce(func.sum(case((bet, R.stake_value), else_=None)), 0),
            func.coalesce(func.sum(R.profit_loss), 0),
        ).where(*where)
    ).one()
    n_sessions = conn.execute(select(func.count()).select_from(sessions)).scalar_one()
    games = sorted(
        g for g in conn.execute(select(R.game_name).where(*where).distinct()).scalars() if g
    )
    return Overview(
        rounds=int(row[0]),
        bets=int(row[1]),
        bots=int(row[2]),
        sessions=int(n_sessions),
        games=games,
        first_round_at=iso(row[3]),
        last_round_at=iso(row[4]),
        total_staked=float(row[5]),
        total_profit=float(row[6]),
        rtps={g: rtp_of(conn, g) for g in games},
    )


def rtp_of(conn: Connection, game: str | None) -> float:
    """The game's published RTP (reference table, else crashdb.config.GAMES, else 0.97)."""
    value = published_rtp(conn, game) if game else None
    return value if value is not None else DEFAULT_RTP


class RtpCache:
    """:func:`rtp_of` looked up once per game."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.known: dict[str | None, float] = {}

    def __call__(self, game: str | None) -> float:
        if game not in self.known:
            self.known[game] = rtp_of(self.conn, game)
        return self.known[game]


# --------------------------------------------------------------------------- equity curves


@dataclass(slots=True)
class Curve:
    label: str
    rounds: int
    x: list[int]
    equity: list[float]
    drawdown: list[float]

    @property
    def max_drawdown(self) -> float:
        return -min(self.drawdown, default=0.0)

    @property
    def final(self) -> float:
        return self.equity[-1] if self.equity else 0.0


@dataclass(slots=True)
class Equity:
    by: str  # "bot" or "session"
    curves: list[Curve]
    total_curves: int
    points: int


def equity_curves(
    conn: Connection, scope: Scope, *, max_curves: int = 12, points: int = 1500
) -> Equity:
    """Cumulative profit and drawdown per bot (or per session when the scope is one bot or
    one session), at most ``points`` points per curve, computed in the database."""
    by_session = scope.bot_id is not None or scope.session_id is not None
    where = scope.where()
    if by_session:
        key: ColumnElement[str] = R.bot_id + literal(" / ") + R.session_id
        order: list[Any] = [R.round_number, R.bet_slot]
    else:
        key = R.bot_id
        order = [R.round_start_timestamp, R.session_id, R.round_number, R.bet_slot]
    counted = (
        select(key.label("k"), func.count().label("n"))
        .where(*where)
        .group_by(key)
        .subquery("counted")
    )
    total = int(conn.execute(select(func.count()).select_from(counted)).scalar_one())
    chosen = {
        str(k): int(n)
        for k, n in conn.execute(
            select(counted.c.k, counted.c.n)
            .order_by(counted.c.n.desc(), counted.c.k)
            .limit(max_curves)
        ).all()
    }
    if not chosen:
        return Equity("session" if by_session else "bot", [], 0, points)
    part = [key]
    frame = (None, 0)
    l1 = (
        select(
            key.label("k"),
            func.row_number().over(partition_by=part, order_by=order).label("rn"),
            func.count().over(partition_by=part).label("n"),
            func.sum(R.profit_loss)
            .over(partition_by=part, order_by=order, rows=frame)
            .label("cum"),
        )
        .where(*where, key.in_(list(chosen)))
        .subquery("l1")
    )
    peak = func.max(l1.c.cum).over(partition_by=l1.c.k, order_by=l1.c.rn, rows=frame)
    l2 = select(
        l1.c.k,
        l1.c.rn,
        l1.c.cum,
        ((l1.c.rn - 1) * points // l1.c.n).label("b"),
        peak.label("peak"),
    ).subquery("l2")
    zero = literal(0)
    dd = l2.c.cum - case((l2.c.peak > zero, l2.c.peak), else_=zero)
    l3 = select(
        l2.c.k,
        l2.c.rn,
        l2.c.cum,
        func.min(dd).over(partition_by=[l2.c.k, l2.c.b]).label("bdd"),
        func.max(l2.c.rn).over(partition_by=[l2.c.k, l2.c.b]).label("brn"),
    ).subquery("l3")
    rows = conn.execute(
        select(l3.c.k, l3.c.rn, l3.c.cum, l3.c.bdd)
        .where(l3.c.rn == l3.c.brn)
        .order_by(l3.c.k, l3.c.rn)
    ).all()
    curves: dict[str, Curve] = {}
    for k, rn, cum, bdd in rows:
        label = str(k)
        if by_session and scope.bot_id is not None:
            label = label.split(" / ", 1)[1]
        c = curves.get(str(k))
        if c is None:
            c = curves[str(k)] = Curve(label, chosen[str(k)], [0], [0.0], [0.0])
        c.x.append(int(rn))
        c.equity.append(float(cum))
        c.drawdown.append(min(0.0, float(bdd)))
    ordered = [curves[k] for k in chosen if k in curves]
    return Equity("session" if by_session else "bot", ordered, total, points)


# --------------------------------------------------------------------------- multipliers


@dataclass(slots=True)
class Survival:
    game: str
    rtp: float
    rounds: int
    x: list[float]
    hits: list[int]
    max_multiplier: float | None
    rtp_estimate: float | None
    rtp_estimate_ci: tuple[float, float] | None

    def share(self, k: int) -> float:
        return self.hits[k] / self.rounds if self.rounds else math.nan

    def ci(self, k: int) -> tuple[float, float]:
        return stats.wilson_interval(self.hits[k], self.rounds)


def survival_grid(upper: float = 100_000.0, per_decade: int = 8) -> list[float]:
    """Log-spaced grid points from 1.01, on the games' 0.01 grid."""
    count = math.ceil(math.log10(upper / 1.01) * per_decade) + 1
    grid = {round(1.01 * (upper / 1.01) ** (k / (count - 1)), 2) for k in range(count)}
    return sorted(grid | {1.01, 1.5, 2.0, 5.0, 10.0, 100.0})


def multiplier_survival(conn: Connection, scope: Scope) -> list[Survival]:
    """Empirical ``P(crash >= x)`` per game (game rounds reported by several bots counted
    once), next to the model ``RTP / x``."""
    where = scope.where()
    games = [
        g
        for g in conn.execute(
            select(R.game_name).where(*where, R.crash_multiplier.is_not(None)).distinct()
        ).scalars()
        if g
    ]
    grid = survival_grid()
    out = []
    for game in sorted(games):
        g = game_rounds([*where, R.game_name == game])
        cols: list[Any] = [func.count(), func.max(g.c.m)]
        cols += [func.count().filter(g.c.m >= num(x)) for x in grid]
        row = conn.execute(select(*cols)).one()
        n = int(row[0])
        hits = [int(v) for v in row[2:]]
        keep = [k for k, h in enumerate(hits) if h >= MIN_TAIL_ROUNDS]
        est, est_ci = stats.rtp_from_survival(n, hits[0])
        out.append(
            Survival(
                game=game,
                rtp=rtp_of(conn, game),
                rounds=n,
                x=[grid[k] for k in keep],
                hits=[hits[k] for k in keep],
                max_multiplier=fnum(row[1]),
                rtp_estimate=est,
                rtp_estimate_ci=est_ci,
            )
        )
    return out


# --------------------------------------------------------------------------- hit rate by target


@dataclass(slots=True)
class TargetHits:
    target: float
    bets: int
    wins: int
    expected: float  # chance hit rate, RTP/target averaged over the games of these bets

    @property
    def rate(self) -> float:
        return self.wins / self.bets

    @property
    def ci(self) -> tuple[float, float]:
        return stats.wilson_interval(self.wins, self.bets)

    @property
    def p_value(self) -> float:
        return stats.binomial_p_value(self.wins, self.bets, min(1.0, self.expected))


def hit_rate_by_target(
    conn: Connection, scope: Scope, *, max_targets: int = 30
) -> tuple[list[TargetHits], int]:
    """Wins / bets per cash-out target of the recorded bets (the most used ``max_targets``
    targets), and the number of distinct targets in the data."""
    rows = conn.execute(
        select(
            R.game_name,
            R.target_multiplier,
            func.count(),
            func.count().filter(R.round_outcome == "WIN"),
        )
        .where(
            *scope.where(),
            R.target_multiplier.is_not(None),
            R.stake_value > 0,
            R.round_outcome.in_(("WIN", "LOSS")),
        )
        .group_by(R.game_name, R.target_multiplier)
    ).all()
    folded: dict[float, list[float]] = {}
    rtp = RtpCache(conn)
    for game, target, bets, wins in rows:
        t = float(target)
        acc = folded.setdefault(t, [0, 0, 0.0])
        acc[0] += int(bets)
        acc[1] += int(wins)
        acc[2] += int(bets) * stats.crash_survival(t, rtp(game))
    top = sorted(folded.items(), key=lambda kv: (-kv[1][0], kv[0]))[:max_targets]
    out = [
        TargetHits(target=t, bets=int(a[0]), wins=int(a[1]), expected=a[2] / a[0])
        for t, a in sorted(top)
    ]
    return out, len(folded)


# --------------------------------------------------------------------------- strategies


def strategy_table(
    conn: Connection, scope: Scope, *, max_strategies: int = 30
) -> tuple[list[dict[str, Any]], int]:
    """crashdb's performance metrics (win rate, ROI, profit factor... with their CIs) for each
    strategy in scope, the most used first."""
    whole = scope.whole_strategies()
    counts = conn.execute(
        select(R.strategy_name, func.count())
        .where(*scope.where())
        .group_by(R.strategy_name)
        .order_by(func.count().desc(), R.strategy_name)
    ).all()
    out = []
    for name, _n in counts[:max_strategies]:
        if name is not None and whole:
            # The run summaries, as get_strategy_performance.
            selection = Selection(
                [T.strategy_name == name], [R.strategy_name == name], run="strategy"
            )
            summaries, runs = run_states(conn, selection)
            total, _sessions = strategy_capital(conn, summaries)
            capital = float(total) if total is not None else None
            metrics = metrics_from(conn, summaries, runs, capital=capital)
            metrics["strategy_name"] = name
            out.append(metrics)
            continue
        match = R.strategy_name.is_(None) if name is None else R.strategy_name == name
        where = [*scope.where(), match]
        used = exists().where(R.bot_id == S.bot_id, R.session_id == S.session_id, *where)
        capital = conn.execute(select(func.sum(S.initial_balance)).where(used)).scalar()
        metrics = performance_metrics(
            conn, where, capital=float(capital) if capital is not None else None
        )
        metrics["strategy_name"] = name if name is not None else "(none)"
        out.append(metrics)
    return out, len(counts)


# --------------------------------------------------------------------------- signals


@dataclass(slots=True)
class CalibrationBin:
    low: float
    count: int
    hits: int
    mean_confidence: float
    chance: float | None  # mean RTP/target of the signals in the bin (None: no targets)

    @property
    def rate(self) -> float:
        return self.hits / self.count

    @property
    def ci(self) -> tuple[float, float]:
        return stats.wilson_interval(self.hits, self.count)


@dataclass(slots=True)
class SignalType:
    name: str
    resolved: int = 0
    hits: int = 0
    expected: float = 0.0  # sum of chance probabilities over signals with a target
    variance: float = 0.0
    with_target: int = 0
    hits_with_target: int = 0
    brier_sum: float = 0.0
    n_conf: int = 0
    bins: list[CalibrationBin] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.hits / self.resolved if self.resolved else None

    @property
    def ci(self) -> tuple[float, float]:
        return stats.wilson_interval(self.hits, self.resolved)

    @property
    def chance(self) -> float | None:
        return self.expected / self.with_target if self.with_target else None

    @property
    def p_value(self) -> float | None:
        if not self.with_target:
            return None
        return stats.poisson_binomial_z_test(self.hits_with_target, self.expected, self.variance)

    @property
    def brier(self) -> float | None:
        return self.brier_sum / self.n_conf if self.n_conf else None


def signal_calibration(conn: Connection, scope: Scope) -> list[SignalType]:
    """Resolved signals per type and confidence bin: predicted confidence against the observed
    hit rate, and the chance rate RTP/target. How a signal is judged and binned is
    ``signal_cells.sql`` (the definition the signal summaries keep), applied here to the
    signals of the report's scope."""
    where: list[str] = []
    params: dict[str, Any] = {}
    for key, column, value in (
        ("bot", "coalesce(s.bot_id, r.bot_id)", scope.bot_id),
        ("session", "coalesce(s.session_id, r.session_id)", scope.session_id),
        ("game", "coalesce(s.game_name, r.game_name)", scope.game_name),
        ("strategy", "r.strategy_name", scope.strategy_name),
    ):
        if value is not None:
            where.append(f"{column} = :{key}")
            params[key] = value
    source = (
        "(SELECT s.* FROM analytics_round_signals s"
        " LEFT JOIN crash_game_rounds r ON r.id = s.round_id"
        + ("".join((" WHERE ", " AND ".join(where))) if where else "")
        + ")"
    )
    cells = text(signal_cells(conn.dialect.name, source)).columns(
        signal_type=String(), game_name=String(), target_multiplier=MULTIPLIER
    )
    rows: list[tuple[Any, ...]] = []
    for cell in conn.execute(cells, params).mappings():
        c = cell_values(cell)
        if c["resolved"]:
            rows.append(
                (
                    c["signal_type"],
                    c["game"],
                    c["target_multiplier"],
                    c["bin"],
                    c["resolved"],
                    c["hits"],
                    c["sum_conf"],
                    c["brier_sum"],
                )
            )
    types: dict[str, SignalType] = {}
    bins: dict[tuple[str, int], list[float]] = {}
    rtp = RtpCache(conn)
    for name, g, x, b, n, hits, sum_conf, brier in rows:
        n, hits = int(n), int(hits or 0)
        st = types.setdefault(name, SignalType(name))
        st.resolved += n
        st.hits += hits
        p = stats.crash_survival(float(x), rtp(g)) if x is not None else None
        if p is not None:
            st.with_target += n
            st.hits_with_target += hits
            st.expected += n * p
            st.variance += n * p * (1 - p)
        if b is not None:
            st.n_conf += n
            st.brier_sum += float(brier)
            acc = bins.setdefault((name, int(b)), [0, 0, 0.0, 0.0, 0])
            acc[0] += n
            acc[1] += hits
            acc[2] += float(sum_conf)
            if p is not None:
                acc[3] += n * p
                acc[4] += n
    for (name, b), (n, hits, sum_conf, chance_sum, n_target) in sorted(bins.items()):
        types[name].bins.append(
            CalibrationBin(
                low=b / CONFIDENCE_BINS,
                count=int(n),
                hits=int(hits),
                mean_confidence=sum_conf / n,
                chance=chance_sum / n_target if n_target else None,
            )
        )
    return [types[k] for k in sorted(types)]
