"""Live workshop sessions through the web: join by code, answer on the phone, lead the session,
the projector's aggregate, the end; workshop responses in the results with the source filter."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from consult.extensions import db
from consult.models import (
    Answer,
    AuditEvent,
    ConsultationState,
    LiveSession,
    LiveState,
    Question,
    Response,
    ResponseSource,
    ResponseState,
    utcnow,
)
from consult.services import live, priorities
from consult.services.errors import Forbidden, InvalidState
from consult.services.participation import (
    build_survey,
    save_page,
    start_open_response,
    submit_response,
)
from tests.facilitator.conftest import fetch, sign_in_as
from tests.live.conftest import LIVE_CODES, Workshop, advance, start

pytestmark = pytest.mark.db

BASE = "/manage/consultations/istanbul-workshop/live"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def phone(app: Flask):
    client = app.test_client()
    return lambda method, url, **kw: fetch(app, client, method, url, **kw)


def staff(app: Flask, user):
    client = app.test_client()
    sign_in_as(client, user)
    return lambda method, url, **kw: fetch(app, client, method, url, **kw)


def stored(question_code: str) -> list[tuple[int, int | None, int | None, float | None]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.option_id, Answer.number)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.code == question_code)
        .order_by(Answer.response_id, Answer.id)
    ).all()
    db.session.rollback()
    return [tuple(r) for r in rows]


def test_join_codes(app: Flask, workshop: Workshop) -> None:
    session = start(workshop)
    code = session.join_code
    assert len(code) == 6
    assert set(code) <= set(live.RECEIPT_ALPHABET)
    get = phone(app)
    form = get("GET", "/live?lang=en")
    assert form.status_code == 200
    assert 'id="code"' in form.text
    # typed in lower case with spaces: goes to the session
    typed = f" {code[:3].lower()} {code[3:].lower()} "
    found = get("GET", "/live", query_string={"code": typed})
    assert found.status_code == 303
    assert found.location == f"/live/{code}"
    # unknown: the form again with what was typed and why
    unknown = get("GET", "/live", query_string={"code": "zz-999", "lang": "en"})
    assert unknown.status_code == 404
    assert 'value="zz-999"' in unknown.text
    assert "No live session has this code." in text_of(unknown.text)
    assert get("GET", "/live/ZZZ999?lang=en").status_code == 404
    # lower-case address: the canonical one
    assert get("GET", f"/live/{code.lower()}").location == f"/live/{code}"
    # ended
    live.end_session(
        db.session, workshop.facilitator, workshop.consultation(), session, session.started_at
    )
    db.session.commit()
    ended = get("GET", "/live", query_string={"code": code, "lang": "en"})
    assert ended.status_code == 410
    assert "This live session has ended." in text_of(ended.text)
    assert get("GET", f"/live/{code}?lang=en").status_code == 410


def test_phone_answers_each_question_once(app: Flask, workshop: Workshop) -> None:
    session = start(workshop)
    url = f"/live/{session.join_code}"
    get = phone(app)
    lobby = get("GET", url + "?lang=en")
    assert lobby.status_code == 200
    assert "You have joined the session" in lobby.text
    assert f'data-state-url="{url}/state"' in lobby.text
    assert get("GET", url + "/state").json == {"state": "running", "question": None}
    db.session.expire_all()
    joined = db.session.scalars(select(Response)).one()
    assert joined.source == ResponseSource.WORKSHOP
    assert joined.state == ResponseState.IN_PROGRESS
    assert joined.live_session_id == session.id
    db.session.rollback()

    assert advance(workshop, session) == "group"
    assert get("GET", url + "/state").json == {"state": "running", "question": "group"}
    page = get("GET", url + "?lang=en")
    assert "Question 1 of 5" in text_of(page.text)
    assert 'name="q-group"' in page.text
    sent = get("POST", url, data={"question": "group", "q-group": "ngo"})
    assert sent.status_code == 303
    received = get("GET", url + "?lang=en")
    assert "Answer received. Wait for the next question." in received.text
    assert 'name="q-group"' not in received.text
    # answering again replaces the answer
    assert get("POST", url, data={"question": "group", "q-group": "academic"}).status_code == 303
    rows = stored("group")
    assert len(rows) == 1
    db.session.expire_all()
    response = db.session.scalars(select(Response)).one()
    assert response.state == ResponseState.SUBMITTED
    assert response.submitted_at is not None
    assert response.stakeholder_group_id is None  # no such stakeholder group in this consultation
    db.session.rollback()
    # invalid answer: refused with the message, nothing changed
    bad = get("POST", url + "?lang=en", data={"question": "group", "q-group": "nope"})
    assert bad.status_code == 400
    assert "Choose one of the options." in bad.text
    empty = get("POST", url + "?lang=en", data={"question": "group"})
    assert empty.status_code == 400
    assert "Choose an answer before sending it." in empty.text
    assert len(stored("group")) == 1

    assert advance(workshop, session) == "topics"
    # an answer to the question before is refused: it is closed
    late = get("POST", url + "?lang=en", data={"question": "group", "q-group": "ngo"})
    assert late.status_code == 409
    assert "This question is closed" in late.text
    assert 'name="q-topics"' in late.text
    assert (
        get("POST", url, data={"question": "topics", "q-topics": ["housing", "school"]}).status_code
        == 303
    )
    assert advance(workshop, session) == "urgency"
    assert get("POST", url, data={"question": "urgency", "q-urgency": "4"}).status_code == 303
    assert advance(workshop, session) == "order"  # the open question is skipped
    ranks = {"q-order-board": "2", "q-order-data": "1", "q-order-grants": "3"}
    assert get("POST", url, data={"question": "order", **ranks}).status_code == 303
    assert advance(workshop, session) == "budget"
    points = {"q-budget-board": "5", "q-budget-data": "3", "q-budget-grants": "2"}
    assert get("POST", url, data={"question": "budget", **points}).status_code == 303
    assert advance(workshop, session) == "budget"  # the last question stays

    assert [r[3] for r in stored("order")] == [2.0, 1.0, 3.0]
    assert [r[3] for r in stored("budget")] == [5.0, 3.0, 2.0]
    assert len(stored("topics")) == 2
    assert [r[3] for r in stored("urgency")] == [4.0]
    assert len({r[0] for r in stored("budget")}) == 1  # one response for the phone


def test_projector_and_control(app: Flask, workshop: Workshop) -> None:
    fac = staff(app, workshop.facilitator)
    started = fac("POST", BASE, data={"language": "ar"})
    assert started.status_code == 303
    db.session.expire_all()
    session = db.session.scalars(select(LiveSession)).one()
    db.session.rollback()
    assert started.location == f"{BASE}/{session.id}"
    again = fac("POST", BASE + "?lang=en", data={"language": "en"})
    assert again.status_code == 409
    assert "already running" in again.text
    control = fac("GET", f"{BASE}/{session.id}?lang=en")
    assert control.status_code == 200
    assert "هل من شيء آخر؟" in text_of(control.text)  # not asked live (session language)
    assert "Waiting for the first question." in control.text  # the facilitator's language
    assert "for=control" in control.text  # live.js refreshes the control page's own region
    projector = fac("GET", f"{BASE}/{session.id}/projector?lang=en")
    assert projector.status_code == 200
    assert '<html lang="ar" dir="rtl">' in projector.text
    assert "<svg" in projector.text
    assert session.join_code in projector.text
    assert 'http-equiv="refresh" content="2"' in projector.text
    assert "style=" not in projector.text

    moved = fac("POST", f"{BASE}/{session.id}/move", data={"action": "next", "current": ""})
    assert moved.status_code == 303
    # a stale page (it showed no question): nothing moves
    fac("POST", f"{BASE}/{session.id}/move", data={"action": "next", "current": ""})
    db.session.expire_all()
    assert db.session.get(LiveSession, session.id).current_question_id is not None
    assert live.session_state(db.session, session.join_code)[1] == "group"
    db.session.rollback()

    phones = [phone(app) for _ in range(3)]
    for get, group in zip(phones, ["ngo", "ngo", "district"], strict=True):
        get("GET", f"/live/{session.join_code}")
        get("POST", f"/live/{session.join_code}", data={"question": "group", "q-group": group})
    region = fac("GET", f"{BASE}/{session.id}/results")
    assert region.status_code == 200
    bars = dict(re.findall(r'data-code="(\w+)" data-count="(\d+)"', region.text))
    assert bars == {"ngo": "2", "district": "1", "academic": "0"}
    assert 'data-count="3"' in region.text  # answers
    assert "منظمة وطنية" in region.text  # in the session's language
    control_region = fac("GET", f"{BASE}/{session.id}/results?for=control&lang=en")
    assert "3 answers" in text_of(control_region.text)
    assert "3 phones joined" in text_of(control_region.text)

    # ranking: Borda order, mean rank
    for _ in range(3):
        fac(
            "POST",
            f"{BASE}/{session.id}/move",
            data={"action": "next", "current": str(_current(session))},
        )
    assert live.session_state(db.session, session.join_code)[1] == "order"
    db.session.rollback()
    for get, ranks in zip(phones, [("1", "2", "3"), ("1", "3", "2"), ("2", "1", "3")], strict=True):
        data = dict(zip(["q-order-board", "q-order-data", "q-order-grants"], ranks, strict=True))
        assert (
            get(
                "POST", f"/live/{session.join_code}", data={"question": "order", **data}
            ).status_code
            == 303
        )
    region = fac("GET", f"{BASE}/{session.id}/results?for=control&lang=en").text
    order = re.findall(r'data-code="(\w+)" data-count="\d+"', region)
    assert order == ["board", "data", "grants"]  # Borda 8, 6, 4
    assert "mean rank 1.3" in region

    ended = fac("POST", f"{BASE}/{session.id}/end")
    assert ended.status_code == 303
    db.session.expire_all()
    assert db.session.get(LiveSession, session.id).state == LiveState.ENDED
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["live.start", "live.end"]
    db.session.rollback()
    assert "انتهت هذه الجلسة المباشرة." in fac("GET", f"{BASE}/{session.id}/results?lang=en").text
    ended_control = fac("GET", f"{BASE}/{session.id}/results?for=control&lang=en").text
    assert "This live session has ended." in ended_control


def _fresh(session: LiveSession) -> LiveSession:
    db.session.expire_all()
    fresh = db.session.get(LiveSession, session.id)
    assert fresh is not None
    return fresh


def _current(session: LiveSession) -> int | None:
    value = _fresh(session).current_question_id
    db.session.rollback()
    return value


def test_end_drops_phones_that_never_answered(app: Flask, workshop: Workshop) -> None:
    session = start(workshop)
    silent, speaker = phone(app), phone(app)
    silent("GET", f"/live/{session.join_code}")
    speaker("GET", f"/live/{session.join_code}")
    advance(workshop, session)
    speaker("POST", f"/live/{session.join_code}", data={"question": "group", "q-group": "ngo"})
    kept = live.end_session(
        db.session,
        workshop.facilitator,
        workshop.consultation(),
        _fresh(session),
        session.started_at,
    )
    db.session.commit()
    assert kept == 1
    assert db.session.scalar(select(func.count(Response.id))) == 1
    # the phone that answered sees its receipt
    receipt = db.session.scalar(select(Response.receipt_code))
    page = speaker("GET", f"/live/{session.join_code}?lang=en")
    assert page.status_code == 410
    assert receipt in page.text


def test_workshop_responses_in_the_results_with_the_source_filter(
    app: Flask, workshop: Workshop
) -> None:
    # one online response ranks the actions through the open link
    consultation = workshop.consultation()
    consultation.min_group_size = 1  # three respondents: no small-group suppression here
    now = utcnow()
    access = start_open_response(db.session, consultation, "en", now)
    survey = build_survey(db.session, access.round, "en")
    ranks = {"q-order-board": "3", "q-order-data": "2", "q-order-grants": "1"}
    assert save_page(
        db.session, access, survey, survey.pages[0], MultiDict(ranks), now, enforce_required=True
    ).ok
    submit_response(db.session, access, survey, now)
    db.session.commit()
    # two phones rank them in the room
    session = start(workshop)
    for _ in range(4):
        advance(workshop, session)
    phones = [phone(app), phone(app)]
    for get in phones:
        get("GET", f"/live/{session.join_code}")
        data = {"q-order-board": "1", "q-order-data": "2", "q-order-grants": "3"}
        assert (
            get(
                "POST", f"/live/{session.join_code}", data={"question": "order", **data}
            ).status_code
            == 303
        )

    def respondents(*sources: str) -> dict[str, str]:
        frame = priorities.analysis_frame(
            db.session,
            workshop.consultation(),
            "order",
            filters=priorities.Filters(sources=sources),
        ).respondents
        db.session.rollback()
        return dict(frame.groupby("respondent")["source"].first())

    assert sorted(respondents().values()) == ["online", "workshop", "workshop"]
    assert set(respondents("workshop").values()) == {"workshop"}
    assert len(respondents("workshop")) == 2
    assert list(respondents("online").values()) == ["online"]
    analyst = staff(app, workshop.analyst)
    for source in ("", "&source=workshop", "&source=online"):
        page = analyst(
            "GET", f"/manage/consultations/istanbul-workshop/results?lang=en&question=order{source}"
        )
        assert page.status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [("facilitator", (200, 200, 200)), ("analyst", (200, 403, 200)), ("outsider", (403, 403, 403))],
)
def test_permissions(app: Flask, workshop: Workshop, role: str, expected: tuple) -> None:
    session = start(workshop)
    get = staff(app, getattr(workshop, role))
    got = (
        get("GET", BASE).status_code,
        get("GET", f"{BASE}/{session.id}").status_code,
        get("GET", f"{BASE}/{session.id}/projector").status_code,
    )
    assert got == expected
    if role != "facilitator":
        assert get("POST", f"{BASE}/{session.id}/move", data={"action": "next"}).status_code == 403
        assert get("POST", f"{BASE}/{session.id}/end").status_code == 403
        assert get("POST", BASE, data={"language": "en"}).status_code == 403
    anonymous = phone(app)
    assert anonymous("GET", BASE).status_code == 302
    assert anonymous("GET", f"{BASE}/{session.id}/projector").status_code == 302


def test_live_questions_and_languages(app: Flask, workshop: Workshop) -> None:
    session = start(workshop, "tr")
    get = phone(app)
    advance(workshop, session)
    page = get("GET", f"/live/{session.join_code}")
    assert "Kimsiniz?" in page.text
    arabic = get("GET", f"/live/{session.join_code}?lang=ar")
    assert 'dir="rtl"' in arabic.text
    assert "من أنتم؟" in arabic.text
    # the choice is remembered for this session
    assert "من أنتم؟" in get("GET", f"/live/{session.join_code}").text
    codes = []
    for _ in range(6):
        codes.append(advance(workshop, session))
    assert codes == [*LIVE_CODES[1:], "budget", "budget"]


def test_start_refusals(app: Flask, workshop: Workshop) -> None:
    consultation = workshop.consultation()
    with pytest.raises(InvalidState, match="not one of the consultation's languages"):
        live.start_session(db.session, workshop.facilitator, consultation, "fa", utcnow())
    with pytest.raises(Forbidden):
        live.start_session(db.session, workshop.analyst, consultation, "en", utcnow())
    db.session.rollback()
    start(workshop)
    with pytest.raises(InvalidState, match="already running"):
        live.start_session(
            db.session, workshop.facilitator, workshop.consultation(), "en", utcnow()
        )
    db.session.rollback()


def test_a_closed_consultation_takes_no_more_answers(app: Flask, workshop: Workshop) -> None:
    session = start(workshop)
    advance(workshop, session)
    get = phone(app)
    get("GET", f"/live/{session.join_code}")
    consultation = workshop.consultation()
    consultation.state = ConsultationState.CLOSED
    db.session.commit()
    refused = get(
        "POST", f"/live/{session.join_code}?lang=en", data={"question": "group", "q-group": "ngo"}
    )
    assert refused.status_code == 410
    assert stored("group") == []
    db.session.rollback()
    closed = workshop.consultation()
    closed.state = ConsultationState.DRAFT
    db.session.commit()
    with pytest.raises(InvalidState, match="closed"):
        live.start_session(db.session, workshop.facilitator, closed, "en", utcnow())
    db.session.rollback()
