"""The dashboard in headless Chromium (Debian's, driven by Playwright): it loads behind a
viewer token, shows the bots, updates live when a round arrives, escapes what bots send, and
opens a bot's statistics with the house-edge reference."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from server_support import Served, round_fields, serve, wire

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# `CRASHDB_SCREENSHOT=docs/fleet-dashboard.png pytest ...` refreshes the picture in the docs.
SCREENSHOT = os.environ.get("CRASHDB_SCREENSHOT")


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    yield from serve(request, request.param, tmp_path_factory.mktemp("dashboard"))


@pytest.fixture
def page() -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 800})
        finally:
            browser.close()


def _rounds(bot: str, numbers: range, balance: int = 100, **over: str) -> list[dict[str, object]]:
    now = datetime.now(UTC).isoformat()
    out = []
    for n in numbers:
        fields = round_fields(bot, n, session="live", round_start_timestamp=now, **over)
        out.append(wire("round", fields))
    return out


@pytest.mark.slow
def test_dashboard_loads_shows_bots_and_updates_live(served: Served, page: Page) -> None:
    admin = served.client(served.token("admin"))
    viewer_token = served.token("viewer")
    assert admin.post("/api/v1/records", json=_rounds("bot_alpha", range(1, 25))).is_success
    assert admin.post("/api/v1/records", json=_rounds("bot_beta", range(1, 12))).is_success
    hostile = "<img src=x onerror=alert(1)>"
    assert admin.post("/api/v1/heartbeat", json={"bot_id": hostile, "status": "up"}).is_success

    page.goto(served.url + "/")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#token", viewer_token)
    page.click("#login-form button[type=submit]")
    alpha = page.locator("tr[data-bot='bot_alpha']")
    expect(alpha).to_be_visible()
    expect(alpha.locator(".state")).to_have_text("live")
    expect(page.locator("tr[data-bot='bot_beta']")).to_be_visible()
    assert viewer_token not in page.url
    # what a bot sends is shown as text, never as markup
    expect(page.locator("#bots tbody td", has_text=hostile)).to_have_count(1)
    assert page.locator("#bots tbody img").count() == 0
    assert page.locator("tr[data-bot='bot_alpha'] svg.spark polyline").count() == 1

    # a round arrives: the row changes without a reload
    before = alpha.locator("td").nth(2).inner_text()
    page.evaluate("window.__marker = 1")
    win = _rounds(
        "bot_alpha",
        range(25, 26),
        crash_multiplier="9.00",
        cashout_multiplier="5.00",
        round_outcome="WIN",
    )
    assert admin.post("/api/v1/records", json=win).is_success
    expect(alpha.locator("td").nth(2)).not_to_have_text(before, timeout=15000)
    assert page.evaluate("window.__marker") == 1  # the same page: no reload
    # a new bot appears live
    assert admin.post("/api/v1/records", json=_rounds("bot_gamma", range(1, 3))).is_success
    expect(page.locator("tr[data-bot='bot_gamma'] .state")).to_have_text("live", timeout=15000)

    # click-through: the bot's statistics with intervals and the house-edge reference
    alpha.click()
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-stats")).to_contain_text("win rate percent")
    expect(page.locator("#detail-stats")).to_contain_text("95% CI")
    expect(page.locator("#detail-note")).to_contain_text("House-edge reference")
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)

    # signing out forgets the token
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_refused_token_returns_to_the_login_form(served: Served, page: Page) -> None:
    page.goto(served.url + "/")
    page.fill("#token", served.token("bot", "some_bot"))
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("may not read")
    page.fill("#token", "cdb_not-a-token")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("unknown or revoked")
    headers = served.client(None).get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
