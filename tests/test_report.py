"""The HTML report: its numbers, its structure (self-contained, offline) and its rendering.

A small fleet is simulated through the real logging API on both backends; the report's SQL
aggregates are checked against the same quantities computed in Python from the raw rows, the
page against "no remote resource, every section, Plotly inlined once", and headless Chromium
(Debian's ``chromium``) must actually draw every figure.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs
from sqlalchemy import select
from typer.testing import CliRunner

from crashdb import Database, get_signal_effectiveness, get_strategy_performance
from crashdb.cli import app
from crashdb.db.models import AnalyticsRoundSignal, CrashGameRound
from crashdb.report import data, write_report
from crashdb.sim.simulate import FleetConfig, run_fleet

SECTIONS = ["house-edge", "equity", "distribution", "hit-rate", "strategies", "signals"]
FIGURES = ["fig-equity", "fig-distribution", "fig-hit-rate", "fig-strategies", "fig-signals"]
FLEET = FleetConfig(
    bots=2,
    games=("aviator", "jetx"),
    strategies=("compound_1.33x", "martingale", "fixed_stake"),
    rounds=40,
    seed=31,
)
CHROMIUM = "/usr/bin/chromium"
runner = CliRunner()


@pytest.fixture
def fleet_db(db: Database) -> Database:
    run_fleet(db, FLEET, spool_dir="spool")
    return db


class Page(HTMLParser):
    """Collects what the structure checks need from an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.classes: list[str] = []
        self.remote: list[str] = []
        self.script_srcs: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        self.classes.extend((a.get("class") or "").split())
        if tag == "script":
            if a.get("src"):
                self.script_srcs.append(str(a["src"]))
            else:
                self.inline_scripts += 1
        for key in ("src", "href"):
            value = (a.get(key) or "").strip().lower()
            if value.startswith(("http:", "https:", "//")):
                self.remote.append(f"<{tag} {key}={value}>")


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def _rows(db: Database) -> list[Any]:
    t = CrashGameRound.__table__.c
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    t.bot_id,
                    t.session_id,
                    t.round_number,
                    t.bet_slot,
                    t.round_start_timestamp,
                    t.profit_loss,
                    t.crash_multiplier,
                    t.target_multiplier,
                    t.stake_value,
                    t.round_outcome,
                    t.game_name,
                )
            ).all()
        )


def _drawdown(profits: list[Decimal]) -> float:
    cum = peak = Decimal(0)
    worst = Decimal(0)
    for p in profits:
        cum += p
        peak = max(peak, cum)
        worst = max(worst, peak - cum)
    return float(worst)


# ------------------------------------------------------------------------------ the numbers


def test_report_aggregates_match_the_raw_rounds(fleet_db: Database) -> None:
    rows = _rows(fleet_db)
    assert rows
    scope = data.Scope()
    with fleet_db.engine.connect() as conn:
        equity = data.equity_curves(conn, scope, points=10)
        full = data.equity_curves(conn, scope)
        survival = data.multiplier_survival(conn, scope)
        targets, distinct = data.hit_rate_by_target(conn, scope)

    # Equity per bot: the final point is the bot's exact total profit, the downsampled curve
    # has at most points + 1 points and still shows the exact maximum drawdown.
    by_bot: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_bot[r.bot_id].append(r)
    assert equity.by == "bot"
    assert {c.label for c in equity.curves} == set(by_bot)
    for curve, fine in zip(equity.curves, full.curves, strict=True):
        ordered = sorted(
            by_bot[curve.label],
            key=lambda r: (r.round_start_timestamp, r.session_id, r.round_number, r.bet_slot),
        )
        profits = [r.profit_loss for r in ordered]
        assert curve.rounds == len(ordered)
        assert curve.x[-1] == len(ordered)
        assert len(curve.x) <= 10 + 2
        assert curve.final == pytest.approx(float(sum(profits)), abs=1e-6)
        assert curve.max_drawdown == pytest.approx(_drawdown(profits), abs=1e-6)
        assert fine.x == list(range(len(ordered) + 1))  # fewer rounds than points: all kept

    # P(crash >= x) counts per game (every simulated round has its own external id).
    assert {s.game for s in survival} == {"aviator", "jetx"}
    for s in survival:
        crashes = [r.crash_multiplier for r in rows if r.game_name == s.game]
        assert s.rounds == len(crashes)
        for x, hits in zip(s.x, s.hits, strict=True):
            assert hits == sum(1 for c in crashes if c >= Decimal(str(x)))
            assert hits >= data.MIN_TAIL_ROUNDS
        assert s.rtp == pytest.approx(0.97)

    # Hit rate by target: wins / bets of the recorded bets, chance = RTP / target.
    bets = [
        r
        for r in rows
        if r.target_multiplier is not None
        and r.stake_value > 0
        and r.round_outcome in ("WIN", "LOSS")
    ]
    assert distinct == len({r.target_multiplier for r in bets})
    for t in targets:
        mine = [r for r in bets if float(r.target_multiplier) == t.target]
        assert t.bets == len(mine)
        assert t.wins == sum(r.round_outcome == "WIN" for r in mine)
        assert t.expected == pytest.approx(0.97 / t.target)
        low, high = t.ci
        assert low <= t.rate <= high


