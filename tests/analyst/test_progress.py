"""Progress of long bootstraps: ``consult results --bootstrap N`` shows a bar on standard error
when it is a terminal, and the JSON on standard output stays byte for byte the same."""

from __future__ import annotations

import itertools
import json
from typing import ClassVar

import pytest

import consult.cli
from consult.extensions import db
from consult.services import priorities as pr

pytestmark = pytest.mark.db

ARGS = [
    "results",
    "migration-action-plan",
    "--question",
    "top5_actions",
    "--method",
    "schulze",
    "--bootstrap",
    "60",
    "--seed",
    "3",
]


class RecordingBars(consult.cli._ProgressBars):
    """The command's progress bars, remembering every call."""

    calls: ClassVar[list[tuple[str, int, int]]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        RecordingBars.calls.append((stage, done, total))
        super().__call__(stage, done, total)


@pytest.mark.parametrize("by_group", [False, True])
def test_stdout_is_the_same_with_or_without_a_progress_bar(staff, runner, monkeypatch, by_group):
    args = [*ARGS, "--by-group"] if by_group else ARGS
    quiet = runner.invoke(args=args)  # the test runner's stderr is no terminal: no bar
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr_bytes == b""

    RecordingBars.calls = []
    monkeypatch.setattr(consult.cli, "_ProgressBars", RecordingBars)
    monkeypatch.setattr(consult.cli, "_stderr_is_terminal", lambda: True)
    loud = runner.invoke(args=args)
    assert loud.exit_code == 0, loud.output
    assert loud.stdout_bytes == quiet.stdout_bytes
    assert "Bootstrap replicates" in loud.stderr
    assert "Bootstrap replicates" not in loud.stdout

    payload = json.loads(quiet.stdout_bytes)
    shown = [g for g in (payload["groups"] or {}).values() if not g["suppressed"]]
    total = 60 * (1 + len(shown))
    assert not by_group or len(shown) >= 2
    done = [d for _stage, d, _total in RecordingBars.calls]
    assert {(s, t) for s, _d, t in RecordingBars.calls} == {("Bootstrap replicates", total)}
    assert done[0] == 0
    assert done[-1] == total
    assert all(b > a for a, b in itertools.pairwise(done))


def test_no_bar_without_a_bootstrap(staff, runner, monkeypatch):
    RecordingBars.calls = []
    monkeypatch.setattr(consult.cli, "_ProgressBars", RecordingBars)
    monkeypatch.setattr(consult.cli, "_stderr_is_terminal", lambda: True)
    result = runner.invoke(args=[*ARGS[:6], "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert RecordingBars.calls == []
    assert result.stderr_bytes == b""


def test_question_results_reports_the_overall_bootstrap(staff):
    calls: list[tuple[int, int]] = []
    kwargs = {"method": "schulze", "bootstrap": 50, "seed": 2, "language": "en"}
    quiet = pr.question_results(db.session, staff.a, "top5_actions", **kwargs)
    loud = pr.question_results(
        db.session,
        staff.a,
        "top5_actions",
        progress=lambda done, total: calls.append((done, total)),
        **kwargs,
    )
    assert loud.as_dict() == quiet.as_dict()
    assert calls[0] == (0, 50)
    assert calls[-1] == (50, 50)  # the per-group rankings are not bootstrapped
    assert all(b[0] > a[0] for a, b in itertools.pairwise(calls))
