"""Speed and memory of the analysis engine, through its Python API, against pref_voting and choix.

Run from the repository root::

    .venv/bin/python benchmarks/bench_analysis.py            # the full issue-3 targets
    .venv/bin/python benchmarks/bench_analysis.py --quick    # a small smoke run

Scenarios (issue 3, "Speed"):

1. 10,000 respondents x 30 items, complete rankings: ``schulze`` with 1,000 bootstrap replicates
   (target <= 5 s), and one Schulze ranking against pref_voting's ``schulze`` on the same profile.
2. ``bradley-terry`` on 200,000 comparisons over 50 items (target <= 0.2 s), against choix.
3. ``plackett-luce`` on 20,000 partial rankings (top 8 of 50 items) (target <= 1 s, same optimum
   as choix), against choix.
4. Memory (target <= 1 GB): the process's peak RSS right after the Schulze bootstrap (before
   pref_voting or choix are imported), tracemalloc's peak during that call, and the peak RSS
   of the whole run (which includes the reference libraries).

Each scenario reports the full ``analysis.rank`` call (validation + prepare + scoring + extras)
and the method alone (``prepare`` + ``scores``) next to the reference library on the same data.
Times are the best of ``--repeat`` runs (wall clock, ``time.perf_counter``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import analysis
from analysis.data import load
from analysis.registry import get_method, methods_for


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import scipy

    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
    }


# ------------------------------------------------------------------------------ data


def ranking_data(rng, n_resp: int, n_items: int, depth: int | None = None):
    """Rankings from a Plackett-Luce-like model (Gumbel noise on item utilities)."""
    utility = np.sort(rng.normal(0, 1, n_items))[::-1]
    noisy = utility + rng.gumbel(size=(n_resp, n_items))
    order = np.argsort(-noisy, axis=1)  # order[r, k] = item at position k
    depth = depth or n_items
    order = order[:, :depth]
    items = np.array([f"item{i:02d}" for i in range(n_items)], dtype=object)
    frame = pd.DataFrame(
        {
            "respondent": np.repeat([f"r{r:05d}" for r in range(n_resp)], depth),
            "item": items[order.ravel()],
            "rank": np.tile(np.arange(1, depth + 1, dtype=float), n_resp),
        }
    )
    return frame, order


def pairwise_data(rng, n_comparisons: int, n_items: int, per_respondent: int = 20):
    strength = rng.normal(0, 1, n_items)
    a = rng.integers(0, n_items, n_comparisons)
    b = (a + rng.integers(1, n_items, n_comparisons)) % n_items
    a_wins = rng.random(n_comparisons) < 1 / (1 + np.exp(strength[b] - strength[a]))
    winner = np.where(a_wins, a, b)
    loser = np.where(a_wins, b, a)
    items = np.array([f"item{i:02d}" for i in range(n_items)], dtype=object)
    respondent = np.arange(n_comparisons) // per_respondent
    frame = pd.DataFrame(
        {
            "respondent": [f"r{r:05d}" for r in respondent],
            "winner": items[winner],
            "loser": items[loser],
        }
    )
    return frame, list(zip(winner.tolist(), loser.tolist(), strict=True))


# ------------------------------------------------------------------------------ scenarios


def method_alone(kind: str, name: str, frame: pd.DataFrame, options=None):
    method = get_method(kind, name)
    validated = load(frame, kind)

    def run():
        profile = method.prepare(validated, options or {})
        return profile, method.scores(profile, np.ones(profile.n_respondents), options or {})

    return run


def bench_schulze(args, rng, report):
    n_resp, n_items = args.respondents, args.items
    frame, order = ranking_data(rng, n_resp, n_items)
    if "schulze" not in methods_for("ranking"):
        report.append(("schulze", "not registered yet", "", ""))
        return
    t_full, result = best_of(
        lambda: analysis.rank(frame, "ranking", "schulze", bootstrap=args.replicates, seed=1),
        args.repeat_slow,
    )
    report.append(
        (
            f"schulze, {n_resp:,} x {n_items} rankings, {args.replicates:,} bootstrap replicates "
            "(`analysis.rank`)",
            f"{t_full:.2f} s",
            "<= 5 s",
            "",
        )
    )
    ours_peak = peak_mb()
    tracemalloc.start()
    analysis.rank(frame, "ranking", "schulze", bootstrap=args.replicates, seed=1)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    report.append(
        (
            "memory of that call: peak RSS of the process so far / tracemalloc peak",
            f"{ours_peak:.0f} MB / {traced:.0f} MB",
            "<= 1 GB",
            "before any reference library is imported",
        )
    )
    t_one, (profile, scores) = best_of(method_alone("ranking", "schulze", frame), args.repeat)
    method = get_method("ranking", "schulze")
    weights = np.ones((100, profile.n_respondents))
    t_batch, _ = best_of(lambda: method.scores_batch(profile, weights[:100], {}), 1)
    try:
        from pref_voting.margin_based_methods import beat_path as pv_schulze
        from pref_voting.profiles import Profile as PVProfile

        rankings, counts = np.unique(order, axis=0, return_counts=True)
        t_pv, winners = best_of(
            lambda: pv_schulze(PVProfile(rankings.tolist(), rcounts=counts.tolist())),
            args.repeat,
        )
        ours_top = [int(profile.items[i][4:]) for i in np.flatnonzero(scores == scores.max())]
        agree = "same winner" if sorted(ours_top) == sorted(winners) else "DIFFERENT winner"
        report.append(
            (
                "schulze, one ranking (prepare + score) vs pref_voting (profile + "
                "`beat_path`, i.e. Schulze, Floyd-Warshall)",
                f"{t_one:.3f} s",
                f"pref_voting {t_pv:.3f} s",
                f"ratio {t_pv / t_one:.1f}x faster; {agree}",
            )
        )
    except ImportError:  # pragma: no cover
        report.append(("schulze, one ranking", f"{t_one:.3f} s", "pref_voting missing", ""))
    report.append(
        (
            "schulze `scores_batch`, 100 replicates (scoring only)",
            f"{t_batch:.3f} s",
            "",
            f"{result.bootstrap} replicates in the full call",
        )
    )


def bench_bradley_terry(args, rng, report):
    frame, data = pairwise_data(rng, args.comparisons, 50)
    t_full, _ = best_of(lambda: analysis.rank(frame, "pairwise", "bradley-terry"), args.repeat)
    t_one, (profile, scores) = best_of(
        method_alone("pairwise", "bradley-terry", frame), args.repeat
    )
    method = get_method("pairwise", "bradley-terry")
    w = np.ones(profile.n_respondents)
    t_score, _ = best_of(lambda: method.scores(profile, w, {}), args.repeat)
    import choix

    n = 50
    order = np.argsort([int(s[4:]) for s in profile.items])
    t_ilsr, ref = best_of(lambda: choix.ilsr_pairwise(n, data, alpha=0.0, tol=1e-12), 1)
    # our default ridge (alpha = 1e-3 per comparison) vs the unpenalised MLE of choix,
    # and a vanishing ridge vs the same MLE (the same optimum)
    tiny = method.scores(profile, w, {"alpha": 1e-12})[order]
    gap_default = float(np.max(np.abs(scores[order] - (ref - ref.mean()))))
    gap_tiny = float(np.max(np.abs(tiny - (ref - ref.mean()))))
    report.append(
        (
            f"bradley-terry, {args.comparisons:,} comparisons over 50 items (`analysis.rank`)",
            f"{t_full:.3f} s",
            "<= 0.2 s",
            "",
        )
    )
    note = (
        f"choix / ours (prepare + score) = {t_ilsr / t_one:.0f}x; max abs diff to choix's MLE: "
        f"{gap_tiny:.1e} (alpha 1e-12), {gap_default:.1e} (default ridge)"
    )
    if args.slow_references:
        from analysis.methods.pairwise import DEFAULT_ALPHA

        t_opt, opt = best_of(
            lambda: choix.opt_pairwise(n, data, alpha=DEFAULT_ALPHA * len(data) / n, tol=1e-10), 1
        )
        gap_opt = float(np.max(np.abs(scores[order] - (opt - opt.mean()))))
        note += f"; choix opt_pairwise (same ridge) {t_opt:.1f} s, max abs diff {gap_opt:.1e}"
    report.append(
        (
            "bradley-terry, prepare + score / score alone",
            f"{t_one:.3f} s / {t_score:.4f} s",
            f"choix ilsr_pairwise {t_ilsr:.3f} s",
            note,
        )
    )


def bench_plackett_luce(args, rng, report):
    n_items, depth = 50, 8
    frame, order = ranking_data(rng, args.partial, n_items, depth)
    if "plackett-luce" not in methods_for("ranking"):
        report.append(("plackett-luce", "not registered yet", "", ""))
        return
    t_full, _ = best_of(lambda: analysis.rank(frame, "ranking", "plackett-luce"), args.repeat)
    t_one, (profile, scores) = best_of(method_alone("ranking", "plackett-luce", frame), args.repeat)
    method = get_method("ranking", "plackett-luce")
    w = np.ones(profile.n_respondents)
    index = np.argsort([int(s[4:]) for s in profile.items])
    tiny = method.scores(profile, w, {"pl_alpha": 1e-12})[index]
    import choix

    # a top-8 ranking of 50 items = 8 successive choices, each among the items not yet chosen
    universe = np.arange(n_items)
    top1 = []
    for row in order:
        remaining = np.ones(n_items, dtype=bool)
        for item in row:
            remaining[item] = False
            top1.append((int(item), universe[remaining].tolist()))
    t_choix, ref = best_of(lambda: choix.ilsr_top1(n_items, top1, alpha=0.0, tol=1e-12), 1)
    ref = ref - ref.mean()
    gap_tiny = float(np.max(np.abs(tiny - ref)))
    gap_default = float(np.max(np.abs(scores[index] - ref)))
    report.append(
        (
            f"plackett-luce, {args.partial:,} rankings (top {depth} of {n_items}) "
            "(`analysis.rank`)",
            f"{t_full:.3f} s",
            "<= 1 s",
            "",
        )
    )
    report.append(
        (
            "plackett-luce, prepare + score",
            f"{t_one:.3f} s",
            f"choix ilsr_top1 {t_choix:.2f} s",
            f"choix / ours = {t_choix / t_one:.0f}x; max abs diff to choix's MLE: "
            f"{gap_tiny:.1e} (pl_alpha 1e-12), {gap_default:.1e} (default pl_alpha 1e-6)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--respondents", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--replicates", type=int, default=1_000)
    parser.add_argument("--comparisons", type=int, default=200_000)
    parser.add_argument("--partial", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast scenarios")
    parser.add_argument("--repeat-slow", type=int, default=1, help="runs of the bootstrap")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--slow-references",
        action="store_true",
        help="also time choix.opt_pairwise (about a minute at full size)",
    )
    parser.add_argument(
        "--only", choices=["schulze", "bradley-terry", "plackett-luce"], action="append"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.respondents, args.replicates = 500, 50
        args.comparisons, args.partial, args.repeat = 5_000, 500, 1
    rng = np.random.default_rng(args.seed)
    report: list[tuple[str, str, str, str]] = []
    scenarios = {
        "schulze": bench_schulze,
        "bradley-terry": bench_bradley_terry,
        "plackett-luce": bench_plackett_luce,
    }
    for name, scenario in scenarios.items():
        if args.only and name not in args.only:
            continue
        scenario(args, rng, report)
        print(f"... {name} done (peak {peak_mb():.0f} MB)", file=sys.stderr)
    report.append(
        ("peak memory of the whole run (ru_maxrss)", f"{peak_mb():.0f} MB", "<= 1 GB", "")
    )
    print("| scenario | measured | target / reference | note |")
    print("|---|---|---|---|")
    for row in report:
        print("| " + " | ".join(row) + " |")
    print()
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