def test_strategy_and_signal_sections_agree_with_the_analytics(fleet_db: Database) -> None:
    with fleet_db.engine.connect() as conn:
        strategies, n = data.strategy_table(conn, data.Scope())
        signals = data.signal_calibration(conn, data.Scope())
    assert n == 3
    assert {r["strategy_name"] for r in strategies} == set(FLEET.strategies)
    for row in strategies:
        public = get_strategy_performance(row["strategy_name"], db=fleet_db)
        for key in ("total_bets", "wins", "roi_percent", "roi_percent_ci95", "total_profit"):
            assert row[key] == public[key], key

    effectiveness = get_signal_effectiveness(db=fleet_db)
    assert [t.name for t in signals] == [t["signal_type"] for t in effectiveness["signal_types"]]
    for mine, theirs in zip(signals, effectiveness["signal_types"], strict=True):
        assert mine.resolved == theirs["resolved_signals"]
        assert mine.hits == theirs["hits"]
        assert 100 * (mine.chance or 0) == pytest.approx(theirs["baseline_hit_rate_percent"])
        bins = theirs["reliability_bins"]
        assert [b.count for b in mine.bins] == [b["count"] for b in bins]
        assert [b.rate for b in mine.bins] == pytest.approx([b["observed_rate"] for b in bins])
    with fleet_db.engine.connect() as conn:
        n_signals = len(conn.execute(select(AnalyticsRoundSignal.__table__.c.id)).all())
    assert sum(t.resolved for t in signals) == n_signals


# ------------------------------------------------------------------------------ the page


def test_report_is_self_contained_with_every_section(fleet_db: Database, tmp_path: Path) -> None:
    path = write_report(tmp_path / "out" / "report.html", db=fleet_db)
    assert path == (tmp_path / "out" / "report.html").resolve()
    html = path.read_text(encoding="utf-8")
    page = parse(html)
    for anchor in SECTIONS:
        assert anchor in page.ids, anchor
    assert [i for i in page.ids if i.startswith("fig-")] == FIGURES
    assert page.classes.count("plotly-graph-div") == len(FIGURES)
    # Plotly's JavaScript is inlined exactly once; nothing is loaded from anywhere.
    assert html.count(get_plotlyjs()) == 1
    assert page.script_srcs == []
    assert page.remote == []
    # Outside Plotly's own bundle (whose map tiles and docs links a scatter plot never
    # fetches) the page holds no URL at all: not in the figures' JSON, not in the markup.
    rest = html.replace(get_plotlyjs(), "")
    lowered = rest.lower()
    for pattern in ("<script src=", "<link", "<img", "<iframe", "@import", "url("):
        assert pattern not in lowered
    assert "http://" not in rest
    assert "https://" not in rest
    # The house edge is spelled out.
    assert "every fixed target returns about 0.97 per unit staked" in html
    assert "P(crash ≥ x) = RTP / x" in html
    assert not list(tmp_path.joinpath("out").glob(".*.tmp"))


