"""The questionnaire builder edits a prepared Delphi round N+1 (a draft) while round N is open
or already closed; the draft round's feedback list follows deleted and renamed questions."""

from __future__ import annotations

import pytest
from flask import Flask

from consult.builder import forms
from consult.extensions import db
from consult.models import ConsultationState, Question, RoundState
from consult.services import delphi
from consult.services import questionnaire as builder
from consult.services.errors import InvalidState, NotFound
from tests.delphi.conftest import Board, StaffUsers
from tests.facilitator.conftest import fetch, sign_in_as

pytestmark = pytest.mark.db

BASE = "/manage/consultations/advisory-board"
ROUND_1_TEXTS = {
    "priority": "How important is each action?",
    "overall": "How urgent is the plan as a whole?",
    "comments": "Anything else?",
}


def prepare_round_two(board: Board, staff: StaffUsers) -> None:
    delphi.create_next_round(
        db.session, staff.facilitator, board.consultation(), ["priority", "overall"]
    )
    # the board's fixture gives scale points the codes "1".."5", which the builder's code rule
    # refuses; round 2's copies get codes the builder accepts (round 1 keeps its own)
    for q in board.round(2).questions:
        for o in q.options:
            if o.code.isdigit():
                o.code = f"p{o.code}"
    db.session.commit()


def question(board: Board, number: int, code: str) -> Question:
    return next(q for q in board.round(number).questions if q.code == code)


def assert_round_one_unchanged(board: Board) -> None:
    first = board.round(1)
    assert {q.code: q.text["en"] for q in first.questions} == ROUND_1_TEXTS
    assert {q.code: len(q.options) for q in first.questions} == {
        "priority": 6,
        "overall": 5,
        "comments": 0,
    }


def test_service_edits_the_draft_round_and_keeps_feedback_in_step(
    answered: Board, staff: StaffUsers
) -> None:
    prepare_round_two(answered, staff)
    actor = staff.facilitator
    view = builder.overview(db.session, actor, answered.consultation())
    assert (view.round_number, view.round_state, view.editable) == (2, "draft", True)
    assert view.question_codes == ("priority", "overall", "comments")
    assert all(q.answers == 0 for s in view.sections for q in s.questions)

    # a feedback question's code links it to round 1's answers: it is reworded, not renamed
    overall = question(answered, 2, "overall")
    data = builder.question_input(db.session, actor, answered.consultation(), overall.id)
    data.text = {**data.text, "en": "How urgent is the plan now?"}
    data.code = "urgency"
    with pytest.raises(InvalidState, match="links this round to the previous one"):
        builder.update_question(db.session, actor, answered.consultation(), overall.id, data)
    db.session.rollback()
    data.code = "overall"
    builder.update_question(db.session, actor, answered.consultation(), overall.id, data)
    db.session.commit()
    assert answered.round(2).feedback == {"questions": ["priority", "overall"]}
    assert question(answered, 2, "overall").text["en"] == "How urgent is the plan now?"

    # delete the matrix of round 2 (round 1's matrix has five answers: no matter)
    priority = question(answered, 2, "priority")
    builder.delete_question(db.session, actor, answered.consultation(), priority.id)
    db.session.commit()
    second = answered.round(2)
    assert sorted(q.code for q in second.questions) == ["comments", "overall"]
    assert second.feedback == {"questions": ["overall"]}
    assert [r.feedback_questions for r in delphi.round_plan(
        db.session, answered.consultation(), "en"
    ).rounds] == [[], ["overall"]]  # fmt: skip

    # a type that cannot show feedback drops the code too
    overall_q = question(answered, 2, "overall")
    data = builder.question_input(db.session, actor, answered.consultation(), overall_q.id)
    data.type, data.options, data.settings = "short_text", [], {}
    builder.update_question(db.session, actor, answered.consultation(), overall_q.id, data)
    db.session.commit()
    assert answered.round(2).feedback == {"questions": []}

    # round 1 (open, answered) cannot be reached through the builder while round 2 is edited
    first_priority = question(answered, 1, "priority")
    with pytest.raises(NotFound):
        builder.delete_question(db.session, actor, answered.consultation(), first_priority.id)
    db.session.rollback()
    assert answered.round(1).state == RoundState.OPEN
    assert_round_one_unchanged(answered)


def test_the_open_round_keeps_its_guards_without_a_draft_round(
    answered: Board, staff: StaffUsers
) -> None:
    actor = staff.facilitator
    view = builder.overview(db.session, actor, answered.consultation())
    assert (view.round_number, view.round_state, view.editable) == (1, "open", True)
    priority = question(answered, 1, "priority")
    with pytest.raises(InvalidState, match="already has answers"):
        builder.delete_question(db.session, actor, answered.consultation(), priority.id)
    db.session.rollback()
    assert_round_one_unchanged(answered)


