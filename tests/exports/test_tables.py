"""The wide and long tables and the codebook, compared with what the database holds."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlalchemy import select

from consult.models import (
    Answer,
    Item,
    Option,
    Question,
    Response,
    ResponseState,
    Round,
    RoundState,
)
from consult.questions import type_names
from consult.services.codebook import LAYOUTS, MAX_NAME_BYTES, NameRegistry, spss_name
from consult.services.errors import InvalidState, NotFound
from consult.services.exports import TooLarge, export_round, response_table
from tests.exports.conftest import ARABIC, FORMULA, TURKISH, response_ids

pytestmark = pytest.mark.db

SPSS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
META = [
    "response_id",
    "response_group",
    "response_district",
    "response_language",
    "response_source",
    "response_submitted",
]


def stored_answers(session, c) -> pd.DataFrame:
    """Every answer row of the round's submitted responses, with codes (a second reading)."""
    rows = session.execute(
        select(
            Answer.response_id,
            Question.code,
            Answer.item_id,
            Answer.other_item_id,
            Answer.option_id,
            Answer.task,
            Answer.number,
            Answer.text,
            Answer.flag,
        )
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == c.rounds[0].id, Response.state == ResponseState.SUBMITTED)
    ).all()
    items = dict(session.execute(select(Item.id, Item.code)).all())
    options = dict(session.execute(select(Option.id, Option.code)).all())
    frame = pd.DataFrame(
        [
            (
                r[0],
                r[1],
                items.get(r[2]),
                items.get(r[3]),
                options.get(r[4]),
                None if r[5] is None else r[5] + 1,
                r[6],
                r[7],
                r[8] or None,
            )
            for r in rows
        ],
        columns=[
            "response_id",
            "question",
            "item",
            "other_item",
            "option",
            "task",
            "number",
            "text",
            "flag",
        ],
    )
    frame["task"] = frame["task"].astype("Int64")
    return frame


def test_every_registered_question_type_has_a_wide_layout() -> None:
    assert set(type_names()) == set(LAYOUTS)


def test_the_long_table_is_the_stored_answers(session, question_types) -> None:
    c = question_types.consultation
    table = response_table(session, c, "long")
    frame = table.frame
    assert list(frame.columns) == table.codebook.names
    assert list(frame.columns[:6]) == META
    stored = stored_answers(session, c)
    assert len(frame) == len(stored) > 0
    columns = list(stored.columns)

    def normalised(df: pd.DataFrame) -> list[tuple]:
        out = df[columns].astype(object).where(df[columns].notna(), None)
        return sorted(map(tuple, out.itertuples(index=False, name=None)), key=repr)

    assert normalised(frame.assign(response_id=frame.response_id.astype(int))) == normalised(stored)
    # every question type was answered and exported
    assert set(frame.question_type) == set(type_names())
    assert set(frame.response_id) == {r.id for r in question_types.submitted}


def test_withdrawn_and_unfinished_responses_are_not_exported(session, question_types) -> None:
    c = question_types.consultation
    submitted = response_ids(session, c, ResponseState.SUBMITTED)
    assert submitted == {r.id for r in question_types.submitted}
    for shape in ("wide", "long"):
        frame = response_table(session, c, shape).frame
        assert set(frame.response_id) == submitted
        assert question_types.withdrawn.id not in set(frame.response_id)
        assert question_types.unfinished.id not in set(frame.response_id)
    wide = response_table(session, c, "wide").frame
    assert len(wide) == len(submitted)  # one row per response


