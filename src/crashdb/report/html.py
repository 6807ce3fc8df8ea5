"""One self-contained HTML report of what the fleet recorded, with the house edge in plain view.

:func:`write_report` writes a single HTML file that works offline: Plotly's JavaScript is
inlined once from the installed ``plotly`` package (no CDN, no external fonts, stylesheets or
images). It holds:

1. the equity curve and drawdown per bot (or per session, for one bot or one session);
2. the crash-multiplier distribution ``P(crash >= x)`` against the model ``RTP / x`` (log-log);
3. the hit rate by cash-out target against ``RTP / target``, and the return per unit staked;
4. a strategy comparison table with 95% confidence intervals (crashdb's performance metrics);
5. a signal calibration plot: predicted confidence against the observed hit rate.

Everything is aggregated in the database (see :mod:`crashdb.report.data`): the report's cost
does not grow with the number of rounds beyond the SQL passes, and equity curves are
downsampled server-side. Works on SQLite and PostgreSQL::

    from crashdb import write_report
    write_report("report.html", strategy_name="martingale")
"""

from __future__ import annotations

import dataclasses
import html
import os
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plotly.offline import get_plotlyjs

from crashdb.analytics.common import tune
from crashdb.db.engine import Database, get_database
from crashdb.report import charts as _charts
from crashdb.report import data
from crashdb.report.text import human_time, natural_key, shown_id

__all__ = ["write_report"]

Progress = Callable[[str], None]

SECTIONS = (
    ("equity", "Equity and drawdown"),
    ("distribution", "Multiplier distribution"),
    ("hit-rate", "Hit rate by target"),
    ("strategies", "Strategy comparison"),
    ("signals", "Signal calibration"),
)

CSS = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --accent: #2455c3; --warn: #fff6e0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; color: var(--fg); background: #f5f7fa; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 60px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 2px 0; color: var(--muted); }
nav { margin: 14px 0 4px; display: flex; flex-wrap: wrap; gap: 6px 16px; }
nav a { color: var(--accent); text-decoration: none; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
          padding: 18px 22px; margin-top: 18px; }
