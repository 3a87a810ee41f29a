"""Results tables: the ranking overall and by group, with small groups and districts hidden."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import select

import analysis
from consult.models import AuditEvent, Question
from consult.services.errors import InvalidState, NotFound
from consult.services.exports import export_results, result_tables
from consult.services.results import analysis_input

pytestmark = pytest.mark.db


def test_small_groups_and_districts_are_suppressed(session, plan) -> None:
    plan.min_group_size = 6
    session.flush()
    tables = result_tables(session, plan, "top5_actions")
    question = session.scalar(select(Question).where(Question.code == "top5_actions"))
    frame = analysis_input(session, question.id).frame
    sizes = frame.drop_duplicates("respondent").group.value_counts()
    small = set(sizes[sizes < 6].index)
    assert small, "the fixture should have a group below k"
    assert set(sizes[sizes >= 6].index)

    results = tables.results
    suppressed = results[results.suppressed == 1]
    assert set(suppressed.scope) == small
    assert len(suppressed) == len(small)  # one row each, without figures
    assert suppressed[["n", "item", "score", "rank"]].isna().all().all()
    shown = results[(results.suppressed == 0) & (results.scope != "all")]
    assert set(shown.scope) == set(sizes[sizes >= 6].index)
    assert (shown.n >= 6).all()

    expected = analysis.rank(frame, "ranking", "borda", by_group=True, min_group_size=6)
    overall = results[results.scope == "all"]
    assert list(overall.item) == list(expected.items["item"])
    assert list(overall.score) == pytest.approx(list(expected.items["score"]))
    assert set(overall.n) == {40}
    assert overall.label.str.len().min() > 0  # item labels in the default language (tr)

    counts = tables.counts.set_index(["breakdown", "value"])
    for group, n in sizes.items():
        cell = counts.loc[("group", group)]
        assert cell.suppressed == int(n < 6)
        assert pd.isna(cell.respondents) if n < 6 else cell.respondents == n
    assert (tables.counts.respondents.dropna() >= 6).all()
    districts = tables.counts[tables.counts.breakdown == "district"]
    assert districts.suppressed.sum() > 0
    about = dict(zip(tables.about.setting, tables.about.value, strict=True))
    assert about["min_group_size"] == "6"
    assert set(about["suppressed_groups"].split(", ")) == small


def test_results_files_and_audit(session, plan) -> None:
    csv = export_results(session, None, plan, "action_priority", "csv", method="mean")
    read = pd.read_csv(io.BytesIO(csv.data), encoding="utf-8-sig")
    assert csv.filename == "migration-action-plan-round1-action_priority-results.csv"
    assert list(read.columns[:6]) == ["scope", "group", "suppressed", "n", "item", "label"]
    assert read[read.scope == "all"]["rank"].min() == 1
    xlsx = export_results(session, None, plan, "action_priority", "xlsx")
    sheets = pd.read_excel(io.BytesIO(xlsx.data), sheet_name=None)
    assert list(sheets) == ["results", "respondents", "about"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "export.results")).all()
    assert [e.details["format"] for e in events] == ["csv", "xlsx"]
    assert events[0].details["method"] == "mean"


def test_bad_results_requests(session, plan) -> None:
    with pytest.raises(NotFound):
        result_tables(session, plan, "nope")
    with pytest.raises(InvalidState, match="priority"):
        result_tables(session, plan, "comments")
    with pytest.raises(InvalidState, match="method"):
        result_tables(session, plan, "top5_actions", method="coin-flip")
    with pytest.raises(InvalidState, match="weighting"):
        result_tables(session, plan, "top5_actions", weights="heaviest")
    with pytest.raises(InvalidState, match="format"):
        export_results(session, None, plan, "top5_actions", "sav")
