"""The Delphi service: creating and opening round N+1, the panel's feedback (numbers checked by
hand), the panelist's own answers and revisions with reasons, anonymity, and the summary."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest
from flask_babel import force_locale
from scipy import stats
from sqlalchemy import select

from consult.extensions import db
from consult.models import (
    Answer,
    AuditEvent,
    ConsultationState,
    Invitation,
    Membership,
    MembershipRole,
    Question,
    Response,
    ResponseState,
    RoundState,
    utcnow,
)
from consult.security import user_datastore
from consult.services import delphi, lifecycle
from consult.services.errors import Conflict, Forbidden, InvalidState
from consult.services.participation import (
    access_by_invitation,
    build_survey,
    save_page,
    stored_reasons,
    stored_values,
)
from consult.services.users import create_user
from tests.delphi.conftest import OVERALL_1, ROUND_1, Board, StaffUsers, answer, form_for

pytestmark = pytest.mark.db


def next_round(board: Board, staff: StaffUsers, codes=("priority", "overall")):
    """Create round 2 with feedback on ``codes`` and open it."""
    consultation = board.consultation()
    delphi.create_next_round(db.session, staff.facilitator, consultation, list(codes))
    delphi.open_next_round(db.session, staff.facilitator, consultation, utcnow())
    db.session.commit()
    return board.round(2)


def feedback_for(board: Board, index: int, language: str = "en"):
    access = access_by_invitation(db.session, board.tokens[index], language, utcnow())
    survey = build_survey(db.session, access.round, language)
    questions = list(survey.pages[0].questions)
    result = delphi.page_feedback(db.session, access, survey, questions)
    db.session.rollback()
    return result


# --- creating and opening round N+1 --------------------------------------------------------------


def test_next_round_copies_the_questionnaire_and_keeps_invitations(answered, staff) -> None:
    consultation = answered.consultation()
    first = answered.round(1)
    new = delphi.create_next_round(db.session, staff.facilitator, consultation, ["priority"])
    db.session.commit()

    second = answered.round(2)
    assert new.id == second.id
    assert second.state == RoundState.DRAFT
    assert second.previous_round_id == first.id
    assert second.feedback == {"questions": ["priority"]}
    assert (second.opens_at, second.closes_at) == (None, None)

    def shape(round_):
        return [
            (
                s.code,
                s.title,
                [
                    (
                        q.code,
                        q.type,
                        q.required,
                        q.text,
                        q.settings,
                        [(o.code, o.value, o.label) for o in q.options],
                        [qi.item_id for qi in q.question_items],
                    )
                    for q in sorted(s.questions, key=lambda q: q.position)
                ],
            )
            for s in round_.sections
        ]

    assert shape(second) == shape(first)
    assert {q.id for q in second.questions}.isdisjoint({q.id for q in first.questions})
    # invitations belong to the consultation: the same six links work in round 2
    assert len(db.session.scalars(select(Invitation)).all()) == 6
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.create")).one()
    assert event.details["number"] == 2
    assert event.details["feedback"] == ["priority"]


def test_next_round_refusals(board, staff) -> None:
    consultation = board.consultation()
    with pytest.raises(Forbidden):
        delphi.create_next_round(db.session, staff.analyst, consultation, [])
    with pytest.raises(Forbidden):
        delphi.create_next_round(db.session, staff.outsider, consultation, [])
    with pytest.raises(delphi.InvalidParameter, match="comments"):
        delphi.create_next_round(db.session, staff.facilitator, consultation, ["comments"])
    with pytest.raises(delphi.InvalidParameter, match="nope"):
        delphi.create_next_round(db.session, staff.facilitator, consultation, ["nope"])

    delphi.create_next_round(db.session, staff.facilitator, consultation, [])
    with pytest.raises(InvalidState, match="round 2 is still a draft"):
        delphi.create_next_round(db.session, staff.facilitator, consultation, [])
    plan = delphi.round_plan(db.session, consultation, "en")
    assert (plan.blocked, plan.draft, plan.source) == ("draft_round", 2, None)

    consultation.state = ConsultationState.ARCHIVED
    with pytest.raises(InvalidState, match="archived"):
        delphi.create_next_round(db.session, staff.facilitator, consultation, [])
    db.session.rollback()


def test_a_draft_consultation_has_no_round_to_follow(board, staff) -> None:
    c = board.consultation()
    c.state = ConsultationState.DRAFT
    c.rounds[0].state = RoundState.DRAFT
    db.session.commit()
    with pytest.raises(InvalidState, match="has not opened yet"):
        delphi.create_next_round(db.session, staff.facilitator, c, [])
    assert delphi.round_plan(db.session, c, "en").blocked == "not_started"


def test_round_plan_offers_rating_and_matrix_questions(answered, staff) -> None:
    plan = delphi.round_plan(db.session, answered.consultation(), "tr")
    assert [(c.code, c.type, c.n_items) for c in plan.choices] == [
        ("priority", "matrix", 3),
        ("overall", "rating", 0),
    ]
    assert plan.choices[0].text == "Her eylem ne kadar önemli?"
    assert (plan.source, plan.next_number, plan.blocked) == (1, 2, None)
    assert [(r.number, r.state, r.responses) for r in plan.rounds] == [(1, "open", 5)]


def test_opening_the_next_round_closes_the_previous_one(answered, staff) -> None:
    consultation = answered.consultation()
    with pytest.raises(InvalidState, match="no new round"):
        delphi.open_next_round(db.session, staff.facilitator, consultation, utcnow())
    delphi.create_next_round(db.session, staff.facilitator, consultation, ["priority"])
    with pytest.raises(Conflict):
        delphi.open_next_round(
            db.session, staff.facilitator, consultation, utcnow(), expected_version=0
        )
    with pytest.raises(Forbidden):
        delphi.open_next_round(db.session, staff.analyst, consultation, utcnow())
    version = consultation.version
    delphi.open_next_round(
        db.session, staff.facilitator, consultation, utcnow(), expected_version=version
    )
    db.session.commit()

    assert answered.round(1).state == RoundState.CLOSED
    assert answered.round(2).state == RoundState.OPEN
    assert answered.consultation().version == version + 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "round.open")).one()
    assert event.details["closed"] == [1]


def test_a_closed_consultation_opens_again_with_the_new_round(answered, staff) -> None:
    consultation = answered.consultation()
    lifecycle.close_consultation(db.session, staff.facilitator, consultation)
    delphi.create_next_round(db.session, staff.facilitator, consultation, ["overall"])
    delphi.open_next_round(db.session, staff.facilitator, consultation, utcnow())
    db.session.commit()
    consultation = answered.consultation()
    assert consultation.state == ConsultationState.OPEN
    assert [r.state for r in sorted(consultation.rounds, key=lambda r: r.number)] == [
        RoundState.CLOSED,
        RoundState.OPEN,
    ]


def test_opening_is_refused_with_the_problems_of_opening(answered, staff) -> None:
    consultation = answered.consultation()
    new = delphi.create_next_round(db.session, staff.facilitator, consultation, [])
    question = next(q for q in new.questions if q.code == "overall")
    question.text = {"en": "Only in English"}
    db.session.flush()
    with pytest.raises(lifecycle.OpeningRefused) as refused:
        delphi.open_next_round(db.session, staff.facilitator, consultation, utcnow())
    assert any("round 2 / question overall" in p for p in refused.value.problems)
    db.session.rollback()


# --- feedback: the numbers, by hand --------------------------------------------------------------


def test_feedback_numbers_equal_a_hand_computation(answered, staff) -> None:
    next_round(answered, staff)
    feedback = feedback_for(answered, 0)
    assert set(feedback) == {"priority", "overall"}
    priority = feedback["priority"]
    assert priority.previous_round == 1
    # board: 4, 5, 4, 2, 3 -> sorted 2 3 4 4 5: Q1 3, median 4, Q3 4 (type 7)
    board = priority.item("board")
    assert (board.n, board.dont_know) == (5, 0)
    assert (board.q1, board.median, board.q3, board.iqr) == (3.0, 4.0, 4.0, 1.0)
    assert [(b.code, b.count, b.percent) for b in board.bars] == [
        ("1", 0, 0),
        ("2", 1, 20),
        ("3", 1, 20),
        ("4", 2, 40),
        ("5", 1, 20),
    ]
    assert [b.label for b in board.bars][4] == "Vital"
    # data: 2, 3, 1, 5, 2 -> 1 2 2 3 5: Q1 2, median 2, Q3 3
    data = priority.item("data")
    assert (data.q1, data.median, data.q3, data.iqr) == (2.0, 2.0, 3.0, 1.0)
    # grants: 5, 5, 4, (don't know), 4 -> 4 4 5 5: Q1 4, median 4.5, Q3 5
    grants = priority.item("grants")
    assert (grants.n, grants.dont_know) == (4, 1)
    assert (grants.q1, grants.median, grants.q3, grants.iqr) == (4.0, 4.5, 5.0, 1.0)
    # overall (a rating without items): 5, 4, 4, 2 -> Q1 = 2 + 0.75 * 2, Q3 = 4 + 0.25 * 1
    (overall,) = feedback["overall"].items
    assert (overall.code, overall.label) == ("overall", "How urgent is the plan as a whole?")
    assert (overall.n, overall.q1, overall.median, overall.q3) == (4, 3.5, 4.0, 4.25)
    assert overall.iqr == pytest.approx(0.75)
    assert overall.reason_field == "q-overall-reason"
    assert board.reason_field == "q-priority-board-reason"
    # the same figures as numpy's default (type 7) quantiles
    q1, q3 = np.quantile([4, 5, 4, 2, 3], [0.25, 0.75])
    assert (board.q1, board.q3) == (q1, q3)


def test_own_previous_answers_are_marked(answered, staff) -> None:
    next_round(answered, staff)
    mine = feedback_for(answered, 0)["priority"]
    assert mine.own == "shown"
    assert [(i.code, i.own_code, i.own_label) for i in mine.items] == [
        ("board", "4", "Important"),
        ("data", "2", "Slightly important"),
        ("grants", "5", "Vital"),
    ]
    assert [b.code for b in mine.item("board").bars if b.own] == ["4"]
    dont_know = feedback_for(answered, 3)["priority"].item("grants")
    assert (dont_know.own_code, dont_know.own_label) == ("dont_know", "Don't know")
    assert not any(b.own for b in dont_know.bars)
    newcomer = feedback_for(answered, 5)
    assert newcomer["priority"].own == "not_answered"
    assert newcomer["overall"].own == "not_answered"
    assert newcomer["priority"].item("board").own_code is None
    # in Arabic, the labels of the scale are Arabic
    arabic = feedback_for(answered, 0, "ar")["priority"].item("board")
    assert arabic.own_label == "مهم"
    assert arabic.label == "إنشاء مجلس استشاري دائم"


def test_panelists_see_the_same_aggregates_and_nobody_elses_answers(answered, staff) -> None:
    next_round(answered, staff)

    def without_own(feedback):
        data = asdict(feedback)
        data.pop("own")
        for item in data["items"]:
            item.pop("own_code")
            item.pop("own_label")
            for bar in item["bars"]:
                bar.pop("own")
        return data

    views = [feedback_for(answered, i)["priority"] for i in range(6)]
    assert all(without_own(v) == without_own(views[0]) for v in views)
    # only aggregates: counts per point, quartiles; no respondent, invitation or response
    item_keys = set(asdict(views[0].items[0]))
    assert item_keys == {
        "code",
        "label",
        "n",
        "dont_know",
        "median",
        "q1",
        "q3",
        "iqr",
        "bars",
        "own_code",
        "own_label",
        "reason_field",
    }
    assert sum(b.count for b in views[0].item("board").bars) == 5


def test_questions_without_feedback_show_none(answered, staff) -> None:
    next_round(answered, staff, codes=("priority",))
    assert set(feedback_for(answered, 0)) == {"priority"}


# --- the panelist's round 2: carried forward, revised with reasons -------------------------------


def round_two_response(board: Board, index: int) -> Response:
    return db.session.scalars(
        select(Response).where(
            Response.round_id == board.round(2).id,
            Response.invitation_id == board.invitation(index).id,
        )
    ).one()


def test_round_two_starts_with_the_panelists_own_answers(answered, staff) -> None:
    next_round(answered, staff)
    access = access_by_invitation(db.session, answered.tokens[0], "en", utcnow())
    survey = build_survey(db.session, access.round, "en")
    assert stored_values(db.session, survey, access.response) == {
        "priority": ROUND_1[0],
        "overall": "5",
    }
    db.session.commit()
    # p3 answered "don't know" for grants and skipped the rating
    access = access_by_invitation(db.session, answered.tokens[3], "en", utcnow())
    assert stored_values(db.session, survey, access.response) == {"priority": ROUND_1[3]}
    # nobody else's answers are copied: p5 sent nothing in round 1
    access = access_by_invitation(db.session, answered.tokens[5], "en", utcnow())
    assert stored_values(db.session, survey, access.response) == {}
    db.session.commit()


def test_revisions_and_reasons_are_stored(answered, staff) -> None:
    next_round(answered, staff)
    answer(
        answered,
        0,
        {"board": "4", "data": "3", "grants": "5"},
        "5",
        {"data": "The data gap is larger than I thought.", "board": "Still the first step."},
    )
    response = round_two_response(answered, 0)
    assert response.state == ResponseState.SUBMITTED
    rows = db.session.execute(
        select(Question.code, Answer.item_id, Answer.number, Answer.reason)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id == response.id)
        .order_by(Answer.id)
    ).all()
    items = {i.id: i.code for i in answered.consultation().items}
    assert [(code, items.get(item), number, reason) for code, item, number, reason in rows] == [
        ("priority", "board", 4.0, "Still the first step."),
        ("priority", "data", 3.0, "The data gap is larger than I thought."),
        ("priority", "grants", 5.0, None),
        ("overall", None, 5.0, None),
    ]
    # round 1 is untouched
    first = db.session.scalars(
        select(Answer.number)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == answered.round(1).id)
        .where(Response.invitation_id == answered.invitation(0).id)
        .order_by(Answer.id)
    ).all()
    assert first == [4.0, 2.0, 5.0, 5.0]


def test_a_reason_for_the_rating_and_its_refusals(answered, staff) -> None:
    next_round(answered, staff)
    now = utcnow()
    access = access_by_invitation(db.session, answered.tokens[1], "en", now)
    survey = build_survey(db.session, access.round, "en")
    page = survey.pages[0]

    form = form_for(
        {"board": "5", "data": "3"},  # grants cleared: the row has no answer now
        "3",
        {"overall": "  Slower than planned.  ", "grants": "why not", "board": "x" * 2001},
    )
    with force_locale("en"):
        result = save_page(db.session, access, survey, page, form, now, enforce_required=False)
    assert [(e.field, e.message) for e in result.errors] == [
        (
            "q-priority-board-reason",
            "Keep your reason for “Set up a standing advisory board” to 2,000 characters.",
        ),
        (
            "q-priority-grants-reason",
            "Choose an answer for “Small grants for self-organizations”, or leave its reason "
            "empty.",
        ),
    ]
    # what was typed comes back; the valid reason is stored
    assert result.raw["q-priority-grants-reason"] == ["why not"]
    assert stored_reasons(db.session, survey, access.response) == {
        "q-overall-reason": "Slower than planned."
    }
    # a question without feedback takes no reason
    db.session.rollback()


def test_reasons_are_optional(answered, staff) -> None:
    next_round(answered, staff)
    answer(answered, 2, {"board": "4", "data": "2", "grants": "4"}, "4")
    reasons = db.session.scalars(
        select(Answer.reason).where(Answer.response_id == round_two_response(answered, 2).id)
    ).all()
    assert reasons == [None, None, None, None]


# --- anonymity -----------------------------------------------------------------------------------


@pytest.fixture
def anonymous_answered(anonymous_board: Board, app) -> Board:
    for i, values in enumerate(ROUND_1):
        answer(anonymous_board, i, values, None)
    return anonymous_board


def test_anonymous_rounds_show_aggregates_but_no_own_answer(anonymous_answered) -> None:
    facilitator = create_user(
        db.session, user_datastore, "anon-fac@example.org", "facilitator", "correct horse battery"
    )
    consultation = anonymous_answered.consultation()
    # submitted anonymous responses keep no invitation
    assert all(r.invitation_id is None for r in db.session.scalars(select(Response)))
    db.session.add(
        Membership(user=facilitator, consultation=consultation, role=MembershipRole.FACILITATOR)
    )
    delphi.create_next_round(db.session, facilitator, consultation, ["priority"])
    delphi.open_next_round(db.session, facilitator, consultation, utcnow())
    db.session.commit()

    feedback = feedback_for(anonymous_answered, 0)["priority"]
    assert feedback.own == "anonymous"
    assert all(i.own_code is None for i in feedback.items)
    assert feedback.item("board").median == 4.0
    # nothing is carried forward: the round-1 response cannot be found
    access = access_by_invitation(db.session, anonymous_answered.tokens[0], "en", utcnow())
    survey = build_survey(db.session, access.round, "en")
    assert stored_values(db.session, survey, access.response) == {}
    assert delphi.own_previous_answers(db.session, access) is None
    db.session.rollback()

    # the summary cannot pair answers across rounds
    for i in range(3):
        answer(anonymous_answered, i, {"board": "4", "data": "2", "grants": "4"})
    summary = delphi.delphi_summary(db.session, anonymous_answered.consultation(), language="en")
    assert summary.paired is False
    board = summary.questions[0].items[0]
    assert board.transitions[0].n_paired == 0
    assert board.transitions[0].share_changed is None
    assert board.stable is None


# --- the summary ---------------------------------------------------------------------------------

ROUND_2 = [
    {"board": "4", "data": "3", "grants": "5"},
    {"board": "4", "data": "3", "grants": "5"},
    {"board": "4", "data": "2", "grants": "4"},
    {"board": "4", "data": "3", "grants": "4"},
    {"board": "4", "data": "2", "grants": "4"},
    {"board": "4", "data": "2", "grants": "5"},
]


@pytest.fixture
def two_rounds(answered, staff) -> Board:
    next_round(answered, staff)
    for i, values in enumerate(ROUND_2):
        # p0..p4 keep their rating (p3 still gives none); p5 (new) rates it 4
        overall = "4" if i == 5 else OVERALL_1[i]
        answer(answered, i, values, overall, {"board": f"reason {i}"})
    return answered


def test_summary_consensus_stability_and_recommendation(two_rounds) -> None:
    summary = delphi.delphi_summary(db.session, two_rounds.consultation(), language="en")
    assert summary.is_delphi
    assert summary.paired
    assert summary.based_on_round == 2
    assert [(r.number, r.state, r.responses) for r in summary.rounds] == [
        (1, "closed", 5),
        (2, "open", 6),
    ]
    priority, overall = summary.questions
    assert priority.scale == {
        "points": [1.0, 2.0, 3.0, 4.0, 5.0],
        "agree_min": 4.0,
        "disagree_max": 2.0,
    }
    board, data, grants = priority.items

    # board, round 1: 2 3 4 4 5 -> IQR 1, 60 % agree: no consensus; round 2: all 4
    r1, r2 = board.rounds
    assert (r1.n, r1.median, r1.iqr, r1.share_agree, r1.share_disagree) == (5, 4, 1, 0.6, 0.2)
    assert not r1.consensus
    assert (r2.n, r2.median, r2.iqr, r2.share_agree, r2.consensus) == (6, 4, 0, 1, True)
    assert r2.direction == "agree"
    assert board.first_consensus_round == 2
    # stability: p0..p4 paired; 4 5 4 2 3 -> 4 4 4 4 4
    (step,) = board.transitions
    d = np.array([4, 4, 4, 4, 4]) - np.array([4, 5, 4, 2, 3])
    assert (step.from_round, step.to_round, step.n_paired) == (1, 2, 5)
    assert step.share_changed == pytest.approx(0.6)
    assert step.wilcoxon_p == pytest.approx(stats.wilcoxon(d, zero_method="wilcox").pvalue)
    assert step.stable is False
    assert (board.consensus, board.stable, board.settled) == (True, False, True)
    assert board.reasons == [f"reason {i}" for i in range(6)]

    # data: 3 3 2 3 2 2 -> median 2.5, 50 % disagree: no consensus, 60 % changed: continue
    last = data.rounds[-1]
    assert (last.median, last.q1, last.q3, last.share_disagree) == (2.5, 2.0, 3.0, 0.5)
    assert not data.settled
    assert data.first_consensus_round is None

    # grants: consensus from round 1 (4 4 5 5; "don't know" left out), nobody changed
    assert grants.first_consensus_round == 1
    assert grants.rounds[0].dont_know == 1
    assert grants.transitions[0].n_paired == 4
    assert grants.transitions[0].share_changed == 0.0
    assert grants.stable is True

    # overall rating: 5 4 4 2 -> 75 % agree, IQR 0.75: consensus in round 1
    (urgent,) = overall.items
    assert urgent.first_consensus_round == 1
    assert urgent.rounds[1].n == 5

    assert summary.consensus_by_round == [
        {
            "round": 1,
            "items": [
                {
                    "question": "priority",
                    "item": "grants",
                    "label": "Small grants for self-organizations",
                    "direction": "agree",
                },
                {
                    "question": "overall",
                    "item": "overall",
                    "label": "How urgent is the plan as a whole?",
                    "direction": "agree",
                },
            ],
        },
        {
            "round": 2,
            "items": [
                {
                    "question": "priority",
                    "item": "board",
                    "label": "Set up a standing advisory board",
                    "direction": "agree",
                }
            ],
        },
    ]
    assert summary.recommendation == {
        "decision": "continue",
        "n_items": 4,
        "n_consensus": 3,
        "n_stable": 2,
        "n_settled": 3,
        "unsettled": [
            {
                "question": "priority",
                "item": "data",
                "label": "Publish an annual migration data report",
            }
        ],
    }
    # JSON-ready for the PDF report
    payload = summary.as_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["thresholds"] == {
        "iqr_max": 1.0,
        "agree_share": 0.75,
        "stable_share": 0.15,
        "significance": 0.05,
        "agree_points": 2,
    }
    assert [s["key"] for s in payload["sources"]] == [
        "von-der-gracht-2012",
        "diamond-2014",
        "scheibe-1975",
        "dajani-1979",
    ]


def test_summary_thresholds_are_configurable(two_rounds) -> None:
    # at 50 % the panel agrees "data" does not matter (bottom two points): every item settled
    summary = delphi.delphi_summary(
        db.session, two_rounds.consultation(), language="en", agree_share=0.5
    )
    data = summary.questions[0].items[1]
    assert data.rounds[-1].consensus
    assert data.direction == "disagree"
    assert summary.recommendation["decision"] == "stop"
    # a stricter IQR: board (IQR 0 in round 2) keeps consensus, grants (IQR 1) loses it
    strict = delphi.delphi_summary(
        db.session, two_rounds.consultation(), language="en", iqr_max=0.5
    )
    board, _data, grants = strict.questions[0].items
    assert board.consensus
    assert not grants.consensus
    assert grants.settled  # still stable


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"iqr_max": -1}, "interquartile"),
        ({"agree_share": 0}, "share agreeing"),
        ({"agree_share": 1.5}, "share agreeing"),
        ({"agree_points": 0}, "scale points"),
        ({"stable_share": 2}, "changing"),
        ({"significance": 1}, "significance"),
    ],
)
def test_summary_refuses_bad_thresholds(board, kwargs, message) -> None:
    with pytest.raises(delphi.InvalidParameter, match=message):
        delphi.delphi_summary(db.session, board.consultation(), language="en", **kwargs)


def test_summary_before_any_answer(board) -> None:
    summary = delphi.delphi_summary(db.session, board.consultation(), language="tr")
    assert summary.is_delphi is False
    assert summary.based_on_round is None
    assert summary.recommendation["decision"] == "no_data"
    assert [q.code for q in summary.questions] == ["priority", "overall"]
    assert summary.questions[0].items[0].label == "Danışma kurulu kurmak"
    assert summary.questions[0].items[0].rounds == []


def test_a_single_round_stops_only_with_consensus_everywhere(answered) -> None:
    summary = delphi.delphi_summary(db.session, answered.consultation(), language="en")
    assert summary.based_on_round == 1
    assert summary.recommendation["decision"] == "continue"
    assert {u["item"] for u in summary.recommendation["unsettled"]} == {"board", "data"}
    assert all(not i.transitions for q in summary.questions for i in q.items)


def test_a_third_round_follows_the_second(two_rounds, staff) -> None:
    consultation = two_rounds.consultation()
    third = delphi.create_next_round(db.session, staff.facilitator, consultation, ["priority"])
    assert third.previous_round_id == two_rounds.round(2).id
    delphi.open_next_round(db.session, staff.facilitator, consultation, utcnow())
    db.session.commit()
    assert [r.state for r in sorted(two_rounds.consultation().rounds, key=lambda r: r.number)] == [
        RoundState.CLOSED,
        RoundState.CLOSED,
        RoundState.OPEN,
    ]
    # round 3 shows round 2's results (board: six 4s) and starts from the round-2 answers
    feedback = feedback_for(two_rounds, 0)["priority"]
    assert feedback.previous_round == 2
    board = feedback.item("board")
    assert (board.n, board.median, board.iqr) == (6, 4.0, 0.0)
    assert [(i.code, i.own_code) for i in feedback.items] == [
        ("board", "4"),
        ("data", "3"),
        ("grants", "5"),
    ]
    for i in range(6):
        answer(two_rounds, i, ROUND_2[i])
    summary = delphi.delphi_summary(db.session, two_rounds.consultation(), language="en")
    steps = summary.questions[0].items[0].transitions
    assert [(t.from_round, t.to_round, t.n_paired, t.share_changed) for t in steps] == [
        (1, 2, 5, 0.6),
        (2, 3, 6, 0.0),
    ]
    # nobody moved between rounds 2 and 3: every item is stable or in consensus
    assert summary.based_on_round == 3
    assert summary.recommendation["decision"] == "stop"