def close(board: Board, state: ConsultationState) -> None:
    consultation = board.consultation()
    consultation.state = state
    next(r for r in consultation.rounds if r.number == 1).state = RoundState.CLOSED
    db.session.commit()


def test_closed_consultation_with_a_draft_round_is_editable_archived_is_not(
    answered: Board, staff: StaffUsers
) -> None:
    actor = staff.facilitator
    close(answered, ConsultationState.CLOSED)
    # closed without a draft round: nothing to edit
    view = builder.overview(db.session, actor, answered.consultation())
    assert (view.round_number, view.round_state, view.editable) == (1, "closed", False)
    comments = question(answered, 1, "comments")
    data = builder.question_input(db.session, actor, answered.consultation(), comments.id)
    with pytest.raises(InvalidState, match="closed and has no draft round"):
        builder.update_question(db.session, actor, answered.consultation(), comments.id, data)
    db.session.rollback()

    prepare_round_two(answered, staff)
    view = builder.overview(db.session, actor, answered.consultation())
    assert (view.round_number, view.round_state, view.editable) == (2, "draft", True)
    comments = question(answered, 2, "comments")
    data = builder.question_input(db.session, actor, answered.consultation(), comments.id)
    data.text = {**data.text, "en": "Anything to add before round 2?"}
    builder.update_question(db.session, actor, answered.consultation(), comments.id, data)
    db.session.commit()
    assert question(answered, 2, "comments").text["en"] == "Anything to add before round 2?"
    assert_round_one_unchanged(answered)

    answered.consultation().state = ConsultationState.ARCHIVED
    db.session.commit()
    view = builder.overview(db.session, actor, answered.consultation())
    assert (view.round_number, view.editable) == (2, False)
    overall = question(answered, 2, "overall")
    with pytest.raises(InvalidState, match="archived"):
        builder.delete_question(db.session, actor, answered.consultation(), overall.id)
    db.session.rollback()
    assert sorted(q.code for q in answered.round(2).questions) == [
        "comments",
        "overall",
        "priority",
    ]


@pytest.fixture
def as_facilitator(app: Flask, staff: StaffUsers):  # type: ignore[no-untyped-def]
    client = app.test_client()
    sign_in_as(client, staff.facilitator)
    return lambda method, url, **kw: fetch(app, client, method, url, **kw)


def form_of(board: Board, staff: StaffUsers, code: str) -> dict[str, object]:
    """The edit form of round 2's question ``code`` as the browser would send it."""
    q = question(board, 2, code)
    data = builder.question_input(db.session, staff.facilitator, board.consultation(), q.id)
    values = forms.question_data(data, ["tr", "en", "ar"])
    db.session.commit()
    posted: dict[str, object] = {"option_rows": str(len(data.options) + 1)}
    for name, value in values.items():
        if value is True:
            posted[name] = "y"
        elif value not in (False, None):
            posted[name] = value
    return posted


def test_builder_pages_edit_round_two(as_facilitator, answered: Board, staff: StaffUsers) -> None:
    prepare_round_two(answered, staff)
    page = as_facilitator("GET", f"{BASE}/questionnaire?lang=en")
    assert page.status_code == 200
    assert "Round 2" in page.text
    assert "You are editing round 2, which has not opened yet" in page.text
    assert "This consultation is open: a question" not in page.text

    priority = question(answered, 2, "priority")
    posted = form_of(answered, staff, "priority")
    posted["text_en"] = "How important is each action now?"
    saved = as_facilitator(
        "POST", f"{BASE}/questionnaire/questions/{priority.id}/edit?lang=en", data=posted
    )
    assert saved.status_code == 302, saved.text
    assert question(answered, 2, "priority").text["en"] == "How important is each action now?"

    overall = question(answered, 2, "overall")
    confirm = as_facilitator("GET", f"{BASE}/questionnaire/questions/{overall.id}/delete?lang=en")
    assert "Delete the question overall?" in confirm.text
    deleted = as_facilitator("POST", f"{BASE}/questionnaire/questions/{overall.id}/delete")
    assert deleted.status_code == 302
    second = answered.round(2)
    assert sorted(q.code for q in second.questions) == ["comments", "priority"]
    assert second.feedback == {"questions": ["priority"]}
    assert_round_one_unchanged(answered)

    page = as_facilitator("GET", f"{BASE}/questionnaire?lang=en").text
    assert "How important is each action now?" in page
    assert ">overall<" not in page
