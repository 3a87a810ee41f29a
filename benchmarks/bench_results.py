"""Speed of the results service and page (issue 6) against calling ``analysis.rank`` directly.

Run from the repository root::

    .venv/bin/python benchmarks/bench_results.py           # 10,000 responses, and the demo's 123
    .venv/bin/python benchmarks/bench_results.py --quick   # 500 responses, a smoke run

It builds a migrated SQLite database in a temporary folder, loads the demo consultation with
``--responses`` synthetic responses (``consult demo``'s generator: 16 actions rated on a 1-5
scale, a top-5 ranking, 6 challenges, 7 stakeholder groups), then for each priority question:

* **service**: ``priorities.question_results`` with the page's defaults (1,000 bootstrap
  replicates — 200 for Plackett-Luce, 100 for MNL —, seed 1, per-group rankings with
  small-cell suppression) — the SELECT of the answers, the long frame, the two
  ``analysis.rank`` calls and the labelling;
* **analysis.rank**: the same two ``analysis.rank`` calls alone on the very same frame (read
  once beforehand): the overall ranking with its bootstrap, and the per-group breakdown
  without one. ``service / analysis.rank`` is the cost of the web side;
* **one call**: for comparison, the single call of the command line (``--by-group`` with the
  bootstrap, so every group is bootstrapped too);
* **page**: ``GET /manage/consultations/<slug>/results`` through Flask's test client for a
  signed-in analyst (service + charts + template), for the demo's 123 responses and for
  ``--responses``.

"cold" (service, page) forgets the answer frames the service keeps between requests before
each run, so the answers are read from the database; "warm" is the next request on unchanged
responses (an analyst trying another method or filter).

Times are the best of ``--repeat`` runs, wall clock (``time.perf_counter``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# (question, method): each question with its default method, and Schulze (heavier) on the ranking
CASES = (
    ("action_priority", None),
    ("top5_actions", None),
    ("top5_actions", "schulze"),
    ("challenge_severity", None),
)
SLUG = "migration-action-plan"


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def build_app(folder: Path, responses: int) -> Any:
    """An app on a fresh migrated SQLite database with the demo and an analyst member."""
    from flask_migrate import upgrade

    from consult import create_app
    from consult.extensions import db
    from consult.models import Consultation, Membership, MembershipRole
    from consult.security import user_datastore
    from consult.services.demo import load_demo
    from consult.services.users import create_user

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "bench",
            "SECURITY_PASSWORD_SALT": "bench",
            "WTF_CSRF_ENABLED": False,
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
                "argon2__rounds": 1,
                "argon2__memory_cost": 64,
            },
        }
    )
    with app.app_context():
        upgrade()
        load_demo(db.session, responses=responses)
        consultation = db.session.query(Consultation).filter_by(slug=SLUG).one()
        user = create_user(db.session, user_datastore, "bench@example.org", "analyst", "x" * 16)
        db.session.add(
            Membership(user=user, consultation=consultation, role=MembershipRole.ANALYST)
        )
        db.session.commit()
    return app


def measure(app: Any, repeat: int, label: str) -> list[dict[str, Any]]:
    from consult.extensions import db
    from consult.models import Consultation, User
    from consult.services import priorities

    rows = []
    with app.app_context():
        consultation = db.session.query(Consultation).filter_by(slug=SLUG).one()
        for code, method in CASES:

            def service(code: str = code, method: str | None = method, cold: bool = True) -> Any:
                if cold:
                    priorities.clear_frame_cache()
                return priorities.question_results(
                    db.session, consultation, code, method=method, language="en"
                )

            service_s, result = best_of(service, repeat)
            warm_s, _warm = best_of(lambda service=service: service(cold=False), repeat)
            data = priorities.analysis_frame(
                db.session, consultation, code, method=method, seed=priorities.DEFAULT_SEED
            )
            rank_s, (overall, groups) = best_of(
                lambda data=data: (data.rank(), data.rank_by_group()), repeat
            )
            assert overall.to_dict() == result.analysis  # the very same numbers
            assert groups.to_dict() == result.analysis_groups
            single_s, _single = best_of(lambda data=data: data.rank(by_group=True), 1)
            rows.append(
                {
                    "label": label,
                    "question": code,
                    "kind": data.kind,
                    "method": data.method,
                    "respondents": result.n_respondents,
                    "frame_rows": len(data.frame),
                    "service": service_s,
                    "warm": warm_s,
                    "rank": rank_s,
                    "single": single_s,
                    "bootstrap": result.bootstrap,
                }
            )
        user_id = db.session.query(User).filter_by(email="bench@example.org").one().fs_uniquifier
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
        session["fs_paa"] = time.time()
        session["fs_cc"] = "set"
    for row in rows:
        url = (
            f"/manage/consultations/{SLUG}/results?question={row['question']}"
            f"&method={row['method']}&lang=en"
        )

        def get(url: str = url, cold: bool = True) -> int:
            with app.app_context():
                if cold:
                    priorities.clear_frame_cache()
                return client.get(url).status_code

        page_s, status = best_of(get, repeat)
        assert status == 200, status
        row["page"] = page_s
        row["page_warm"], _status = best_of(lambda get=get: get(cold=False), repeat)
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'data':<18} {'question':<19} {'method':<8} {'boot':>5} {'rows':>7} "
        f"{'service':>8} {'warm':>7} {'rank':>7} {'ratio':>5} {'warm':>5} "
        f"{'page':>7} {'warm':>7} {'1 call':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['label']:<18} {r['question']:<19} {r['method']:<8} {r['bootstrap']:>5} "
            f"{r['frame_rows']:>7} {r['service']:>7.2f}s {r['warm']:>6.2f}s {r['rank']:>6.2f}s "
            f"{r['service'] / r['rank']:>5.2f} {r['warm'] / r['rank']:>5.2f} "
            f"{r['page']:>6.2f}s {r['page_warm']:>6.2f}s {r['single']:>6.2f}s"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 responses, one run")
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    args = parser.parse_args(argv)
    if args.quick:
        args.responses, args.repeat = 500, 1

    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    rows: list[dict[str, Any]] = []
    for label, n in (("demo (123)", 123), (f"synthetic ({args.responses:,})", args.responses)):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            app = build_app(Path(tmp), n)
            print(f"loaded {n:,} responses in {time.perf_counter() - start:.1f} s", flush=True)
            rows += measure(app, args.repeat, label)
            with app.app_context():
                from consult.extensions import db

                db.engine.dispose()
    print()
    report(rows)
    print()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; best of {args.repeat}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
