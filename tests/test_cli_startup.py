"""``crashdb --help``, ``--version`` and ``check`` start light: no SciPy, NumPy, pyarrow or
Plotly is imported (the timing itself is in benchmarks/startup.py, not here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("scipy", "numpy", "pyarrow", "plotly")

RUN = """
import json, sys
from crashdb.cli import main
sys.argv = ["crashdb", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("\\n@@" + json.dumps({{"code": code, "heavy": heavy}}))
"""


def _run(tmp_path: Path, *args: str) -> tuple[int, list[str], str]:
    script = RUN.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=tmp_path,
        timeout=120, check=False,
    )  # fmt: skip
    report = json.loads(done.stdout.rsplit("@@", 1)[1])
    return report["code"], report["heavy"], done.stdout + done.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["check", "--json"]])
def test_start_up_imports_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "x.sqlite3"
    if args[0] == "check":
        from crashdb import Database

        created = Database(f"sqlite:///{db}")
        created.init_db()
        created.dispose()
        args = [*args, "--db-url", f"sqlite:///{db}"]
    code, heavy, output = _run(tmp_path, *args)
    assert code in (0, None), output
    assert heavy == [], output


def test_version_and_plain_flags(tmp_path: Path) -> None:
    from importlib.metadata import version

    code, _heavy, output = _run(tmp_path, "--version")
    assert output.startswith(f"crashdb {version('crashdb')}\n")
    code, _heavy, output = _run(tmp_path, "export", "--help")
    assert code in (0, None)
    assert "--json" in output and "<bool>" not in output
