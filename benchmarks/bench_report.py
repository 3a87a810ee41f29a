"""Speed of the PDF priority report (issue 6): the demo and 10,000 synthetic responses.

Run from the repository root::

    .venv/bin/python benchmarks/bench_report.py               # demo (123) and 10,000 responses
    .venv/bin/python benchmarks/bench_report.py --quick       # demo and 1,000 responses
    .venv/bin/python benchmarks/bench_report.py --sizes 123 --repeat 3

Targets (issue 6): the demo's PDF in each of tr, en, ar in <= 5 s; 10,000 responses <= 10 s.

Each size gets its own SQLite database (a temporary folder), migrated, with the demo loaded by
``load_demo(responses=N)`` (deterministic, seed 2019). For each language the whole
``consult.reports.pdf.report_pdf`` call is timed (the services' results: two questions with
500 bootstrap replicates each; the HTML; WeasyPrint's layout and PDF), split into its steps.
"Cold" is the first render of the process (fonts and the report stylesheet are loaded into the
shared ``FontConfiguration`` then); every later render reuses them. Times are wall clock
(``time.perf_counter``), the best of ``--repeat`` runs after the cold one.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LANGUAGES = ("tr", "en", "ar")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def make_app(url: str) -> Any:
    from consult import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmark",
            "SECURITY_PASSWORD_SALT": "benchmark",
        }
    )


def render(consultation: Any, language: str) -> tuple[float, dict[str, float], int, int, float]:
    """One report: total seconds, seconds per step, pages, bytes, CPU seconds."""
    from consult.extensions import db
    from consult.reports.pdf import report_pdf

    marks: dict[str, float] = {}
    cpu = time.process_time()
    start = time.perf_counter()
    last = start

    def progress(step: str) -> None:
        nonlocal last
        now = time.perf_counter()
        marks[step] = now - last
        last = now

    pdf, report = report_pdf(db.session, consultation, language=language, progress=progress)
    elapsed = time.perf_counter() - start
    return elapsed, marks, report["pages"], len(pdf), time.process_time() - cpu


def bench_size(folder: Path, responses: int, repeat: int) -> list[dict[str, Any]]:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from consult.extensions import db
    from consult.models import Consultation
    from consult.services.demo import load_demo

    app = make_app(f"sqlite:///{folder / f'report-{responses}.sqlite3'}")
    rows = []
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        load_demo(db.session, responses=responses)
        db.session.commit()
        loaded = time.perf_counter() - start
        print(f"  loaded the demo with {responses} responses in {loaded:.1f} s", file=sys.stderr)
        consultation = db.session.scalars(
            select(Consultation).where(Consultation.slug == "migration-action-plan")
        ).one()
        for language in LANGUAGES:
            runs = [render(consultation, language) for _ in range(repeat + 1)]
            cold = runs[0]
            best = min(runs[1:] or runs, key=lambda r: r[0])
            rows.append(
                {
                    "responses": responses,
                    "language": language,
                    "cold": cold[0],
                    "best": best[0],
                    "steps": best[1],
                    "pages": best[2],
                    "kb": best[3] // 1024,
                    "cpu": best[4],
                }
            )
            print(
                f"  {responses:>6} {language}: cold {cold[0]:.2f} s, best {best[0]:.2f} s "
                f"({', '.join(f'{k} {v:.2f}' for k, v in best[1].items())}), "
                f"{best[2]} pages, {best[3] // 1024} kB, CPU {best[4]:.2f} s",
                file=sys.stderr,
            )
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="demo and 1,000 responses")
    parser.add_argument("--sizes", type=int, nargs="*", help="numbers of responses")
    parser.add_argument("--repeat", type=int, default=2, help="warm runs per language (2)")
    args = parser.parse_args()
    sizes = args.sizes or ([123, 1000] if args.quick else [123, 10_000])

    with tempfile.TemporaryDirectory(prefix="consult-bench-report-") as tmp:
        rows = []
        for n in sizes:
            rows.extend(bench_size(Path(tmp), n, args.repeat))

    print(
        "| responses | language | first render of the process | best of the later renders "
        "| services / HTML / PDF | pages, size | target |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        s = r["steps"]
        services = s.get("priorities", 0) + s.get("challenges", 0) + s.get("charts", 0)
        target = "≤ 5 s" if r["responses"] <= 123 else "≤ 10 s"
        print(
            f"| {r['responses']:,} | {r['language']} | {r['cold']:.2f} s | **{r['best']:.2f} s** "
            f"| {r['cpu']:.2f} s "
            f"| {services:.2f} / {s.get('html', 0):.2f} / {s.get('pdf', 0):.2f} s "
            f"| {r['pages']}, {r['kb']} kB | {target} |"
        )
    load = os.getloadavg()
    print(
        f"\nPeak RSS {peak_mb():.0f} MB. Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}."
    )


if __name__ == "__main__":
    main()
