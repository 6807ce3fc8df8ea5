"""docs/integration.md: every ```python block runs, top to bottom, as the page promises; and
every ``crashdb`` command the README shows runs on the demo data.

The blocks run in one fresh Python process (warnings are errors), in an empty directory with
no database configuration, so they use the default ``./crashdb.sqlite3``; the seed mount
``examples/seed_layout`` is on the import path as the page tells users to put it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "integration.md"
SEED_LAYOUT = REPO / "examples" / "seed_layout"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

RUNNER = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    blocks = json.load(f)
namespace = {"__name__": "__main__"}
for number, code in enumerate(blocks):
    print(f"=== block {number}", flush=True)
    exec(compile(code, f"docs/integration.md python block {number}", "exec"), namespace)
"""


def fenced(kind: str) -> list[str]:
    return [code for lang, code in FENCE.findall(GUIDE.read_text("utf-8")) if lang == kind]


def outputs(stdout: str) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    current = -1
    for line in stdout.splitlines():
        if line.startswith("=== block "):
            current = int(line.split()[-1])
            out[current] = []
        else:
            out.setdefault(current, []).append(line)
    return out


def test_integration_guide_python_blocks_run(tmp_path: Path) -> None:
    blocks = fenced("python")
    assert len(blocks) >= 10
    (tmp_path / "blocks.json").write_text(json.dumps(blocks), encoding="utf-8")
    (tmp_path / "runner.py").write_text(RUNNER, encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CRASHDB_", "DB_")) and k != "PYTHONPATH"
    }
    env["PYTHONPATH"] = str(SEED_LAYOUT)
    run = subprocess.run(
        [sys.executable, "-W", "error", "runner.py", "blocks.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    printed = outputs(run.stdout)
    assert len(printed) == len(blocks)

    # The output the page shows after the configuration block is the output it prints.
    text_blocks = fenced("text")
    assert printed[0] == text_blocks[0].strip().splitlines()
    # The values the page's comments announce.
    flat = "\n".join(run.stdout.splitlines())
    assert "['cashout_multiplier']" in flat
    assert "\n1 3.3000\n" in flat + "\n"
    assert "report.html True" in flat
    assert (tmp_path / "crashdb.sqlite3").exists()
    assert (tmp_path / "report.html").stat().st_size > 1_000_000


def _headings(text: str) -> set[str]:
    """The anchors of a Markdown page's headings, as GitHub makes them."""
    return {
        re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    }


def test_integration_guide_links_resolve() -> None:
    text = GUIDE.read_text("utf-8")
    for target in re.findall(r"\]\(([^)#][^)]*)\)", text):
        if target.startswith("http"):
            continue
        page, _, anchor = target.partition("#")
        assert (GUIDE.parent / page).exists(), target
        if anchor:
            assert anchor in _headings((GUIDE.parent / page).read_text("utf-8")), target
    anchors = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert anchors <= _headings(text), anchors - _headings(text)


README = REPO / "README.md"
SHELLS = ("bash", "sh", "shell", "console")


def readme_commands() -> list[str]:
    """Every ``crashdb ...`` command the README shows: in shell blocks and in inline code."""
    text = README.read_text("utf-8")
    found = []
    for lang, code in FENCE.findall(text):
        if lang in SHELLS:
            for line in code.splitlines():
                command = line.split("  #", 1)[0].strip()
                if command.startswith("crashdb "):
                    found.append(command)
    found += re.findall(r"`(crashdb [^`]+)`", text)
    return list(dict.fromkeys(found))


@pytest.mark.slow
def test_every_command_in_the_readme_runs(tmp_path: Path) -> None:
    """In this process (the real application object), in an empty directory without any
    database configuration, as a new user would type them after ``make demo``."""
    from typer.testing import CliRunner

    from crashdb import DatabaseConnection
    from crashdb.cli import app

    commands = readme_commands()
    assert "crashdb list bots" in commands and "crashdb import rounds.parquet" in commands
    ordered = ["crashdb demo", *(c for c in commands if c != "crashdb demo")]
    runner = CliRunner()
    try:
        for command in ordered:
            args = shlex.split(command)[1:]
            if args[:1] == ["serve"]:  # a server runs until stopped: docs/fleet.md's test runs it
                args = [*args, "--help"]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (command, result.output[-3000:])
            assert "Traceback" not in result.output, command
    finally:
        DatabaseConnection.close()
    assert (tmp_path / "bot.html").exists() and (tmp_path / "rounds.parquet").exists()
