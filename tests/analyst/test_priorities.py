"""The priorities service: analysis.rank's numbers, labelled, filtered, weighted and protected."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select

import analysis
from consult.extensions import db
from consult.models import Item, Question
from consult.services import participation as p
from consult.services import priorities as pr
from consult.services.errors import Forbidden
from consult.services.results import KIND_COLUMNS, analysis_input
from tests.analyst.conftest import PREFERENCES, submit_open
from tests.services.helpers import NOW

pytestmark = pytest.mark.db

GROUP_SIZES = {
    "district_municipality": 30,
    "national_ngo": 28,
    "international_ngo": 18,
    "donor": 6,
    "academic": 17,
    "self_organization": 12,
    "public_institution": 12,
}


def expected_calls(frame, kind, method, *, bootstrap, seed, k=5, **options):
    """The two analysis.rank calls of the service: overall with the bootstrap, and the
    per-group breakdown without."""
    overall = analysis.rank(
        frame, kind, method, bootstrap=bootstrap, seed=seed, min_group_size=k, **options
    ).to_dict()
    groups = analysis.rank(
        frame, kind, method, seed=seed, by_group=True, min_group_size=k, **options
    ).to_dict()
    return overall, groups


def frame_of(consultation, code: str) -> pd.DataFrame:
    question = db.session.scalar(
        select(Question).where(
            Question.code == code, Question.round.has(consultation_id=consultation.id)
        )
    )
    return analysis_input(db.session, question.id).frame


def core(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return frame[["respondent", "group", *KIND_COLUMNS[kind]]].reset_index(drop=True)


def item_fields(items):
    keys = ["score", "rank", "ci_low", "ci_high", "rank_ci_low", "rank_ci_high", "p_top_k"]
    return [(i.get("code", i.get("item")), *(i[k] for k in keys)) for i in items]


@pytest.mark.parametrize(
    ("code", "kind", "method", "scale_max"),
    [
        ("top5_actions", "ranking", "schulze", None),
        ("top5_actions", "ranking", "plackett-luce", None),
        ("action_priority", "rating", "top-box", 5.0),
        ("challenge_severity", "rating", "mean", 5.0),
    ],
)
def test_values_are_analysis_rank_on_the_same_frame(staff, code, kind, method, scale_max):
    frame = frame_of(staff.a, code)
    assert frame.respondent.nunique() == 123
    expected, by_group = expected_calls(
        core(frame, kind), kind, method, scale_max=scale_max, bootstrap=200, seed=7
    )
    got = pr.question_results(
        db.session, staff.a, code, method=method, bootstrap=200, seed=7, language="en"
    )
    assert got.analysis == expected
    assert got.analysis_groups == by_group
    assert expected["groups"] is None
    assert item_fields(got.items) == item_fields(expected["items"])
    assert got.n_respondents == got.n_respondents_total == 123
    assert got.agreement == expected["agreement"]
    assert got.method["name"] == method
    assert got.bootstrap == 200
    assert got.seed == 7
    assert got.top_k == 3
    shown = {g["code"]: g for g in got.groups}
    for group, entry in by_group["groups"].items():
        assert shown[group]["n"] == entry["n"]
        assert shown[group]["agreement"] == entry["agreement"]
        assert shown[group]["ranks"] == {r["item"]: r["rank"] for r in entry["items"]}
    differences = {d["code"]: d for d in got.group_differences}
    for entry in expected["group_differences"]:
        d = differences[entry["item"]]
        assert (d["q_value"], d["consensus"], d["polarising"]) == (
            entry["q_value"],
            entry["consensus"],
            entry["polarising"],
        )
        assert d["differs"] == (entry["q_value"] < 0.05)
    json.dumps(got.as_dict(), allow_nan=False)  # plain, JSON-ready data


def test_labels_objectives_and_explanations_in_the_requested_language(staff):
    got = pr.question_results(db.session, staff.a, "top5_actions", bootstrap=0, language="ar")
    items = {i.code: i for i in db.session.scalars(select(Item))}
    for row in got.items:
        item = items[row["code"]]
        assert row["label"] == item.label["ar"]
        assert row["objective"] == item.objective.code
        assert row["objective_title"] == item.objective.title["ar"]
    assert got.question["text"] == staff.a.rounds[0].questions[4].text["ar"]
    assert got.language == "ar"
    english = pr.question_results(db.session, staff.a, "top5_actions", bootstrap=0, language="en")
    assert english.method["explanation"].startswith("Points by position")
    assert got.method["summary"] == analysis.get_method("ranking", "borda").summary
    assert {g["name"] for g in english.groups} >= {"National NGO", "Academic"}
    assert len(got.items) == 16
    assert got.unanswered_items == []
    assert got.items[0]["ci_low"] is None
    assert got.items[0]["p_top_k"] is None


def test_filters_keep_only_the_chosen_respondents(staff):
    frame = frame_of(staff.a, "top5_actions")
    cases = [
        (
            pr.Filters(groups=("national_ngo", "academic")),
            frame.group.isin(["national_ngo", "academic"]),
        ),
        (pr.Filters(languages=("ar", "en")), frame.language.isin(["ar", "en"])),
        (
            pr.Filters(groups=("district_municipality",), languages=("tr",)),
            (frame.group == "district_municipality") & (frame.language == "tr"),
        ),
    ]
    totals = set()
    for filters, keep in cases:
        kept = frame[keep]
        expected, by_group = expected_calls(
            core(kept, "ranking"), "ranking", "borda", bootstrap=50, seed=2
        )
        got = pr.question_results(
            db.session, staff.a, "top5_actions", filters=filters, bootstrap=50, seed=2
        )
        assert got.analysis == expected
        assert got.analysis_groups == by_group
        assert got.n_respondents == kept.respondent.nunique() < 123
        assert got.n_respondents_total == 123
        assert got.filters == filters.as_dict()
        totals.add(got.n_respondents)
    assert len(totals) == 3  # each filter keeps a different set
    two = pr.question_results(db.session, staff.a, "top5_actions", filters=cases[0][0], bootstrap=0)
    assert {g["code"] for g in two.groups} == {"national_ngo", "academic"}
    assert two.n_respondents == GROUP_SIZES["national_ngo"] + GROUP_SIZES["academic"]


def test_district_filter_and_counts(staff):
    frame = frame_of(staff.a, "challenge_severity")
    per_district = frame.drop_duplicates("respondent").district.value_counts()
    big = per_district[per_district >= 5].index[:2].tolist()
    got = pr.question_results(
        db.session, staff.a, "challenge_severity", filters=pr.Filters(districts=tuple(big))
    )
    assert got.n_respondents == int(per_district[big].sum())
    assert {c["code"] for c in got.counts["by_district"]} == set(big)
    assert sum(c["n"] for c in got.counts["by_group"] if c["n"]) <= got.n_respondents


def test_equal_voice_per_group_changes_the_weights(staff):
    frame = core(frame_of(staff.a, "action_priority"), "rating")
    plain = pr.question_results(db.session, staff.a, "action_priority", bootstrap=0)
    equal = pr.question_results(
        db.session, staff.a, "action_priority", weighting="equal-groups", bootstrap=0
    )
    expected, by_group = expected_calls(
        frame, "rating", "mean", weights="equal-groups", scale_max=5.0, bootstrap=0, seed=1
    )
    assert equal.analysis == expected
    assert equal.analysis_groups == by_group
    assert equal.weighting == "equal-groups"
    assert equal.analysis["weights"] == "equal-groups"
    assert plain.n_effective == 123.0
    assert equal.n_effective < 110  # seven very unequal groups
    assert [i["score"] for i in plain.items] != [i["score"] for i in equal.items]
    # the groups' own rankings do not depend on the weighting (every member counts once)
    assert [g["ranks"] for g in plain.groups] == [g["ranks"] for g in equal.groups]


def test_small_groups_are_hidden_and_reported(staff):
    staff.a.min_group_size = 13  # hides the donors (6) and the two groups of 12
    db.session.flush()
    got = pr.question_results(
        db.session, staff.a, "top5_actions", bootstrap=20, seed=1, language="en"
    )
    hidden = {"donor", "self_organization", "public_institution"}
    assert got.min_group_size == 13
    assert got.analysis_groups["groups"]["donor"] == {
        "n": None,
        "suppressed": True,
        "items": None,
        "agreement": None,
    }
    for g in got.groups:
        small = g["code"] in hidden
        assert g["suppressed"] is small
        assert (g["n"] is None, g["ranks"] == {}, g["agreement"] is None) == (small,) * 3
    assert got.suppressed_groups == [  # in the consultation's order of groups
        "International donor institution",
        "Self-organization (refugee- or migrant-led)",
        "Public institution",
    ]
    assert {g["code"] for g in got.shown_groups} == set(GROUP_SIZES) - hidden
    counts = {c["code"]: c for c in got.counts["by_group"]}
    assert all(counts[c]["n"] is None and counts[c]["suppressed"] for c in hidden)
    assert counts["national_ngo"]["n"] == 28
    # districts below k are hidden too
    frame = frame_of(staff.a, "top5_actions")
    per_district = frame.drop_duplicates("respondent").district.value_counts()
    small_districts = set(per_district[per_district < 13].index)
    assert small_districts
    for c in got.counts["by_district"]:
        assert c["suppressed"] is (c["code"] in small_districts)
        assert (c["n"] is None) is (c["code"] in small_districts)
    assert len(got.suppressed_districts) == len(small_districts)
    # the overall ranking still counts everybody
    assert got.n_respondents == 123
    # a filter that leaves a small group is itself withheld
    with pytest.raises(pr.TooFewRespondents) as refused:
        pr.question_results(
            db.session, staff.a, "top5_actions", filters=pr.Filters(groups=("donor",))
        )
    assert refused.value.k == 13


def test_default_k_is_five(staff):
    got = pr.question_results(
        db.session, staff.a, "top5_actions", filters=pr.Filters(groups=("donor",)), bootstrap=0
    )
    assert got.min_group_size == 5
    assert got.n_respondents == 6
    people = frame_of(staff.a, "top5_actions").drop_duplicates("respondent")
    sizes = people.groupby(["group", "language"]).size()
    group, language = next(key for key, n in sizes.items() if 1 <= n < 5)
    with pytest.raises(pr.TooFewRespondents) as refused:
        pr.question_results(
            db.session,
            staff.a,
            "top5_actions",
            filters=pr.Filters(groups=(group,), languages=(language,)),
        )
    assert refused.value.k == 5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"question_code": "comments"}, "question"),  # a text question
        ({"question_code": "nope"}, "question"),
        ({"method": "mean"}, "method"),  # a rating method for a ranking question
        ({"weighting": "post-stratified"}, "weighting"),
        ({"bootstrap": pr.MAX_BOOTSTRAP + 1}, "bootstrap"),
        ({"bootstrap": -1}, "bootstrap"),
        ({"seed": -3}, "seed"),
        ({"top_k": 0}, "top_k"),
        ({"filters": pr.Filters(sources=("telepathy",))}, "source"),
        ({"round_number": 2}, "question"),
    ],
)
def test_bad_parameters_are_refused_by_name(staff, kwargs, field):
    arguments = {"question_code": "top5_actions", **kwargs}
    code = arguments.pop("question_code")
    with pytest.raises(pr.InvalidParameter) as refused:
        pr.question_results(db.session, staff.a, code, **arguments)
    assert refused.value.field == field


def test_no_answers(staff):
    with pytest.raises(pr.NoAnswers):
        pr.question_results(db.session, staff.b, "ranking")
    with pytest.raises(pr.NoAnswers):
        pr.question_results(
            db.session, staff.a, "top5_actions", filters=pr.Filters(sources=("workshop",))
        )


def test_every_priority_question_of_the_question_types_demo(answered_question_types):
    consultation = answered_question_types
    choices = pr.priority_questions(db.session, consultation, language="en")
    assert [(q.code, q.kind) for q in choices] == [
        ("rating", "rating"),
        ("matrix", "rating"),
        ("ranking", "ranking"),
        ("pairwise", "pairwise"),
        ("best_worst", "bestworst"),
        ("ahp", "ahp"),
        ("points", "points"),
    ]
    for q in choices:
        assert [m.name for m in q.methods] == analysis.methods_for(q.kind)
        for method in q.methods:
            got = pr.question_results(
                db.session,
                consultation,
                q.code,
                method=method.name,
                bootstrap=20,
                seed=1,
                language="en",
            )
            frame = core(frame_of(consultation, q.code), q.kind)
            scale_max = 5.0 if q.kind == "rating" else None
            expected, by_group = expected_calls(
                frame, q.kind, method.name, scale_max=scale_max, bootstrap=20, seed=1
            )
            assert got.analysis == expected, (q.code, method.name)
            assert got.analysis_groups == by_group, (q.code, method.name)
            assert got.n_respondents == 6
            if q.kind in ("ranking", "pairwise", "bestworst", "ahp", "points"):
                assert got.items[0]["code"] == "district_data", (q.code, method.name)
        assert all(g["code"] == "unknown" for g in got.groups)
        assert got.groups[0]["name"] == "No group stated"
    ahp = pr.question_results(db.session, consultation, "ahp", bootstrap=0)
    assert ahp.consistency is not None
    assert ahp.agreement is None


def test_action_plan_groups_the_ranking_by_objective(staff):
    plan = pr.action_plan(
        db.session, staff.a, actor=staff.analyst, language="en", top_n=2, bootstrap=100, seed=4
    )
    ranking = pr.question_results(
        db.session, staff.a, "action_priority", bootstrap=100, seed=4, language="en"
    )
    assert plan.priorities["question"]["code"] == "action_priority"  # asks about all 16 actions
    assert plan.priorities["method"]["name"] == "mean"
    assert [o["code"] for o in plan.objectives] == [o.code for o in staff.a.objectives]
    for objective in plan.objectives:
        under = [i for i in ranking.items if i["objective"] == objective["code"]]
        assert objective["n_actions"] == 4
        assert objective["actions"] == under[:2]
        assert objective["title"] == next(
            o.title["en"] for o in staff.a.objectives if o.code == objective["code"]
        )
        for action in objective["actions"]:
            assert action["ci_low"] <= action["score"] <= action["ci_high"]
            assert action["p_top_k"] is not None
    severity = pr.question_results(
        db.session, staff.a, "challenge_severity", bootstrap=100, seed=4, language="en"
    )
    assert plan.challenges["question"]["code"] == "challenge_severity"
    assert plan.challenges["items"] == severity.items
    assert len(plan.challenges["items"]) == 6
    participation = plan.participation
    assert participation["total"]["submitted"] == 123
    by_group = {g["code"]: g for g in participation["by_group"]}
    assert by_group["national_ngo"]["submitted"] == 28
    assert not any(g["suppressed"] for g in participation["by_group"])
    json.dumps(plan.as_dict(), allow_nan=False)


def test_action_plan_hides_small_groups_and_follows_choices(staff):
    staff.a.min_group_size = 7
    db.session.flush()
    plan = pr.action_plan(
        db.session,
        staff.a,
        actor=staff.facilitator,
        language="tr",
        question_code="top5_actions",
        method="schulze",
        weighting="equal-groups",
        bootstrap=0,
    )
    assert plan.priorities["method"]["name"] == "schulze"
    assert plan.priorities["weighting"] == "equal-groups"
    assert plan.min_group_size == 7
    donor = next(g for g in plan.participation["by_group"] if g["code"] == "donor")
    assert donor["suppressed"]
    assert donor["submitted"] is None
    assert donor["invited"] is None
    assert plan.participation["suppressed_groups"] == [donor["name"]]
    assert plan.participation["total"]["submitted"] == 123
    assert all(len(o["actions"]) == 3 for o in plan.objectives)


def test_action_plan_needs_the_right_to_analyse(staff):
    for outsider in (staff.other_facilitator, staff.outside_analyst, None):
        with pytest.raises(Forbidden):
            pr.action_plan(db.session, staff.a, actor=outsider, language="en", bootstrap=0)


def test_action_plan_without_answers(staff):
    plan = pr.action_plan(db.session, staff.b, actor=staff.admin, language="en", bootstrap=0)
    # the question-types demo has actions under objectives, and a challenge matrix
    assert plan.priorities is not None
    assert plan.priorities["method"] is None
    assert all(o["actions"] == [] for o in plan.objectives)
    assert plan.challenges is not None
    assert plan.challenges["items"] == []
    assert plan.participation["total"]["submitted"] == 0


def test_default_bootstrap_depends_on_the_method(staff):
    assert pr.default_bootstrap("ranking", "borda") == pr.DEFAULT_BOOTSTRAP == 1000
    assert pr.default_bootstrap("ranking", "plackett-luce") == 200
    assert pr.default_bootstrap("bestworst", "mnl") == 100
    assert pr.max_bootstrap("ranking", "schulze") == pr.MAX_BOOTSTRAP
    assert pr.max_bootstrap("bestworst", "mnl") == 500
    got = pr.question_results(db.session, staff.a, "challenge_severity")
    assert got.bootstrap == 1000
    assert got.seed == pr.DEFAULT_SEED
    with pytest.raises(pr.InvalidParameter) as refused:
        pr.question_results(
            db.session, staff.a, "top5_actions", method="plackett-luce", bootstrap=1001
        )
    assert refused.value.field == "bootstrap"


def test_the_answers_are_kept_until_the_responses_change(answered_question_types):
    consultation = answered_question_types
    question = db.session.scalar(
        select(Question).where(
            Question.code == "ranking", Question.round.has(consultation_id=consultation.id)
        )
    )
    first = pr._answers_frame(db.session, question)
    assert pr._answers_frame(db.session, question) is first  # not read again
    assert pr.question_results(db.session, consultation, "ranking").n_respondents == 6
    response = submit_open(consultation, PREFERENCES[1], "ar")
    db.session.flush()
    assert pr._answers_frame(db.session, question) is not first
    assert pr.question_results(db.session, consultation, "ranking").n_respondents == 7
    p.withdraw_response(db.session, "question-types", response.receipt_code, NOW)
    db.session.flush()
    got = pr.question_results(db.session, consultation, "ranking", language="en")
    assert got.n_respondents == 6
    assert str(response.id) not in set(pr._answers_frame(db.session, question).respondent)
