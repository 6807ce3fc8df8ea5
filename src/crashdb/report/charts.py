"""Plotly figures of the HTML report, built from the aggregates of :mod:`crashdb.report.data`.

Each ``*_figure`` function returns a :class:`plotly.graph_objects.Figure`; :func:`figure_html`
turns one into a ``<div>`` plus its drawing script, without Plotly's JavaScript (the page
inlines that once, see :mod:`crashdb.report.html`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from crashdb.report.data import Equity, SignalType, Survival, TargetHits

__all__: list[str] = []

PALETTE: Sequence[str] = qualitative.Plotly + qualitative.D3
THEORY = "#222222"
CHANCE = "#888888"
CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False}


LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0}
LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}


def _layout(fig: go.Figure, height: int, *, legend_above: bool = False, **kw: Any) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 70, "r": 30, "t": 50, "b": 60},
        legend=LEGEND_ABOVE if legend_above else LEGEND_BELOW,
        hovermode="closest",
        **kw,
    )
    return fig


def figure_html(fig: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment that needs ``Plotly`` already loaded on the page."""
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            config=CONFIG,
            div_id=div_id,
        )
    )


def _label(text: str) -> str:
    """Stored text as a Plotly label: Plotly reads a few HTML tags and ``%{...}`` templates in
    names and hover text, so ``<``, ``>``, ``&`` and ``%`` become entities (shown as is)."""
    return html.escape(text, quote=False).replace("%", "&#37;")


def _color(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


# --------------------------------------------------------------------------- equity


def equity_figure(equity: Equity) -> go.Figure:
    """Cumulative profit (top) and drawdown from the running peak (bottom) per curve."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        row_heights=[0.62, 0.38],
        subplot_titles=(
            f"Cumulative profit per {equity.by}",
            "Drawdown: distance below the running peak",
        ),
    )
    for k, c in enumerate(equity.curves):
        color = _color(k)
        fig.add_trace(
            go.Scatter(
                x=c.x,
                y=c.equity,
                mode="lines",
                name=_label(c.label),
                legendgroup=str(k),
                line={"color": color, "width": 1.6},
                hovertemplate="%{fullData.name}<br>round %{x}<br>profit %{y:.2f}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=c.x,
                y=c.drawdown,
                mode="lines",
                name=_label(c.label),
                legendgroup=str(k),
                showlegend=False,
                line={"color": color, "width": 1.2},
                hovertemplate="%{fullData.name}<br>round %{x}<br>drawdown %{y:.2f}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    fig.add_hline(y=0, line={"color": THEORY, "width": 1, "dash": "dot"}, row=1, col=1)
    fig.update_xaxes(title_text=f"rounds played by the {equity.by}", row=2, col=1)
    fig.update_yaxes(title_text="profit", row=1, col=1)
    fig.update_yaxes(title_text="drawdown", row=2, col=1)
    return _layout(fig, 620)


# --------------------------------------------------------------------------- multipliers


def survival_figure(games: Sequence[Survival]) -> go.Figure:
    """Observed ``P(crash >= x)`` per game with 95% Wilson intervals against ``RTP / x``."""
    fig = go.Figure()
    top = 2.0
    for k, s in enumerate(games):
        if not s.x:  # no grid point reached by enough rounds to draw
            continue
        share = [s.share(i) for i in range(len(s.x))]
        cis = [s.ci(i) for i in range(len(s.x))]
        fig.add_trace(
            go.Scatter(
                x=s.x,
                y=share,
                mode="markers+lines",
                name=f"{_label(s.game)}: observed ({s.rounds:,} rounds)",
                marker={"color": _color(k), "size": 6},
                line={"color": _color(k), "width": 1},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [hi - p for p, (_lo, hi) in zip(share, cis, strict=True)],
                    "arrayminus": [p - lo for p, (lo, _hi) in zip(share, cis, strict=True)],
                    "thickness": 1,
                    "width": 2,
                },
                hovertemplate=(
                    "x = %{x}<br>P(crash ≥ x) = %{y:.4f}<extra>" + _label(s.game) + "</extra>"
                ),
            )
        )
        top = max(top, max(s.x) * 1.5)
    for rtp in sorted({s.rtp for s in games if s.rounds}):
        xs = np.geomspace(1.01, top, 200)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=np.minimum(1.0, rtp / xs),
                mode="lines",
                name=f"theory: P(crash ≥ x) = {rtp:g}/x",
                line={"color": THEORY, "width": 2, "dash": "dash"},
                hoverinfo="skip",
            )
        )
    fig.update_xaxes(type="log", dtick=1, title_text="multiplier x (log scale)")
    fig.update_yaxes(
        type="log", dtick=1, exponentformat="power", title_text="P(crash ≥ x) (log scale)"
    )
    return _layout(fig, 560, legend_above=True)


# --------------------------------------------------------------------------- targets


def hit_rate_figure(targets: Sequence[TargetHits], rtp: float) -> go.Figure:
    """Hit rate per target against ``RTP / target`` (left) and the return per unit staked,
    ``target x hit rate``, against ``RTP`` (right)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(
            "Hit rate by cash-out target",
            "Return per unit staked = target × hit rate",
        ),
    )
    xs = [t.target for t in targets]
    rates = [t.rate for t in targets]
    cis = [t.ci for t in targets]
    bets = [t.bets for t in targets]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=rates,
            mode="markers",
            name="observed hit rate (95% CI)",
            marker={"color": _color(0), "size": 9},
            customdata=bets,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [hi - r for r, (_lo, hi) in zip(rates, cis, strict=True)],
                "arrayminus": [r - lo for r, (lo, _hi) in zip(rates, cis, strict=True)],
            },
            hovertemplate="target %{x}<br>hit rate %{y:.3f}<br>%{customdata} bets<extra></extra>",
        ),
        row=1,
        col=1,
    )
    lo_x, hi_x = min(xs) / 1.15, max(xs) * 1.15
    grid = np.geomspace(max(1.0, lo_x), hi_x, 120)
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=np.minimum(1.0, rtp / grid),
            mode="lines",
            name=f"chance: RTP/target = {rtp:g}/x",
            line={"color": THEORY, "dash": "dash"},
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    returns = [t.target * r for t, r in zip(targets, rates, strict=True)]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=returns,
            mode="markers",
            name="observed return per unit (95% CI)",
            marker={"color": _color(1), "size": 9, "symbol": "diamond"},
            customdata=bets,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [
                    t.target * hi - v for t, v, (_l, hi) in zip(targets, returns, cis, strict=True)
                ],
                "arrayminus": [
                    v - t.target * lo for t, v, (lo, _h) in zip(targets, returns, cis, strict=True)
                ],
            },
            hovertemplate="target %{x}<br>return %{y:.3f}<br>%{customdata} bets<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Scatter(
            x=[grid[0], grid[-1]],
            y=[rtp, rtp],
            mode="lines",
            name=f"RTP = {rtp:g} (a {100 * (1 - rtp):.1f}% loss per unit, any target)",
            line={"color": "#d62728", "dash": "dash"},
            hoverinfo="skip",
        ),
        row=1,
        col=2,
    )
    fig.add_hline(y=1.0, line={"color": CHANCE, "width": 1, "dash": "dot"}, row=1, col=2)
    fig.update_xaxes(type="log", title_text="target multiplier (log scale)")
    fig.update_yaxes(title_text="share of bets won", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="returned per 1 staked", row=1, col=2)
    return _layout(fig, 480)