def test_the_wide_table_holds_every_type_as_stored(session, question_types) -> None:
    c = question_types.consultation
    table = response_table(session, c, "wide")
    wide = table.frame.set_index("response_id")
    names = table.codebook.names
    assert len({n.upper() for n in names}) == len(names)
    assert all(SPSS_NAME.match(n) and len(n.encode()) <= MAX_NAME_BYTES for n in names)
    questions = {q.code: q for q in c.rounds[0].questions}
    items = {i.id: i.code for i in c.items}
    stored = stored_answers(session, c)
    first, turkish, arabic, _last = question_types.submitted

    # single choice: the option's position; the codebook maps it back to the option code
    var = next(v for v in table.codebook.variables if v.name == "single_choice")
    codes = {vl.value: vl.code for vl in var.value_labels}
    for rid, row in stored[stored.question == "single_choice"].set_index("response_id").iterrows():
        assert codes[int(wide.loc[rid, "single_choice"])] == row.option
    assert (
        codes[int(wide.loc[arabic.id, "single_choice"])]
        == questions["single_choice"].options[-1].code
    )

    # multiple choice: 0/1 per option
    options = [o.code for o in questions["multiple_choice"].options]
    chosen = stored[stored.question == "multiple_choice"].groupby("response_id").option.agg(set)
    for rid, picked in chosen.items():
        assert {o for o in options if wide.loc[rid, f"multiple_choice_{o}"] == 1} == picked
        assert sum(wide.loc[rid, f"multiple_choice_{o}"] == 0 for o in options) == len(
            options
        ) - len(picked)

    # rating: the point, "don't know" as the missing code 99
    assert wide.loc[first.id, "rating"] == 4
    assert wide.loc[turkish.id, "rating"] == 99
    rating = next(v for v in table.codebook.variables if v.name == "rating")
    assert rating.missing == (99,)
    assert {vl.code for vl in rating.value_labels} == {"1", "2", "3", "4", "5", "dont_know"}

    # matrix, ranking, points: one variable per item with the stored number
    for code in ("matrix", "ranking", "points"):
        for r in stored[stored.question == code].itertuples():
            assert wide.loc[r.response_id, f"{code}_{r.item}"] == r.number, (code, r)
    assert (
        wide[[f"points_{i.code}" for i in _items(questions["points"])]].sum(axis=1) == 100
    ).all()
    assert wide.loc[first.id, "ranking_district_data"] == 1

    # comparisons: per task the items by their position in the question
    for code, parts in (("pairwise", ("winner", "loser")), ("ahp", ("a", "b"))):
        position = {qi.item.code: i for i, qi in enumerate(questions[code].question_items, 1)}
        for r in stored[stored.question == code].itertuples():
            assert wide.loc[r.response_id, f"{code}_t{r.task}_{parts[0]}"] == position[r.item]
            assert wide.loc[r.response_id, f"{code}_t{r.task}_{parts[1]}"] == position[r.other_item]
            if code == "ahp":
                assert wide.loc[r.response_id, f"ahp_t{r.task}_value"] == pytest.approx(r.number)
            else:
                assert wide.loc[r.response_id, f"pairwise_t{r.task}_tie"] == 0
    position = {qi.item.code: i for i, qi in enumerate(questions["best_worst"].question_items, 1)}
    bw = stored[stored.question == "best_worst"]
    for r in bw[bw.flag.isin(["best", "worst"])].itertuples():
        assert wide.loc[r.response_id, f"best_worst_t{r.task}_{r.flag}"] == position[r.item]
    shown = [f"best_worst_t1_item{k}" for k in range(1, 5)]
    for rid, group in bw[bw.task == 1].groupby("response_id"):
        assert sorted(wide.loc[rid, shown]) == sorted(position[i] for i in group.item)

    # number and texts
    assert set(wide.number) == {250}
    assert wide.loc[first.id, "short_text"] == FORMULA
    assert wide.loc[turkish.id, "short_text"] == TURKISH
    assert wide.loc[arabic.id, "short_text"] == ARABIC
    assert wide.loc[first.id, "long_text"] == "-2 and @SUM(A1)\tfine"
    assert items  # the consultation has items


def _items(q):
    return [qi.item for qi in q.question_items]


