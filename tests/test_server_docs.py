"""docs/fleet.md: its shell commands run, top to bottom, against a real ``crashdb serve``;
the bot program it shows (a ```python block named by its first line) is written where the
commands expect it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crashdb import Database
from server_support import free_port

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "fleet.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(kind: str) -> list[str]:
    return [code for lang, code in FENCE.findall(DOC.read_text("utf-8")) if lang == kind]


def test_the_page_shows_a_screenshot_that_exists() -> None:
    text = DOC.read_text("utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert pictures and all((DOC.parent / p).is_file() for p in pictures)


@pytest.mark.slow
def test_fleet_doc_commands_run(tmp_path: Path) -> None:
    port = str(free_port())
    for code in _blocks("python"):
        name = code.splitlines()[0].removeprefix("# ").split(":")[0]
        if name.endswith(".py") and "/" not in name:
            (tmp_path / name).write_text(code, encoding="utf-8")
    commands = "\n".join(_blocks("bash")).replace("8765", port)
    assert "crashdb serve" in commands and "python3 my_bot.py" in commands
    script = (
        "set -euo pipefail\n"
        "trap 'kill $(jobs -p) 2>/dev/null || true; wait || true' EXIT\n"
        f"{commands}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRASHDB_", "DB_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    admin = json.loads((tmp_path / "admin-token.json").read_text())
    assert set(admin) == {"id", "token"} and admin["token"].startswith("cdb_")
    assert admin["token"] not in run.stdout + run.stderr  # printed only into the file
    overview, _ = json.JSONDecoder().raw_decode(_last_json_array(run.stdout))
    bots = {b["bot_id"]: b for b in overview}
    assert bots["bot_1"]["session_rounds"] == 3 and bots["bot_2"]["session_rounds"] == 1
    db = Database(f"sqlite:///{tmp_path / 'fleet.sqlite3'}")
    try:
        with db.engine.connect() as conn:
            status = conn.exec_driver_sql(
                "SELECT status FROM session_logs WHERE session_id = 'vm17-morning'"
            ).scalar_one()
    finally:
        db.dispose()
    assert status == "completed"


def _last_json_array(stdout: str) -> str:
    at = stdout.rfind('[{"bot_id"')  # curl prints no newline: the overview, then statistics
    assert at >= 0, stdout[-2000:]
    return stdout[at:]
