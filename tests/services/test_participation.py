"""The participant's side of the service: start, save pages, conditions, submit, withdraw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import InvalidRequestError
from werkzeug.datastructures import MultiDict

from consult.models import (
    AnonymityMode,
    Answer,
    ConsultationState,
    Invitation,
    InvitationStatus,
    Participation,
    Question,
    Response,
    ResponseState,
    StakeholderGroup,
)
from consult.services import participation as p
from consult.services.errors import Conflict, InvalidState, NotFound
from tests.services.helpers import NOW, complete, invite, page, page_form

pytestmark = pytest.mark.db

PREFS = ["district_data", "interpretation", "advisory_board", "anti_discrimination"]


def start(session, consultation, language="en", now=NOW):
    access = p.start_open_response(session, consultation, language, now)
    return access, p.build_survey(session, access.round, language)


def answers_of(session, response, code=None):
    query = select(Answer).where(Answer.response_id == response.id)
    if code is not None:
        query = query.join(Question, Question.id == Answer.question_id).where(Question.code == code)
    return session.scalars(query).all()


def save(session, access, survey, code, form, enforce=True, now=NOW):
    return p.save_page(
        session, access, survey, page(survey, code), MultiDict(form), now, enforce_required=enforce
    )


# --- reaching a response -------------------------------------------------------------------------


def test_an_open_link_starts_a_response_that_its_resume_token_finds(session, question_types):
    consultation = p.open_consultation_for_link(session, "question-types", NOW)
    access, survey = start(session, consultation, "ar")
    response = access.response
    assert response.state == ResponseState.IN_PROGRESS
    assert response.invitation_id is None
    assert response.language == "ar"
    assert len(response.receipt_code) == 14
    assert access.resume_token
    assert response.resume_token_hash != access.resume_token
    assert p.access_by_resume_token(session, access.resume_token).response is response
    assert [pg.code for pg in survey.pages] == [
        "choices",
        "scales",
        "comparisons",
        "weights",
        "open",
    ]
    with pytest.raises(NotFound):
        p.access_by_resume_token(session, "not-a-token")
    with pytest.raises(NotFound):
        p.access_by_resume_token(session, "")


def test_what_an_open_link_refuses(session, question_types):
    with pytest.raises(NotFound):
        p.open_consultation_for_link(session, "no-such-consultation", NOW)
    question_types.open_link = False
    with pytest.raises(NotFound):
        p.open_consultation_for_link(session, "question-types", NOW)
    question_types.open_link = True
    question_types.state = ConsultationState.DRAFT
    with pytest.raises(NotFound):
        p.open_consultation_for_link(session, "question-types", NOW)
    question_types.state = ConsultationState.CLOSED
    with pytest.raises(InvalidState):
        p.open_consultation_for_link(session, "question-types", NOW)
    question_types.state = ConsultationState.OPEN
    question_types.closes_at = NOW
    with pytest.raises(InvalidState):
        p.open_consultation_for_link(session, "question-types", NOW)
    with pytest.raises(InvalidState):
        p.start_open_response(session, question_types, "en", NOW)


# --- saving pages --------------------------------------------------------------------------------


def test_an_invalid_answer_keeps_the_stored_one_and_returns_what_was_typed(session, question_types):
    access, survey = start(session, question_types)
    first = {
        "q-ranking-district_data": "1",
        "q-ranking-interpretation": "2",
        "q-ranking-advisory_board": "3",
    }
    assert save(session, access, survey, "comparisons", first).ok
    stored = {"district_data": 1, "interpretation": 2, "advisory_board": 3}
    assert p.stored_values(session, survey, access.response)["ranking"] == stored

    pair = get_pair(survey, access)
    typed = [
        ("q-ranking-district_data", "1"),
        ("q-ranking-interpretation", "1"),  # duplicated rank
        ("q-ranking-advisory_board", "3"),
        ("q-pairwise-t0", pair[0].code),  # a valid answer on the same page
    ]
    result = save(session, access, survey, "comparisons", typed)
    assert not result.ok
    assert [e.field for e in result.errors] == ["q-ranking-interpretation"]
    assert "more than one item" in result.errors[0].message
    assert result.raw["q-ranking-interpretation"] == ["1"]  # what was typed comes back
    values = p.stored_values(session, survey, access.response)
    assert values["ranking"] == stored  # the stored answer is kept
    assert values["pairwise"][0] == pair[0].code  # valid answers on the page are saved
    assert access.response.last_page == 3  # as after the first save of this page


def get_pair(survey, access):
    from consult.questions import get_type

    q = survey.question("pairwise")
    return get_type("pairwise").tasks(q, access.response.id)[0]


def test_going_back_saves_without_enforcing_required_questions(session, question_types):
    access, survey = start(session, question_types)
    full = {"q-single_choice": "no", "q-multiple_choice": "arabic"}
    assert save(session, access, survey, "choices", full).ok
    assert access.response.last_page == 1
    # back from the page, with the required single choice emptied and a new selection
    result = save(
        session, access, survey, "choices", {"q-multiple_choice": "persian"}, enforce=False
    )
    assert result.ok
    values = p.stored_values(session, survey, access.response)
    assert "single_choice" not in values  # emptied: its stored answer is gone
    assert values["multiple_choice"] == ["persian"]
    assert access.response.last_page == 1


def test_moving_forward_enforces_required_questions(session, question_types):
    access, survey = start(session, question_types)
    result = save(session, access, survey, "choices", {"q-multiple_choice": "persian"})
    assert [e.field for e in result.errors] == ["q-single_choice-yes"]
    assert result.errors[0].message == "Answer this question to continue."
    assert p.stored_values(session, survey, access.response) == {"multiple_choice": ["persian"]}
    assert access.response.last_page == 0
    # a matrix needs every row, a ranking its top k
    result = save(session, access, survey, "scales", {"q-rating": "5", "q-matrix-hate_speech": "4"})
    assert [e.field for e in result.errors] == ["q-matrix-legal_responsibilities-1"]
    ranked = {"q-ranking-district_data": "1", "q-ranking-interpretation": "2"}
    assert [e.message for e in save(session, access, survey, "comparisons", ranked).errors] == [
        "Rank 3 items."
    ]
    assert (
        p.missing_required(survey, p.stored_values(session, survey, access.response), set())[1].code
        == "single_choice"
    )
    with pytest.raises(InvalidState, match="required"):
        p.submit_response(session, access, survey, NOW)


def test_saving_an_answer_that_cannot_be_a_question_type_is_an_error_not_a_crash(
    session, question_types
):
    access, survey = start(session, question_types)
    hostile = [
        ("q-points-advisory_board", "1e400"),
        ("q-points-interpretation", "nan"),
        ("q-ahp-t0", "a10"),
        ("q-ahp-t1", "1"),
        ("q-ahp-t1", "a3"),
    ]
    result = save(session, access, survey, "weights", hostile)
    assert {e.field for e in result.errors} == {
        "q-points-advisory_board",
        "q-points-interpretation",
        "q-ahp-t0-a9",
        "q-ahp-t1-a9",
    }
    assert answers_of(session, access.response) == []


# --- display conditions --------------------------------------------------------------------------


def test_display_conditions_hide_questions_and_submit_drops_hidden_answers(session, question_types):
    access, survey = start(session, question_types)
    values = complete(session, access, survey, PREFS, choices={"single_choice": "yes"})
    assert values["long_text"] == "Forms exist only in Turkish.\nTranslate them."
    open_page = page(survey, "open")
    assert "long_text" in [q.code for q in p.visible_questions(open_page, values, set())]

    # back to the first page: the answer changes, the long text is now hidden
    assert save(
        session, access, survey, "choices", {"q-single_choice": "no", "q-multiple_choice": "french"}
    ).ok
    values = p.stored_values(session, survey, access.response)
    assert [q.code for q in p.visible_questions(open_page, values, set())] == [
        "number",
        "short_text",
    ]
    # a hidden question is not saved, even if a crafted form carries it
    form = page_form(open_page, open_page.questions, access.response.id, choices={"long_text": "x"})
    assert save(session, access, survey, "open", form).ok
    assert answers_of(session, access.response, "long_text")[0].text != "x"

    receipt = p.submit_response(session, access, survey, NOW)
    assert receipt == access.response.receipt_code
    assert answers_of(session, access.response, "long_text") == []  # dropped on submit
    assert answers_of(session, access.response, "short_text")  # shown answers stay


def test_condition_forms(session):
    values = {"single_choice": "yes", "multiple_choice": ["arabic", "french"], "number": 250.0}
    met = p.condition_met
    assert met(None, values)
    assert met({"question": "single_choice", "equals": "yes"}, values)
    assert not met({"question": "single_choice", "equals": "no"}, values)
    assert met({"question": "multiple_choice", "equals": "french"}, values)
    assert met({"question": "multiple_choice", "in": ["pashto", "arabic"]}, values)
    assert met({"question": "number", "gte": 100, "lte": 250}, values)
    assert not met({"question": "number", "gte": 251}, values)
    assert met({"question": "short_text", "answered": False}, values)
    assert not met({"question": "short_text", "equals": "x"}, values)
    assert not met({"question": "single_choice", "gte": 1}, values)


# --- submitting ----------------------------------------------------------------------------------


def test_submitting_twice_returns_the_same_receipt_and_creates_nothing(session, question_types):
    access, survey = start(session, question_types)
    complete(session, access, survey, PREFS)
    receipt = p.submit_response(session, access, survey, NOW)
    counts = (
        session.scalar(select(func.count(Response.id))),
        session.scalar(select(func.count(Answer.id))),
    )
    submitted_at = access.response.submitted_at
    assert p.submit_response(session, access, survey, NOW + timedelta(seconds=1)) == receipt
    assert (
        session.scalar(select(func.count(Response.id))),
        session.scalar(select(func.count(Answer.id))),
    ) == counts
    assert access.response.state == ResponseState.SUBMITTED
    assert access.response.submitted_at == submitted_at
    with pytest.raises(InvalidState):  # and nothing can be changed any more
        save(session, access, survey, "choices", {"q-single_choice": "no"})


@pytest.mark.parametrize("how", ["closed", "closes_at", "round_closed"])
def test_submit_is_refused_once_the_consultation_closed_and_answers_are_kept(
    session, question_types, how
):
    access, survey = start(session, question_types)
    complete(session, access, survey, PREFS)
    before = len(answers_of(session, access.response))
    if how == "closed":
        question_types.state = ConsultationState.CLOSED
    elif how == "closes_at":
        question_types.closes_at = NOW - timedelta(minutes=1)
    else:
        from consult.models import RoundState

        question_types.rounds[0].state = RoundState.CLOSED
    session.flush()
    with pytest.raises(InvalidState, match="closed"):
        p.submit_response(session, access, survey, NOW)
    assert access.response.state == ResponseState.IN_PROGRESS
    assert len(answers_of(session, access.response)) == before


# --- invitations ---------------------------------------------------------------------------------


def test_an_invitation_prefills_group_and_district(session, action_plan):
    invitation, token = invite(session, action_plan, group="academic", district="fatih")
    assert invitation.status == InvitationStatus.PENDING
    access = p.access_by_invitation(session, token, "tr", NOW)
    response = access.response
    group = session.get(StakeholderGroup, response.stakeholder_group_id)
    assert (group.code, response.district) == ("academic", "fatih")
    assert access.invitation is invitation
    assert invitation.status == InvitationStatus.OPENED
    assert invitation.opened_at == NOW  # confidential: the time is kept
    survey = p.build_survey(session, access.round, "tr")
    values = p.stored_values(session, survey, response)
    assert values == {"stakeholder_group": "academic", "district": "fatih"}
    skip = p.prefilled_questions(access)
    assert skip == {"stakeholder_group", "district"}
    assert "profile" not in [pg.code for pg in p.visible_pages(survey, values, skip)]
    # resuming finds the same response
    assert p.access_by_invitation(session, token, "tr", NOW).response is response


def test_an_invitation_without_a_group_asks_for_it(session, action_plan):
    _invitation, token = invite(session, action_plan)
    access = p.access_by_invitation(session, token, "en", NOW)
    assert p.prefilled_questions(access) == set()
    survey = p.build_survey(session, access.round, "en")
    form = {"q-stakeholder_group": "self_organization", "q-district": "esenyurt"}
    assert save(session, access, survey, "profile", form).ok
    group = session.get(StakeholderGroup, access.response.stakeholder_group_id)
    assert (group.code, access.response.district) == ("self_organization", "esenyurt")


def test_unknown_or_revoked_invitations_are_not_found(session, action_plan):
    invitation, token = invite(session, action_plan)
    with pytest.raises(NotFound):
        p.access_by_invitation(session, "guess", "en", NOW)
    with pytest.raises(NotFound):
        p.access_by_invitation(session, "", "en", NOW)
    invitation.status = InvitationStatus.REVOKED
    with pytest.raises(NotFound):
        p.access_by_invitation(session, token, "en", NOW)


def submit_invited(session, token, now=NOW):
    access = p.access_by_invitation(session, token, "en", now)
    survey = p.build_survey(session, access.round, "en")
    complete(session, access, survey, PREFS, now=now)
    return access, survey, p.submit_response(session, access, survey, now)


def test_an_invitation_answers_a_round_once(session, action_plan):
    invitation, token = invite(session, action_plan, group="donor", district="citywide")
    access, survey, receipt = submit_invited(session, token)
    assert invitation.status == InvitationStatus.SUBMITTED
    assert access.response.invitation_id == invitation.id  # confidential: the link is kept
    with pytest.raises(Conflict):
        p.access_by_invitation(session, token, "en", NOW)

    # a second in-progress response of the same invitation (a second browser that started
    # at the same moment as the first) cannot be submitted
    other = p.Access(
        response=Response(
            round_id=access.round.id,
            invitation_id=invitation.id,
            language="en",
            state=ResponseState.IN_PROGRESS,
            receipt_code="SECO-NDBR-OWSR",
        ),
        consultation=access.consultation,
        round=access.round,
        invitation=invitation,
    )
    session.add(other.response)
    session.flush()
    complete(session, other, survey, PREFS)
    with pytest.raises(Conflict):
        p.submit_response(session, other, survey, NOW)
    assert other.response.state == ResponseState.IN_PROGRESS
    assert answers_of(session, other.response)  # nothing lost
    assert session.scalar(select(func.count(Participation.id))) == 1
    submitted = session.scalars(
        select(Response).where(Response.state == ResponseState.SUBMITTED)
    ).all()
    assert [r.receipt_code for r in submitted] == [receipt]


# --- anonymity -----------------------------------------------------------------------------------


def test_anonymous_responses_cannot_be_joined_back_to_invitations(session, action_plan, app):
    action_plan.anonymity = AnonymityMode.ANONYMOUS
    session.flush()
    invitation, token = invite(session, action_plan, group="self_organization", district="fatih")
    access, _survey, receipt = submit_invited(session, token)
    response = access.response
    session.flush()
    session.expire_all()

    response = session.scalar(select(Response).where(Response.receipt_code == receipt))
    assert response.state == ResponseState.SUBMITTED
    assert response.invitation_id is None
    day = datetime(2026, 3, 4, tzinfo=UTC)
    assert (response.started_at, response.updated_at, response.submitted_at) == (day, day, day)
    invitation = session.get(Invitation, invitation.id)
    assert invitation.opened_at == day  # no time of day to match against anything either
    assert invitation.status == InvitationStatus.SUBMITTED
    participation = session.scalar(select(Participation))
    assert participation.invitation_id == invitation.id
    assert participation.submitted_on == day.date()
    assert participation.id != response.id

    # the group and district stay: the analysis needs them
    assert response.district == "fatih"
    assert response.stakeholder_group_id == invitation.stakeholder_group_id

    # no column path joins a response to an invitation or a participation
    inspector = sa.inspect(session.connection())
    response_fks = inspector.get_foreign_keys("responses")
    assert {fk["referred_table"] for fk in response_fks} >= {"invitations", "rounds"}
    assert "participations" not in {fk["referred_table"] for fk in response_fks}
    assert {c["name"] for c in inspector.get_columns("participations")} == {
        "id",
        "invitation_id",
        "round_id",
        "submitted_on",
    }
    assert not any(
        fk["referred_table"] == "responses" for fk in inspector.get_foreign_keys("participations")
    )
    answer_columns = {c["name"] for c in inspector.get_columns("answers")}
    assert not answer_columns & {"invitation_id", "participation_id"}
    with pytest.raises(InvalidRequestError):  # SQLAlchemy finds nothing to join on
        session.execute(select(Response.id).join(Participation)).all()
    via_invitation = session.execute(
        select(Response.id).join(Invitation, Response.invitation_id == Invitation.id)
    ).all()
    assert via_invitation == []
    via_round = session.execute(  # the only shared column is the round: everyone shares it
        select(Response.id).join(Participation, Participation.round_id == Response.round_id)
    ).all()
    assert len(via_round) == 1  # one response, one participation: nothing singles it out


def test_confidential_responses_keep_their_invitation(session, action_plan):
    invitation, token = invite(session, action_plan)
    access, _survey, _receipt = submit_invited(session, token)
    assert access.response.invitation_id == invitation.id
    assert access.response.submitted_at == NOW


# --- withdrawing ---------------------------------------------------------------------------------


def test_a_receipt_code_withdraws_a_submitted_response(session, question_types):
    access, survey = start(session, question_types)
    complete(session, access, survey, PREFS)
    receipt = p.submit_response(session, access, survey, NOW)
    assert answers_of(session, access.response)
    typed = "  " + receipt.lower() + " "  # as a person types it back
    p.withdraw_response(session, "question-types", typed, NOW + timedelta(days=1))
    response = access.response
    assert response.state == ResponseState.WITHDRAWN
    assert response.withdrawn_at is not None
    assert answers_of(session, response) == []
    assert (response.stakeholder_group_id, response.district) == (None, None)
    with pytest.raises(NotFound):  # only once
        p.withdraw_response(session, "question-types", receipt, NOW)


def test_withdrawing_needs_the_right_code_and_consultation(session, question_types, action_plan):
    access, survey = start(session, question_types)
    complete(session, access, survey, PREFS)
    with pytest.raises(NotFound):  # not submitted yet
        p.withdraw_response(session, "question-types", access.response.receipt_code, NOW)
    receipt = p.submit_response(session, access, survey, NOW)
    for slug, code in [
        ("question-types", ""),
        ("question-types", "AAAA-BBBB-CCCC"),
        ("migration-action-plan", receipt),  # another consultation's receipt
    ]:
        with pytest.raises(NotFound):
            p.withdraw_response(session, slug, code, NOW)
    assert access.response.state == ResponseState.SUBMITTED


@pytest.mark.parametrize("how", ["closed", "closes_at"])
def test_withdrawing_is_refused_after_the_consultation_closed(session, question_types, how):
    access, survey = start(session, question_types)
    complete(session, access, survey, PREFS)
    receipt = p.submit_response(session, access, survey, NOW)
    if how == "closed":
        question_types.state = ConsultationState.CLOSED
    else:
        question_types.closes_at = NOW + timedelta(hours=1)
    session.flush()
    with pytest.raises(InvalidState):
        p.withdraw_response(session, "question-types", receipt, NOW + timedelta(hours=2))
    assert access.response.state == ResponseState.SUBMITTED
    assert answers_of(session, access.response)
