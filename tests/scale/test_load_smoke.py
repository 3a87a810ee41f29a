"""The load benchmark's smoke run (``benchmarks/bench_load.py --smoke``) as CI runs it: 30
participants, 4 at a time, against gunicorn on the configured database. Hard bounds only: the
script exits 0 when no request failed and every completed survey is in the database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import PG_ENV
from tests.servers import ROOT

pytestmark = pytest.mark.db


def test_load_benchmark_smoke_run() -> None:
    pg = os.environ.get(PG_ENV)
    databases = ["--databases", "postgresql", "--pg-url", pg] if pg else ["--databases", "sqlite"]
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_load.py"), "--smoke", *databases],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    database = "postgresql" if pg else "sqlite"
    row = next(line for line in run.stdout.splitlines() if line.startswith(f"| {database} | 4 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[7] == "0"  # errors
    assert cells[8] == "30 / 30"  # stored in the database / completed