# --------------------------------------------------------------------------- strategies


def strategy_figure(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """ROI per strategy with its 95% CI against the ROI the published RTP implies."""
    rows = [r for r in rows if r["roi_percent"] is not None]
    names = [_label(str(r["strategy_name"])) for r in rows]
    roi = [r["roi_percent"] for r in rows]
    cis = [r["roi_percent_ci95"] or [v, v] for r, v in zip(rows, roi, strict=True)]
    fig = go.Figure(
        go.Scatter(
            x=roi,
            y=names,
            mode="markers",
            name="ROI per unit staked (95% CI)",
            marker={"color": _color(0), "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [hi - v for v, (_lo, hi) in zip(roi, cis, strict=True)],
                "arrayminus": [v - lo for v, (lo, _hi) in zip(roi, cis, strict=True)],
            },
            hovertemplate="%{y}<br>ROI %{x:.2f}%<extra></extra>",
        )
    )
    expected = [r["expected_roi_percent_at_published_rtp"] for r in rows]
    known = [e for e in expected if e is not None]
    if known:
        fig.add_trace(
            go.Scatter(
                x=expected,
                y=names,
                mode="markers",
                name="expected at the published RTP (RTP − 1)",
                marker={"color": "#d62728", "symbol": "line-ns-open", "size": 18},
                hovertemplate="%{y}<br>expected %{x:.2f}%<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": CHANCE, "width": 1, "dash": "dot"})
    fig.update_xaxes(title_text="ROI % (profit / staked)", zeroline=False)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, max(280, 130 + 48 * len(rows)), legend_above=True)


# --------------------------------------------------------------------------- signals


def calibration_figure(types: Sequence[SignalType]) -> go.Figure:
    """Reliability diagram: observed hit rate per confidence bin against the mean predicted
    confidence, with the diagonal (a calibrated signal) and the chance rate RTP/target."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="perfectly calibrated (observed = predicted)",
            line={"color": THEORY, "dash": "dash"},
            hoverinfo="skip",
        )
    )
    for k, t in enumerate(types):
        if not t.bins:
            continue
        color = _color(k)
        xs = [b.mean_confidence for b in t.bins]
        ys = [b.rate for b in t.bins]
        cis = [b.ci for b in t.bins]
        counts = [b.count for b in t.bins]
        biggest = max(counts)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers+lines",
                name=f"{_label(t.name)}: observed hit rate (95% CI)",
                legendgroup=str(k),
                customdata=counts,
                line={"color": color, "width": 1},
                marker={
                    "color": color,
                    "size": [7 + 9 * (c / biggest) ** 0.5 for c in counts],
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [hi - y for y, (_lo, hi) in zip(ys, cis, strict=True)],
                    "arrayminus": [y - lo for y, (lo, _hi) in zip(ys, cis, strict=True)],
                },
                hovertemplate=(
                    "predicted %{x:.2f}<br>observed %{y:.3f}<br>%{customdata} signals"
                    "<extra>" + t.name + "</extra>"
                ),
            )
        )
        chance = [(b.mean_confidence, b.chance) for b in t.bins if b.chance is not None]
        if chance:
            fig.add_trace(
                go.Scatter(
                    x=[c[0] for c in chance],
                    y=[c[1] for c in chance],
                    mode="lines",
                    name=f"{_label(t.name)}: chance (RTP/target)",
                    legendgroup=str(k),
                    line={"color": color, "dash": "dot", "width": 2},
                    hovertemplate="chance %{y:.3f}<extra>" + t.name + "</extra>",
                )
            )
    fig.update_xaxes(range=[0, 1], title_text="predicted confidence (bin mean)")
    fig.update_yaxes(range=[0, 1], title_text="observed hit rate")
    return _layout(fig, 620, legend_above=True)
