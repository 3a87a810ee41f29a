"""Load on the participant pages (issue 7): simulated participants under gunicorn.

Run from the repository root::

    .venv/bin/python benchmarks/bench_load.py             # SQLite and PostgreSQL, c = 1, 16, 64
    .venv/bin/python benchmarks/bench_load.py --duration 10 --concurrency 16 --databases postgresql
    .venv/bin/python benchmarks/bench_load.py --smoke     # CI: tiny, hard bounds

Targets on the 2-core machine: with PostgreSQL at concurrency 16, at least 100 page submissions
(POSTs) a second, p95 < 150 ms, no error.

Each database is fresh: a SQLite file in a temporary folder, or a PostgreSQL schema of its own in
``--pg-url`` (dropped afterwards); it is migrated and the demo consultation loaded. gunicorn is
started as in production (``tests/servers.py``: ``--workers`` sync workers, or gthread with
``--threads``; default rate limits, ``memory://``; ``SQLITE_BUSY_TIMEOUT`` 20 s). Each
simulated participant (``tests/scale/participants.py``) opens the open link, agrees, GETs each
of the 4 pages and POSTs its answers with the CSRF token, follows each redirect, sends the
review page and reads its receipt: 13 requests, 6 of them POSTs. ``c`` participants run at
once for ``--duration`` seconds (nobody new starts after that; those started finish).
Latencies are wall clock per request as the client sees them (``time.perf_counter``), so they
include queueing at the server.

Before the first level each server is warmed up by ``8 × workers`` surveys at ``2 × workers``
at once (not measured, and not in the counts).

The baseline is ``GET /healthz`` (routing, one ``SELECT 1``, JSON) at the same concurrency on
the same server: the floor of any request, against which a page's cost is a ratio. Memory is
the RSS of each gunicorn worker after the run (psutil). After each run the submitted responses
are counted in the database: every completed survey must be there.

The client runs on the same machine as the server (and, here, as other jobs): the figures are
for the whole machine, client included.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
# several workers on SQLite: a longer wait for the write lock (docs/deployment.md)
SERVER_ENV = {"CONSULT_SQLITE_BUSY_TIMEOUT": "20"}
PAGE_ORDER = ["landing", "page 1", "page 2", "page 3", "page 4", "review", "done"]


@dataclass
class Run:
    database: str
    concurrency: int
    seconds: float
    completed: int
    stored: int
    errors: list[str]
    latencies: dict[str, list[float]] = field(default_factory=dict)  # label -> seconds
    statuses: dict[int, int] = field(default_factory=dict)
    worker_rss_mb: list[float] = field(default_factory=list)
    baseline_rps: float = 0.0
    baseline_p50: float = 0.0
    worker_cpu: float = 0.0  # CPU seconds (user + system) the gunicorn workers used in the run

    @property
    def posts(self) -> int:
        return sum(len(v) for k, v in self.latencies.items() if k.startswith("POST"))

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_of(self, method: str) -> list[float]:
        return sorted(x for k, v in self.latencies.items() if k.startswith(method) for x in v)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted ``values``, nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


# --- databases ----------------------------------------------------------------------------------


def prepare(url: str) -> None:
    """Migrate ``url`` to head and load the demo consultation (no synthetic responses)."""
    from flask_migrate import upgrade

    from consult import create_app
    from consult.extensions import db
    from consult.services.demo import load_demo

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmark",
            "SECURITY_PASSWORD_SALT": "benchmark",
        }
    )
    with app.app_context():
        upgrade()
        load_demo(db.session, responses=0)
        db.session.commit()
        db.engine.dispose()


def count_submitted(url: str) -> int:
    """Submitted responses in the database now."""
    import sqlalchemy as sa

    from consult.models import Response, ResponseState

    engine = sa.create_engine(_driver(url))
    try:
        with engine.connect() as connection:
            query = sa.select(sa.func.count(Response.id)).where(
                Response.state == ResponseState.SUBMITTED
            )
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def _driver(url: str) -> str:
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    """A fresh, migrated database with the demo: its URL."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="consult-bench-") as folder:
            url = f"sqlite:///{folder}/consult.sqlite3"
            prepare(url)
            yield url
        return
    import sqlalchemy as sa

    from tests.conftest import with_search_path

    schema = f"consult_bench_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(_driver(pg_url))
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = with_search_path(_driver(pg_url), schema)
        prepare(url)
        yield url
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def postgres_reachable(pg_url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(_driver(pg_url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


# --- load ---------------------------------------------------------------------------------------


def baseline(base: str, concurrency: int, seconds: float) -> tuple[float, float]:
    """``GET /healthz`` at ``concurrency`` for ``seconds``: requests a second and p50."""
    from tests.scale.participants import Participant

    times: list[float] = []
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def record(_label: str, elapsed: float, status: int) -> None:
        assert status == 200, status
        with lock:
            times.append(elapsed)

    def work() -> None:
        client = Participant([base], record=record)
        while time.monotonic() < until:
            client.send("GET", "/healthz", "healthz")

    started = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(times) / (time.monotonic() - started), percentile(sorted(times), 0.5)


def warm_up(base: str, workers: int) -> None:
    """Surveys at ``2 × workers`` at once, not measured, so that every worker has compiled its
    templates and filled its caches (as a server that has been up a while has) before the first
    level: otherwise that level measures the workers' start, and each worker's share of it
    depends on which worker won the connections."""
    from tests.scale.participants import crowd

    result = crowd([base], 8 * workers, concurrency=2 * workers)
    if result.errors:
        raise SystemExit(f"warm-up failed: {result.errors[0][:300]}")


def worker_cpu(base: str) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers of ``base``."""
    import psutil

    from tests.servers import server_pids

    _master, workers = server_pids(base)
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in workers)


def worker_rss(base: str) -> list[float]:
    import psutil

    from tests.servers import server_pids

    _master, workers = server_pids(base)
    return [psutil.Process(pid).memory_info().rss / 2**20 for pid in workers]


def load(
    kind: str, url: str, base: str, concurrency: int, *, duration: float, surveys: int | None
) -> Run:
    """``concurrency`` participants at a time for ``duration`` s (or ``surveys`` in all)."""
    from tests.scale.participants import crowd

    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[int, int] = defaultdict(int)
    lock = threading.Lock()

    def record(label: str, elapsed: float, status: int) -> None:
        with lock:
            latencies[label].append(elapsed)
            statuses[status] += 1

    before = count_submitted(url)
    cpu_before = worker_cpu(base)
    started = time.monotonic()
    until = None if surveys else started + duration
    result = crowd([base], surveys or 10**9, concurrency=concurrency, record=record, until=until)
    seconds = time.monotonic() - started
    cpu = worker_cpu(base) - cpu_before
    run = Run(
        database=kind,
        concurrency=concurrency,
        seconds=seconds,
        completed=len(result.receipts),
        stored=count_submitted(url) - before,
        errors=result.errors,
        latencies={k: sorted(v) for k, v in latencies.items()},
        statuses=dict(statuses),
        worker_rss_mb=worker_rss(base),
        worker_cpu=cpu,
    )
    return run


# --- report -------------------------------------------------------------------------------------


def summary_table(runs: list[Run]) -> str:
    rows = [
        "| database | c | surveys/s | page submissions/s | requests/s | POST p50 / p95 / p99 ms "
        "| GET p50 / p95 / p99 ms | errors | stored / completed | RSS per worker MB "
        "| worker CPU ms per request | /healthz req/s, p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        post, get = run.all_of("POST"), run.all_of("GET")
        rss = run.worker_rss_mb
        rows.append(
            f"| {run.database} | {run.concurrency} | {run.completed / run.seconds:.1f} "
            f"| {run.posts / run.seconds:.1f} | {run.requests / run.seconds:.1f} "
            f"| {ms(percentile(post, 0.5))} / {ms(percentile(post, 0.95))} / "
            f"{ms(percentile(post, 0.99))} "
            f"| {ms(percentile(get, 0.5))} / {ms(percentile(get, 0.95))} / "
            f"{ms(percentile(get, 0.99))} "
            f"| {len(run.errors)} | {run.stored} / {run.completed} "
            f"| {statistics.mean(rss):.0f} (max {max(rss):.0f}) "
            f"| {run.worker_cpu / max(run.requests, 1) * 1000:.1f} "
            f"| {_baseline(run)} |"
        )
    return "\n".join(rows)


def _baseline(run: Run) -> str:
    if not run.baseline_rps:
        return "–"
    return f"{run.baseline_rps:.0f}, {ms(run.baseline_p50)}"


def page_table(runs: list[Run]) -> str:
    rows = [
        "| database | c | request | n | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        labels = sorted(
            run.latencies,
            key=lambda k: (PAGE_ORDER.index(k.split(" ", 1)[1]), k.split(" ", 1)[0] == "POST"),
        )
        for label in labels:
            values = run.latencies[label]
            rows.append(
                f"| {run.database} | {run.concurrency} | {label} | {len(values)} "
                f"| {ms(percentile(values, 0.5))} | {ms(percentile(values, 0.95))} "
                f"| {ms(percentile(values, 0.99))} |"
            )
    return "\n".join(rows)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    load1, load5, _load15 = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({model}); Python {platform.python_version()}; "
        f"load average {load1:.1f} (1 min) / {load5:.1f} (5 min) at the end"
    )


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run with hard bounds (CI)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per concurrency")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated levels")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("CONSULT_TEST_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="> 1: gthread workers")
    parser.add_argument("--surveys", type=int, default=None, help="a fixed number per level")
    args = parser.parse_args(argv)

    from tests.servers import gunicorn_server

    levels = [int(c) for c in args.concurrency.split(",")]
    surveys, duration = args.surveys, args.duration
    if args.smoke:
        levels, surveys = [4], args.surveys or 30
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if "postgresql" in kinds and not postgres_reachable(args.pg_url):
        if not args.smoke:
            print(f"PostgreSQL at {args.pg_url} is not reachable", file=sys.stderr)
            return 2
        print("smoke: PostgreSQL not reachable, SQLite only", file=sys.stderr)
        kinds.remove("postgresql")

    runs: list[Run] = []
    for kind in kinds:
        with (
            database(kind, args.pg_url) as url,
            gunicorn_server(
                url, workers=args.workers, threads=args.threads, env=SERVER_ENV
            ) as base,
        ):
            warm_up(base, args.workers)
            for concurrency in levels:
                run = load(kind, url, base, concurrency, duration=duration, surveys=surveys)
                if not args.smoke:
                    run.baseline_rps, run.baseline_p50 = baseline(
                        base, concurrency, min(5.0, duration / 4)
                    )
                runs.append(run)
                print(
                    f"{kind} c={concurrency}: {run.completed} surveys in {run.seconds:.1f} s, "
                    f"{len(run.errors)} errors",
                    file=sys.stderr,
                )

    workers = (
        f"{args.workers} gthread workers × {args.threads} threads"
        if args.threads > 1
        else (f"{args.workers} sync workers")
    )
    print(f"gunicorn: {workers}; {machine()}\n")
    print(summary_table(runs))
    print()
    print(page_table(runs))
    failures = [
        f"{run.database} c={run.concurrency}: {len(run.errors)} errors, "
        f"{run.stored} stored of {run.completed} completed"
        for run in runs
        if run.errors or run.stored != run.completed or run.completed == 0
    ]
    if args.smoke:
        failures += [
            f"{run.database}: {run.completed} of {surveys} surveys completed"
            for run in runs
            if run.completed != surveys
        ]
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    for run in runs:
        for error in run.errors[:5]:
            print(f"  {run.database} c={run.concurrency}: {error[:300]}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