section h2 { margin: 0 0 8px; font-size: 20px; }
.edge { background: var(--warn); border-color: #f0d48a; }
.edge p { margin: 6px 0; }
.note { color: var(--muted); font-size: 13.5px; }
.empty { color: var(--muted); font-style: italic; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.card > b { display: block; font-size: 19px; }
.card > span { color: var(--muted); font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; margin: 10px 0; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: right;
         vertical-align: top; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f3f8; font-weight: 600; white-space: normal; }
.table { overflow-x: auto; }
.neg { color: #b3261e; } .pos { color: #1b7a3a; }
.figure { margin: 6px 0; }
.ci { color: var(--muted); }
ul.note li { margin: 3px 0; }
"""


# --------------------------------------------------------------------------- formatting


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "–"
    if round(value, digits) == 0:
        value = 0.0  # never "-0.00"
    text = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
    return text


def _money(value: float | str | None) -> str:
    if value is None:
        return "–"
    v = float(value)
    if round(v, 2) == 0:
        return '<span class="zero">0.00</span>'
    cls = "neg" if v < 0 else "pos"
    return f'<span class="{cls}">{v:+,.2f}</span>'


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _ci(interval: Sequence[float] | None, digits: int = 1) -> str:
    if interval is None:
        return "–"
    low, high = interval
    return f"{low:.{digits}f} … {high:.{digits}f}"


def _with_ci(
    value: float | None, interval: Sequence[float] | None, digits: int, signed: bool = False
) -> str:
    """``value (low … high)``: an estimate next to its 95% confidence interval."""
    if value is None:
        return "–"
    text = _num(value, digits, signed)
    if interval is not None:
        text += f' <span class="ci">({_ci(interval, digits=digits)})</span>'
    return text


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table; the cells are HTML already (escaped where they hold data)."""
    out = ['<div class="table"><table><thead><tr>', *(f"<th>{_e(h)}</th>" for h in head)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{body}</section>'


def _figure(fig: Any, div_id: str) -> str:
    return f'<div class="figure">{_charts.figure_html(fig, div_id)}</div>'


def _empty(text: str) -> str:
    return f'<p class="empty">{_e(text)}</p>'


# --------------------------------------------------------------------------- sections


def _house_edge(ov: data.Overview) -> str:
    rtps = sorted(set(ov.rtps.values())) or [data.DEFAULT_RTP]
    rtp = rtps[0]
    rtp_text = " / ".join(f"{r:g}" for r in rtps)
    games = ", ".join(f"{g} {r:g}" for g, r in ov.rtps.items()) or f"default {rtp:g}"
    return (
        '<section class="edge" id="house-edge"><h2>What the house edge means</h2>'
        f"<p>These games publish a return to player (RTP) of <b>{_e(rtp_text)}</b> "
        f"({_e(games)}). The crash point follows <b>P(crash ≥ x) = RTP / x</b>: a bet that "
        f"cashes out at a fixed target x wins with probability RTP/x and then pays x times the "
        f"stake, so <b>every fixed target returns about {rtp:g} per unit staked</b>, a loss of "
        f"about {100 * (1 - rtp):.1f}% of everything staked, whatever the target.</p>"
        "<p>No staking plan (martingale, compounding, Kelly) changes that average: they change "
        "the <i>spread</i> of results, how often a session ends up and how deep it can fall, "
        "not the expected loss per unit staked. Past crash points do not predict the next one, "
        "so a signal can only help if its hit rate beats RTP/target by more than the edge; "
        "the sections below test exactly that, with 95% confidence intervals.</p></section>"
    )


def _overview_cards(ov: data.Overview) -> str:
    roi = ov.total_profit / ov.total_staked if ov.total_staked else None
    cards = [
        (f"{ov.rounds:,}", "rounds recorded"),
        (f"{ov.bets:,}", "bets (won or lost)"),
        (f"{ov.bots:,}", "bots"),
        (f"{ov.sessions:,}", "sessions"),
        (_num(ov.total_staked), "total staked"),
        (_money(ov.total_profit), "total profit"),
        (_pct(roi, 2), "ROI (profit / staked)"),
    ]
    inner = "".join(f'<div class="card"><b>{v}</b><span>{_e(k)}</span></div>' for v, k in cards)
    return f'<div class="cards">{inner}</div>'


def _in_natural_order(eq: data.Equity) -> data.Equity:
    """The curves by label as people count (``bot_2`` before ``bot_10``); an empty id is
    labelled instead of left blank."""
    curves = [dataclasses.replace(c, label=shown_id(c.label)) for c in eq.curves]
    curves.sort(key=lambda c: natural_key(c.label))
    return dataclasses.replace(eq, curves=curves)


def _equity_section(eq: data.Equity) -> str:
    if not eq.curves:
        return _empty("No rounds recorded in this scope.")
    eq = _in_natural_order(eq)
    shown = (
        f"Showing the {len(eq.curves)} {eq.by}s with the most rounds, of {eq.total_curves}. "
        if eq.total_curves > len(eq.curves)
        else ""
    )
    intro = (
        f"<p>Cumulative profit of each {eq.by} in round order (top) and its drawdown, the "
        "distance below its running peak (bottom). "
        f"{shown}Curves are downsampled in the database to at most {eq.points:,} points "
        "each; the drawdown panel keeps the worst point of every bucket, so the deepest "
        "drawdown shown is exact.</p>"
    )
    rows = [
        [_e(c.label), f"{c.rounds:,}", _money(c.final), _num(c.max_drawdown)] for c in eq.curves
    ]
    table = _table([eq.by, "rounds", "profit", "max drawdown"], rows)
    return intro + _figure(_charts.equity_figure(eq), "fig-equity") + table


def _distribution_section(games: Sequence[data.Survival]) -> str:
    if not games:
        return _empty("No crash multipliers recorded in this scope.")
    intro = (
        "<p>Share of rounds whose crash point reached at least x (dots, with 95% Wilson "
        "intervals) against the published model <b>P(crash ≥ x) = RTP / x</b> (dashed), both "
        "axes logarithmic: the model is a straight line of slope −1. A game round reported by "
        "several bots (same platform and external round id) counts once; points reached by fewer "
        f"than {data.MIN_TAIL_ROUNDS} rounds are not drawn (the table gives the highest crash). "
        "The RTP estimate is 1.01 × the share of rounds above 1.00 (maximum likelihood under "
        "the model).</p>"
    )
    rows = [
        [
            _e(s.game),
            f"{s.rounds:,}",
            f"{s.rtp:g}",
            _with_ci(s.rtp_estimate, s.rtp_estimate_ci, 4),
            _num(s.max_multiplier),
        ]
        for s in games
    ]
    head = ["game", "game rounds", "published RTP", "RTP estimate (95% CI)", "highest crash"]
    return intro + _figure(_charts.survival_figure(games), "fig-distribution") + _table(head, rows)


def _hit_rate_section(targets: Sequence[data.TargetHits], distinct: int) -> str:
    if not targets:
        return _empty("No bets with a cash-out target recorded in this scope.")
    bets = sum(t.bets for t in targets)
    rtp = sum(t.expected * t.target * t.bets for t in targets) / bets
    more = (
        f" Showing the {len(targets)} most used targets of {distinct}."
        if distinct > len(targets)
        else ""
    )
    intro = (
        "<p>For every cash-out target the bots used: the share of bets won (wins / bets, 95% "
        "Wilson interval) against the chance rate <b>RTP / target</b>, and what a unit staked "
        "at that target came back as (target × hit rate) against the RTP. A low target wins "
        "often and pays little, a high target wins rarely and pays a lot: the product stays "
        f"near {rtp:.3g} for every target.{more}</p>"
    )
    rows = [
        [
            f"{t.target:g}",
            f"{t.bets:,}",
            f"{t.wins:,}",
            _with_ci(100 * t.rate, [100 * v for v in t.ci], 1),
            _num(100 * t.expected, 1),
            _with_ci(t.target * t.rate, [t.target * v for v in t.ci], 3),
            _p(t.p_value),
        ]
        for t in targets
    ]
    head = [
        "target",
        "bets",
        "wins",
        "hit rate % (95% CI)",
        "chance RTP/target %",
        "return per unit (95% CI)",
        "p vs chance",
    ]
    return (
        intro + _figure(_charts.hit_rate_figure(targets, rtp), "fig-hit-rate") + _table(head, rows)
    )


def _strategy_section(rows: Sequence[dict[str, Any]], distinct: int) -> str:
    if not rows:
        return _empty("No rounds recorded in this scope.")
    more = f" Showing the {len(rows)} most used of {distinct}." if distinct > len(rows) else ""
    intro = (
        "<p>crashdb's performance metrics per strategy (as in <code>crashdb stats strategy NAME"
        "</code> and <code>get_strategy_performance</code>), pooled over the bots in scope. "
        "Every estimate carries its 95% confidence interval; the p-value tests the ROI against "
        f"the ROI the published RTP implies (RTP − 1 per unit staked).{more}</p>"
    )
    table_rows = [
        [
            _e(r["strategy_name"]),
            f"{r['total_bets']:,}",
            _with_ci(r["win_rate_percent"], r["win_rate_percent_ci95"], 1),
            _with_ci(r["roi_percent"], r["roi_percent_ci95"], 2, signed=True),
            _num(r["expected_roi_percent_at_published_rtp"], 2, signed=True),
            _p(r["roi_vs_house_edge_p_value"]),
            _money(r["total_profit"]),
            _with_ci(r["profit_factor"], r["profit_factor_ci95"], 2),
            _num(float(r["max_drawdown"]) if r["max_drawdown"] is not None else None),
            str(r["longest_loss_streak"]),
        ]
        for r in rows
    ]
    head = [
        "strategy",
        "bets",
        "win % (95% CI)",
        "ROI % (95% CI)",
        "RTP − 1 %",
        "p vs edge",
        "profit",
        "profit factor (95% CI)",
        "max drawdown",
        "longest losing run",
    ]
    verdicts = "".join(f"<li><b>{_e(r['strategy_name'])}</b>: {_e(_verdict(r))}</li>" for r in rows)
    fig = ""
    if any(r["roi_percent"] is not None for r in rows):
        fig = _figure(_charts.strategy_figure(rows), "fig-strategies")
    return intro + fig + _table(head, table_rows) + f'<ul class="note">{verdicts}</ul>'


def _verdict(r: dict[str, Any]) -> str:
    skipped = r["total_rounds"] - r["total_bets"]
    if r["total_bets"] == 0 and skipped > 0:
        return (
            f"{r['verdict']} Its {skipped:,} rounds were all logged without a bet (a Kelly "
            "strategy at the game's true odds stakes nothing: the bet has negative expectation)."
            if str(r["strategy_name"]).startswith("kelly")
            else f"{r['verdict']} Its {skipped:,} rounds were all logged without a bet."
        )
    return str(r["verdict"])


def _signal_section(types: Sequence[data.SignalType]) -> str:
    if not types:
        return _empty("No resolved signals recorded in this scope.")
    intro = (
        "<p>A reliability diagram: signals are grouped by their confidence score (10 bins); "
        "each point is the bin's mean predicted confidence against the share of its signals "
        "that hit (the crash reached the signal's target), with a 95% Wilson interval. A "
        "calibrated signal lies on the diagonal; a signal with no information lies on its "
        "chance line (the mean RTP/target of its signals), whatever its confidence says. "
        "The p-value tests the hit rate against chance; the Brier score is the mean squared "
        "error of the confidence as a probability (lower is better).</p>"
    )
    rows = [
        [
            _e(t.name),
            f"{t.resolved:,}",
            f"{t.hits:,}",
            _with_ci(100 * t.rate if t.rate is not None else None, [100 * v for v in t.ci], 1),
            _num(100 * t.chance if t.chance is not None else None, 1),
            _p(t.p_value),
            _num(t.brier, 3),
        ]
        for t in types
    ]
    head = [
        "signal type",
        "resolved",
        "hits",
        "hit rate % (95% CI)",
        "chance %",
        "p vs chance",
        "Brier score",
    ]
    fig = ""
    if any(t.bins for t in types):
        fig = _figure(_charts.calibration_figure(types), "fig-signals")
    else:
        fig = _empty("No signal carries a confidence score: nothing to calibrate.")
    return intro + fig + _table(head, rows)


# --------------------------------------------------------------------------- the page


def _page(title: str, header: str, body: Sequence[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{CSS}</style>",
            '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};'
            "</script>",
            f'<script type="text/javascript">{get_plotlyjs()}</script>',
            "</head><body><main>",
            header,
            *body,
            '<p class="note">Generated by crashdb. Self-contained: this file loads nothing '
            "from the network.</p>",
            "</main></body></html>",
        ]
    )


def write_report(
    path: str | os.PathLike[str],
    *,
    db: Database | None = None,
    bot_id: str | None = None,
    session_id: str | None = None,
    strategy_name: str | None = None,
    game_name: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the HTML report for the selected rounds to ``path`` and return its path.

    Filters combine (AND); without any, the report covers every recorded round. ``progress``
    is called with a short description before each step (the CLI shows it).
    """
    database = db if db is not None else get_database()
    scope = data.Scope(bot_id, session_id, strategy_name, game_name)

    def step(text: str) -> None:
        if progress is not None:
            progress(text)

    conn = database.engine.connect()
    if database.backend == "postgresql":  # one consistent snapshot for every query
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    with conn:
        tune(conn)
        step("Overview")
        ov = data.overview(conn, scope)
        step("Equity curves and drawdowns")
        equity = data.equity_curves(conn, scope)
        step("Multiplier distribution")
        survival = data.multiplier_survival(conn, scope)
        step("Hit rate by target")
        targets, n_targets = data.hit_rate_by_target(conn, scope)
        step("Strategy comparison")
        strategies, n_strategies = data.strategy_table(conn, scope)
        step("Signal calibration")
        signals = data.signal_calibration(conn, scope)
    step("Rendering HTML")
    now = datetime.now(UTC)
    period = (
        f"Rounds from {human_time(ov.first_round_at)} to {human_time(ov.last_round_at)} UTC."
        if ov.first_round_at
        else "No rounds recorded in this scope."
    )
    backend = "PostgreSQL" if database.backend == "postgresql" else "SQLite"
    header = (
        "<header><h1>crashdb report</h1>"
        f"<p>Scope: <b>{_e(scope.describe())}</b>. {_e(period)}</p>"
        f"<p>Generated {_e(human_time(now))} UTC from the {backend} database. Games: "
        f"{_e(', '.join(ov.games) or '–')}.</p>"
        + _overview_cards(ov)
        + "<nav>"
        + "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in SECTIONS)
        + "</nav></header>"
    )
    body = [
        _house_edge(ov),
        _section("equity", SECTIONS[0][1], _equity_section(equity)),
        _section("distribution", SECTIONS[1][1], _distribution_section(survival)),
        _section("hit-rate", SECTIONS[2][1], _hit_rate_section(targets, n_targets)),
        _section("strategies", SECTIONS[3][1], _strategy_section(strategies, n_strategies)),
        _section("signals", SECTIONS[4][1], _signal_section(signals)),
    ]
    page = _page("crashdb report", header, body)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out.resolve()
