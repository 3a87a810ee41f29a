"""Stored answers → the long-format input of ``analysis``, for every priority question type."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

import analysis
from consult.models import Question, Response, ResponseState
from consult.questions import get_type
from consult.services import participation as p
from consult.services.demo import load_demo
from consult.services.errors import InvalidState, NotFound
from consult.services.results import KIND_COLUMNS, RESPONDENT_COLUMNS, analysis_input
from tests.services.helpers import NOW, complete, consultation, invite

pytestmark = pytest.mark.db

# everyone puts district data first; the rest of their order varies
PREFERENCES = [
    ["district_data", "interpretation", "advisory_board", "anti_discrimination"],
    ["district_data", "advisory_board", "interpretation", "rights_information"],
    ["district_data", "anti_discrimination", "selforg_grants", "interpretation"],
    ["district_data", "interpretation", "rights_information", "advisory_board"],
    ["district_data", "selforg_grants", "anti_discrimination", "advisory_board"],
    ["district_data", "rights_information", "interpretation", "selforg_grants"],
]


def question_id(session, consultation_id: int, code: str) -> int:
    return session.scalar(
        select(Question.id)
        .join(Question.round)
        .where(Question.code == code, Question.round.has(consultation_id=consultation_id))
    )


def submit_open(session, consultation, prefs, language="en", choices=None):
    access = p.start_open_response(session, consultation, language, NOW)
    survey = p.build_survey(session, access.round, language)
    complete(session, access, survey, prefs, choices)
    p.submit_response(session, access, survey, NOW)
    return access.response


def check_frame(result, kind, n_respondents):
    frame = result.frame
    assert result.kind == kind
    assert list(frame.columns) == RESPONDENT_COLUMNS + KIND_COLUMNS[kind]
    assert frame.respondent.nunique() == n_respondents
    assert frame.notna().drop(columns=["district"]).all().all()
    assert set(frame.source) == {"online"}
    loaded = analysis.load(frame, kind)  # the analysis' own validation accepts it
    assert loaded.respondent.nunique() == n_respondents
    return frame


def ranked(frame, kind):
    """The ranking by the first registered method of ``kind``, as item → rank."""
    method = analysis.methods_for(kind)[0]
    result = analysis.rank(frame, kind, method)
    return dict(zip(result.items["item"], result.items["rank"], strict=True))


def test_every_priority_question_of_the_question_types_demo(session, question_types):
    responses = [
        submit_open(session, question_types, prefs, language=lang)
        for prefs, lang in zip(PREFERENCES, ["en", "tr", "ar", "en", "tr", "ar"], strict=True)
    ]
    ids = {str(r.id) for r in responses}
    n = len(responses)
    kinds = {}
    for q in question_types.rounds[0].questions:
        kind = get_type(q.type).analysis_kind
        if kind is None:
            with pytest.raises(InvalidState):
                analysis_input(session, q.id)
            continue
        result = analysis_input(session, q.id)
        assert result.question_code == q.code
        kinds[q.code] = kind
        frame = check_frame(result, kind, n)
        assert set(frame.respondent) == ids
        assert set(frame.group) == {"unknown"}  # an open link without a profile question
        assert set(frame.language) == {"en", "tr", "ar"}
        order = ranked(frame, kind)
        if q.code in ("ranking", "pairwise", "best_worst", "ahp", "points"):
            assert order["district_data"] == 1, (q.code, order)
            assert min(order, key=order.get) == "district_data"
    assert kinds == {
        "rating": "rating",
        "matrix": "rating",
        "ranking": "ranking",
        "pairwise": "pairwise",
        "best_worst": "bestworst",
        "ahp": "ahp",
        "points": "points",
    }


def test_frames_hold_what_each_kind_needs(session, question_types):
    response = submit_open(session, question_types, PREFERENCES[0])
    frames = {
        q.code: analysis_input(session, q.id).frame
        for q in question_types.rounds[0].questions
        if get_type(q.type).analysis_kind
    }
    assert frames["rating"][["item", "value"]].to_dict("records") == [
        {"item": "interpretation", "value": 4.0}
    ]
    assert sorted(frames["matrix"].item) == [
        "disaggregated_data",
        "hate_speech",
        "legal_responsibilities",
    ]
    assert frames["ranking"].sort_values("rank")[["item", "rank"]].to_dict("records") == [
        {"item": "district_data", "rank": 1},
        {"item": "interpretation", "rank": 2},
        {"item": "advisory_board", "rank": 3},
    ]
    assert len(frames["pairwise"]) == 6
    assert (frames["pairwise"].loser != "district_data").all()
    bw = frames["best_worst"]
    assert len(bw) == 12
    assert (
        sorted(bw.groupby("task").choice.apply(lambda c: "".join(sorted(c)))) == ["bestworst"] * 3
    )
    assert len(frames["ahp"]) == 6
    assert frames["ahp"].value.between(1 / 9, 9).all()
    assert frames["points"].points.sum() == 100
    assert set(frames["points"].item) == {
        "advisory_board",
        "interpretation",
        "district_data",
        "anti_discrimination",
    }
    assert set(frames["ranking"].respondent) == {str(response.id)}


def test_dont_know_in_progress_and_withdrawn_answers_stay_out(session, question_types):
    kept = submit_open(session, question_types, PREFERENCES[0])
    unsure = submit_open(session, question_types, PREFERENCES[1], choices={"rating": "dont_know"})
    withdrawn = submit_open(session, question_types, PREFERENCES[2])
    p.withdraw_response(session, "question-types", withdrawn.receipt_code, NOW)
    draft = p.start_open_response(session, question_types, "en", NOW)
    survey = p.build_survey(session, draft.round, "en")
    complete(session, draft, survey, PREFERENCES[3])  # saved, never submitted
    assert draft.response.state == ResponseState.IN_PROGRESS

    rating = analysis_input(session, question_id(session, question_types.id, "rating")).frame
    assert list(rating.respondent) == [str(kept.id)]  # "don't know" is a row left out
    ranking = analysis_input(session, question_id(session, question_types.id, "ranking")).frame
    assert set(ranking.respondent) == {str(kept.id), str(unsure.id)}


def test_a_question_without_answers_gives_an_empty_frame_with_its_columns(session, question_types):
    for code, kind in [("ranking", "ranking"), ("pairwise", "pairwise"), ("ahp", "ahp")]:
        result = analysis_input(session, question_id(session, question_types.id, code))
        assert result.frame.empty
        assert list(result.frame.columns) == RESPONDENT_COLUMNS + KIND_COLUMNS[kind]


def test_unknown_and_non_priority_questions(session, question_types):
    with pytest.raises(NotFound):
        analysis_input(session, 987_654)
    for code in ("single_choice", "multiple_choice", "number", "short_text", "long_text"):
        with pytest.raises(InvalidState):
            analysis_input(session, question_id(session, question_types.id, code))


def test_the_action_plan_demo_feeds_the_analysis(session):
    load_demo(session, responses=40, seed=3)
    plan = consultation(session, "migration-action-plan")
    _invitation, token = invite(session, plan, group="self_organization", district="fatih")
    access = p.access_by_invitation(session, token, "ar", NOW)
    survey = p.build_survey(session, access.round, "ar")
    complete(session, access, survey, ["rights_information", "selforg_grants", "interpretation"])
    p.submit_response(session, access, survey, NOW)
    online = submit_open(session, plan, ["accessible_services", "anti_discrimination"])
    n = 42

    priority = analysis_input(session, question_id(session, plan.id, "action_priority"))
    frame = check_frame(priority, "rating", n)
    assert set(frame.value) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert frame.item.nunique() == 16
    invited = frame[frame.respondent == str(access.response.id)]
    assert set(invited.group) == {"self_organization"}
    assert set(invited.district) == {"fatih"}
    assert set(invited.language) == {"ar"}
    assert invited.set_index("item").value["rights_information"] == 5.0
    assert set(frame[frame.respondent == str(online.id)].group) == {"district_municipality"}
    assert frame.group.nunique() == 7
    order = ranked(frame, "rating")
    assert sorted(order) == sorted(frame.item.unique())

    top5 = analysis_input(session, question_id(session, plan.id, "top5_actions"))
    frame = check_frame(top5, "ranking", n)
    assert (frame.groupby("respondent")["rank"].apply(sorted).map(tuple) == (1, 2, 3, 4, 5)).all()
    result = analysis.rank(frame, "ranking", "borda", by_group=True, weights="equal-groups")
    assert result.n_respondents == n
    assert result.n_groups == 7
    assert isinstance(result.items, pd.DataFrame)

    severity = analysis_input(session, question_id(session, plan.id, "challenge_severity"))
    check_frame(severity, "rating", n)

    submitted = session.scalars(
        select(Response.id).where(Response.state == ResponseState.SUBMITTED)
    ).all()
    assert len(submitted) == n