def test_report_scopes_and_empty_scope(fleet_db: Database, tmp_path: Path) -> None:
    bot = FLEET.bot_id(0)
    path = write_report(tmp_path / "bot.html", db=fleet_db, bot_id=bot, game_name="jetx")
    html = path.read_text(encoding="utf-8")
    assert f"bot {bot}, game jetx" in html
    with fleet_db.engine.connect() as conn:
        equity = data.equity_curves(conn, data.Scope(bot_id=bot, game_name="jetx"))
    assert equity.by == "session"
    assert len(equity.curves) == len(FLEET.strategies)  # one session per strategy
    assert all("jetx" in c.label for c in equity.curves)

    empty = write_report(tmp_path / "empty.html", db=fleet_db, strategy_name="no_such")
    page = parse(empty.read_text(encoding="utf-8"))
    assert page.classes.count("plotly-graph-div") == 0
    assert all(anchor in page.ids for anchor in SECTIONS)
    assert page.classes.count("empty") == 5


def test_report_on_a_handful_of_rounds(db: Database, tmp_path: Path) -> None:
    """Too few rounds for a distribution point, an ERROR round without a crash point, a signal
    without a confidence score: every section still renders (or says why it is empty)."""
    from crashdb import log_crash_round, log_round_signal

    rid = log_crash_round(
        bot_id="solo",
        session_id="s1",
        game_name="aviatrix",
        round_number=1,
        stake_value=Decimal("2.00"),
        target_multiplier=Decimal("3.00"),
        crash_multiplier=Decimal("1.40"),
        round_outcome="LOSS",
    )
    log_crash_round(
        bot_id="solo",
        session_id="s1",
        game_name="aviatrix",
        round_number=2,
        stake_value=Decimal("0"),
        round_outcome="ERROR",
    )
    log_round_signal(round_id=rid, signal_type="gut_feeling", target_multiplier=Decimal("3.00"))
    html = write_report(tmp_path / "tiny.html", db=db).read_text(encoding="utf-8")
    page = parse(html)
    assert all(anchor in page.ids for anchor in SECTIONS)
    figures = [i for i in page.ids if i.startswith("fig-")]
    assert figures == ["fig-equity", "fig-distribution", "fig-hit-rate", "fig-strategies"]
    assert "No signal carries a confidence score" in html
    with db.engine.connect() as conn:
        (survival,) = data.multiplier_survival(conn, data.Scope())
        (signal,) = data.signal_calibration(conn, data.Scope())
    assert (survival.rounds, survival.x) == (1, [])
    assert (signal.resolved, signal.hits, signal.bins) == (1, 0, [])
    assert signal.chance == pytest.approx(0.97 / 3)


