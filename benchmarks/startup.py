"""Start-up time of the ``crashdb`` command, next to ``python -c "import crashdb"``.

Each command runs ``--repeat`` times in a fresh process, alternating with the baseline so that
both see the same machine load; the median wall time of each is printed with its ratio to
the baseline measured in the same run, and with the load average (this machine is shared).
The goal is ``crashdb --help`` under 0.5 s on an idle machine. ``import crashdb`` itself
loads nothing (names resolve on first use); ``from crashdb import log_crash_round`` is what a
bot pays, printed for reference.

    python benchmarks/startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _wall(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("crashdb", path=str(Path(sys.executable).parent)) or "crashdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRASHDB_", "DB_"))}
    with tempfile.TemporaryDirectory(prefix="crashdb-startup-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        subprocess.run(
            [exe, "init", "--db-url", f"sqlite:///{db}"], env=env, cwd=tmp, check=True,
            capture_output=True,
        )  # fmt: skip
        cases = {
            'python -c "pass"': [sys.executable, "-c", "pass"],
            'python -c "import crashdb"': [sys.executable, "-c", "import crashdb"],
            "from crashdb import log_crash_round": [
                sys.executable,
                "-c",
                "from crashdb import log_crash_round",
            ],
            "crashdb --help": [exe, "--help"],
            "crashdb --version": [exe, "--version"],
            "crashdb check (SQLite)": [exe, "check", "--db-url", f"sqlite:///{db}"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        load_before = os.getloadavg()
        for _ in range(args.repeat):
            for name, cmd in cases.items():  # interleaved: every case sees the same load
                times[name].append(_wall(cmd, env, tmp))
        load_after = os.getloadavg()
    base = statistics.median(times['python -c "import crashdb"'])
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"load average after:  {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"{os.cpu_count()} CPUs; median of {args.repeat} runs each, interleaved\n")
    print(f"{'command':32} {'median s':>9} {'min s':>7} {'x import crashdb':>17}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:32} {med:9.3f} {min(values):7.3f} {med / base:17.2f}")


if __name__ == "__main__":
    main()