def test_the_codebook_lists_every_variable_in_every_language(session, question_types) -> None:
    c = question_types.consultation
    for shape in ("wide", "long"):
        table = response_table(session, c, shape)
        assert [v.name for v in table.codebook.variables] == list(table.frame.columns)
        for v in table.codebook.variables:
            assert set(v.labels) == {"tr", "en", "ar"}, v.name
            assert all(v.labels.values()), v.name
    wide = response_table(session, c, "wide", language="ar")
    assert wide.codebook.language == "ar"
    matrix = [v for v in wide.codebook.variables if v.question == "matrix"]
    texts = {q.code: q.text for q in wide.codebook.questions}
    assert set(texts) == {q.code for q in c.rounds[0].questions}
    question = next(q for q in c.rounds[0].questions if q.code == "matrix")
    assert texts["matrix"] == question.text
    for v in matrix:
        assert v.labels["ar"].startswith(question.text["ar"])
        assert v.labels["tr"].startswith(question.text["tr"])
    codebook_only = response_table(session, c, "codebook")
    assert codebook_only.frame.empty
    assert codebook_only.codebook.names == response_table(session, c, "wide").codebook.names


def test_names_are_valid_spss_names() -> None:
    assert spss_name("2nd round") == "v2nd_round"
    assert spss_name("ışık-ağırlık") == "isik_agirlik"
    assert spss_name("with") == "with_"
    assert spss_name("عربي") == "v"
    long = spss_name("q" * 100)
    assert len(long) == MAX_NAME_BYTES
    registry = NameRegistry(["response_id"])
    names = [registry.claim(n) for n in ["Response_ID", "a-b", "a_b", "A.B", "q" * 100, "q" * 70]]
    assert names == ["Response_ID_2", "a_b", "a_b_2", "A_B_3", "q" * 64, "q" * 62 + "_2"]
    assert all(SPSS_NAME.match(n) and len(n) <= MAX_NAME_BYTES for n in names)


def test_question_codes_that_clash_get_unique_names(session, question_types) -> None:
    c = question_types.consultation
    questions = {q.code: q for q in c.rounds[0].questions}
    questions["number"].code = "Response_ID"  # clashes with a metadata name, ignoring case
    questions["matrix"].code = "m" * 64  # with an item code, longer than 64 bytes
    session.flush()
    table = response_table(session, c, "wide")
    names = table.codebook.names
    assert "Response_ID_2" in names
    matrix = [v.name for v in table.codebook.variables if v.question == "m" * 64]
    assert matrix == ["m" * 64, "m" * 62 + "_2", "m" * 62 + "_3"]
    assert len({n.upper() for n in names}) == len(names)
    assert list(table.frame.columns) == names


def test_bad_choices_are_refused(session, question_types) -> None:
    c = question_types.consultation
    with pytest.raises(InvalidState, match="shape"):
        response_table(session, c, "tall")
    with pytest.raises(InvalidState, match="fr"):
        response_table(session, c, "wide", language="fr")
    with pytest.raises(NotFound, match="round 3"):
        response_table(session, c, "wide", round_number=3)
    with pytest.raises(TooLarge):
        response_table(session, c, "long", max_cells=100)


def test_progress_is_reported_up_to_the_total(session, plan) -> None:
    calls = []
    response_table(session, plan, "wide", progress=lambda *a: calls.append(a))
    assert calls[0] == ("responses", 0, 40)
    assert calls[-1] == ("responses", 40, 40)
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)


def test_the_default_round_is_the_latest_one_in_use(session, plan) -> None:
    second = Round(number=2, state=RoundState.DRAFT, title={"tr": "Tur 2"})
    plan.rounds.append(second)
    session.flush()
    assert export_round(plan).number == 1  # a draft round is not used yet
    assert response_table(session, plan, "wide").round_number == 1
    second.state = RoundState.OPEN
    session.flush()
    assert export_round(plan).number == 2
    empty = response_table(session, plan, "wide")
    assert empty.round_number == 2
    assert empty.frame.empty
    assert empty.codebook.names == META  # no questions yet: only the response columns
    assert len(response_table(session, plan, "wide", round_number=1).frame) == 40