def test_cli_report(fleet_db: Database, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "cli.html"
    result = runner.invoke(
        app, ["report", "--db-url", db_url, "--strategy", "martingale", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Report written" in result.output
    assert "strategy martingale" in out.read_text(encoding="utf-8")


def test_cli_report_needs_a_schema(empty_db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--db-url", empty_db_url, "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 1
    assert not (tmp_path / "r.html").exists()


# ------------------------------------------------------------------------------ Chromium


def _chromium() -> str:
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        reason = "chromium is not installed (Debian package `chromium`; .ci/run installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the headless Chromium report test: {reason}")
        pytest.skip(f"!!! SKIPPING THE HEADLESS CHROMIUM TEST !!! {reason}")
    return path


def _run_chromium(binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="crashdb-chromium-") as profile:
        return subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=10000",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_headless_chromium_draws_every_chart(fleet_db: Database, tmp_path: Path) -> None:
    binary = _chromium()
    path = write_report(tmp_path / "report.html", db=fleet_db)
    figures = parse(path.read_text(encoding="utf-8")).classes.count("plotly-graph-div")
    assert figures == len(FIGURES)

    dom = _run_chromium(binary, "--dump-dom", path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    drawn = parse(dom.stdout)
    # Plotly.newPlot wraps every figure in a .plot-container holding its SVG layers.
    assert drawn.classes.count("plot-container") == figures
    assert drawn.classes.count("main-svg") >= figures
    assert drawn.classes.count("scatterlayer") >= figures

    shot = tmp_path / "report.png"
    run = _run_chromium(
        binary,
        "--hide-scrollbars",
        f"--screenshot={shot}",
        "--window-size=1400,4000",
        path.as_uri(),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1400, 4000)
    assert shot.stat().st_size > 100_000  # a blank page compresses to a few kB


# ------------------------------------------------------------------------------ polish

PROBE = """<script>
window.addEventListener("load", () => {
  const cards = [...document.querySelectorAll(".card")].map((card) => {
    const value = card.querySelector(":scope > b");
    const inner = value.querySelector("span") || value;
    const style = getComputedStyle(inner);
    return [card.querySelector(":scope > span").textContent, style.fontSize, style.color];
  });
  const legend = [...document.querySelectorAll("#fig-equity .legendtext")].map(
    (t) => t.textContent
  );
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({cards, legend});
  document.body.appendChild(out);
});
</script>"""


def _probe(binary: str, page: Path) -> dict[str, Any]:
    probed = page.with_name("probed.html")
    probed.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    dom = _run_chromium(binary, "--dump-dom", probed.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0]
    import html as html_lib
    import json

    return dict(json.loads(html_lib.unescape(text)))


def _polish_fleet(db: Database) -> None:
    """Bots whose ids sort differently as text and as people count, and an empty id (which
    crashdb refuses today: it is written past the validator, as an older database holds it)."""
    from factories import SessionSpec, insert_rounds, round_rows

    for bot, profit_sign in (("bot_10", 1), ("bot_2", -1), ("", 1), ("Bot_1", 1)):
        crashes = [
            Decimal("3.00") if (n % 2 == 0) == (profit_sign > 0) else Decimal("1.20")
            for n in range(1, 8)
        ]
        spec = SessionSpec(bot_id=bot, session_id="s", stake=Decimal("1.0000"))
        insert_rounds(db, spec, round_rows(spec, crashes))


def test_report_polish_order_labels_times_and_zero(db: Database, tmp_path: Path) -> None:
    _polish_fleet(db)
    html = write_report(tmp_path / "p.html", db=db).read_text(encoding="utf-8")
    rest = html.replace(get_plotlyjs(), "")
    # Bots in natural order in the table, an empty id labelled.
    table = rest.split('id="equity"', 1)[1].split("</table>", 1)[0]
    cells = [c.split("</td>", 1)[0] for c in table.split("<tr><td>")[1:]]
    assert cells == ["(empty id)", "Bot_1", "bot_2", "bot_10"]
    assert '"name":"(empty id)"' in rest
    # Times to the second, no microseconds or offsets.
    header = rest.split("<header>", 1)[1].split("</header>", 1)[0]
    assert "Rounds from 20" in header and " UTC." in header
    assert "+00:00" not in header and not any(f".{d}" in header for d in ("0000", "1234"))
    assert "-0.00" not in rest


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_headless_chromium_shows_the_profit_card_like_the_others(
    db: Database, tmp_path: Path
) -> None:
    binary = _chromium()
    _polish_fleet(db)
    page = write_report(tmp_path / "p.html", db=db)
    probe = _probe(binary, page)
    cards = {label: (size, color) for label, size, color in probe["cards"]}
    rounds_size, muted = cards["rounds recorded"]
    profit_size, profit_color = cards["total profit"]
    assert profit_size == rounds_size  # the value's size, not the label's
    assert profit_color != muted  # red or green, not the labels' grey
    assert probe["legend"] == ["(empty id)", "Bot_1", "bot_2", "bot_10"]
    shot = tmp_path / "polish.png"
    run = _run_chromium(
        binary, "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1300,1500",
        page.as_uri(),
    )  # fmt: skip
    assert run.returncode == 0 and shot.stat().st_size > 50_000
    keep = os.environ.get("CRASHDB_KEEP_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
