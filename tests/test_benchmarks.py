"""Every benchmark still runs: each script at a toy size, against this run's PostgreSQL
server. Timings are not judged here (a toy size on a busy test machine says nothing); what is
checked is that the script ends without a traceback and prints its result lines, so a change
of the code it drives cannot leave it broken until someone needs its numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PostgresServer

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"

# script arguments at a toy size -> lines the output must contain
CASES: dict[str, tuple[list[str], list[str]]] = {
    "ingest": (
        ["--rows", "6000", "--sample", "40", "--repeat", "1", "--single", "40"],
        ["log_batch_rounds / raw COPY", "log_crash_round / raw INSERT"],
    ),
    "ingest-summaries": (
        ["--summaries", "--copy-rows", "6000", "--sqlite-rows", "6000", "--repeat", "1"],
        ["full / triggers disabled", "crashdb / plain"],
    ),
    "analytics": (
        ["--sizes", "3000", "--backends", "sqlite,postgresql"],
        ["get_game_statistics", "parquet export"],
    ),
    "writer_latency": (
        ["--calls", "300", "--rate", "2000", "--slow-rate", "500", "--slow-calls", "50"],
        ["tight loop, writer, committing"],
    ),
    "simulate": ([], ["session-rounds/s", "RoundWriter into SQLite"]),
    "startup": (["--repeat", "1"], ["crashdb --help"]),
    "serve": (["--bots", "3", "--seconds", "3", "--procs", "1"], ["p99"]),
}


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(CASES))
def test_benchmark_runs(case: str, pg_server: PostgresServer, tmp_path: Path) -> None:
    args, expected = CASES[case]
    script = BENCHMARKS / f"{case.split('-')[0]}.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRASHDB_")}
    env["CRASHDB_BENCH_POSTGRES_URL"] = pg_server.admin_url
    run = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output[-4000:]
    assert run.returncode in (0, 1), output[-4000:]  # 1: a target missed at this toy size
    for line in expected:
        assert line in output, (line, output[-4000:])
