"""The builder pages: a facilitator builds, translates and previews a questionnaire."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consult.extensions import db
from consult.models import AuditEvent, Question, Section
from tests.builder.conftest import World, sign_in

pytestmark = pytest.mark.db

BASE = "/manage/consultations/plan-a"


def request(app: Flask, client: FlaskClient, method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
    """One request in its own application context (Flask-Login caches the user on ``g``).

    The test's own session first ends its transaction: on SQLite every transaction takes the
    write lock at once (``BEGIN IMMEDIATE``), which would make the request wait.
    """
    db.session.commit()
    with app.app_context():
        return client.open(url, method=method, **kwargs)


@pytest.fixture
def client_a(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    sign_in(client, world.facilitator)
    return client


def ids(model, code: str) -> int:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    found = db.session.scalar(select(model.id).where(model.code == code))
    db.session.commit()
    return found


def build_two_questions(app: Flask, client: FlaskClient) -> None:
    post = lambda url, data: request(app, client, "POST", url, data=data)  # noqa: E731
    r = post(
        f"{BASE}/questionnaire/sections/new",
        {
            "code": "about",
            "title_tr": "Hakkınızda",
            "title_en": "About you",
            "title_ar": "عنك",
            "cond_question": "",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    section_id = ids(Section, "about")
    r = request(app, client, "GET", f"{BASE}/questionnaire/sections/{section_id}/questions/new")
    assert r.status_code == 200
    assert 'name="type"' in r.get_data(as_text=True)
    url = f"{BASE}/questionnaire/sections/{section_id}/questions/new?type=single_choice"
    html = request(app, client, "GET", url).get_data(as_text=True)
    assert 'name="opt_0_label_ar"' in html
    assert 'name="s_top_k"' not in html
    r = post(
        url,
        {
            "code": "role",
            "type": "single_choice",
            "required": "y",
            "option_rows": "3",
            "text_tr": "Kurumunuz?",
            "text_en": "Your organisation?",
            "text_ar": "مؤسستك؟",
            "opt_0_code": "ngo",
            "opt_0_label_tr": "STK",
            "opt_0_label_en": "NGO",
            "opt_0_label_ar": "منظمة غير حكومية",
            "opt_1_code": "city",
            "opt_1_label_tr": "Belediye",
            "opt_1_label_en": "Municipality",
            "opt_1_label_ar": "بلدية",
            "cond_question": "",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    url = f"{BASE}/questionnaire/sections/{section_id}/questions/new?type=ranking"
    data = {
        "code": "priorities",
        "type": "ranking",
        "text_tr": "Sıralayın",
        "text_en": "Rank these",
        "text_ar": "رتب هذه",
        "s_top_k": "2",
        "items": ["housing", "jobs", "schools"],
        "cond_question": "role",
        "cond_test": "equals",
        "cond_value": "ngo",
    }
    r = post(url, data)
    assert r.status_code == 302, r.get_data(as_text=True)


def test_facilitator_builds_translates_and_previews(
    app: Flask, world: World, client_a: FlaskClient
) -> None:
    build_two_questions(app, client_a)
    q = db.session.get(Question, ids(Question, "priorities"))
    assert q.settings == {"top_k": 2}
    assert q.display_condition == {"question": "role", "equals": "ngo"}
    assert [qi.item.code for qi in q.question_items] == ["housing", "jobs", "schools"]

    html = request(app, client_a, "GET", f"{BASE}/questionnaire?lang=en").get_data(as_text=True)
    assert "Your organisation?" in html  # in the interface language
    assert "priorities" in html

    html = request(app, client_a, "GET", f"{BASE}/translations?lang=en").get_data(as_text=True)
    assert "No translation is missing." in html
    assert "tag--missing" not in html
    assert "رتب هذه" in html

    r = request(app, client_a, "GET", f"{BASE}/preview?lang=ar")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<html lang="ar" dir="rtl">' in html
    assert 'class="preview" lang="ar" dir="rtl"' in html
    # the participant's own controls, disabled: a radio per option, inside a disabled fieldset
    controls = html.split('<fieldset class="preview__controls" disabled>')[1]
    assert controls.count('type="radio"') >= 2
    assert "منظمة غير حكومية" in controls
    assert "مؤسستك؟" in html
    assert "منظمة غير حكومية" in html
    assert "المدارس" in html

    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"section.add", "question.add"} <= actions


def test_missing_translation_is_flagged_with_edit_link(
    app: Flask, world: World, client_a: FlaskClient
) -> None:
    build_two_questions(app, client_a)
    qid = ids(Question, "priorities")
    url = f"{BASE}/questionnaire/questions/{qid}/edit"
    form = request(app, client_a, "GET", url).get_data(as_text=True)
    assert 'value="2"' in form
    assert "رتب هذه" in form
    r = request(
        app,
        client_a,
        "POST",
        url,
        data={
            "code": "priorities",
            "type": "ranking",
            "text_tr": "Sıralayın",
            "text_en": "Rank these",
            "s_top_k": "2",
            "items": ["housing", "jobs"],
            "cond_question": "",
        },
    )
    assert r.status_code == 302
    html = request(app, client_a, "GET", f"{BASE}/translations?lang=en").get_data(as_text=True)
    assert "tag--missing" in html
    assert f'href="{url}"' in html


def test_errors_keep_what_was_typed(app: Flask, world: World, client_a: FlaskClient) -> None:
    build_two_questions(app, client_a)
    sid = ids(Section, "about")
    url = f"{BASE}/questionnaire/sections/{sid}/questions/new?type=ranking"
    data = {
        "code": "again",
        "type": "ranking",
        "text_en": "Typed text stays",
        "s_top_k": "9",
        "items": ["housing", "jobs"],
        "cond_question": "",
    }
    r = request(app, client_a, "POST", url, data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "top_k must be from 1 to 2" in html
    assert "Typed text stays" in html
    assert 'value="9"' in html
    # a condition on a later question cannot even be chosen
    qid = ids(Question, "role")
    r = request(
        app,
        client_a,
        "POST",
        f"{BASE}/questionnaire/questions/{qid}/edit",
        data={
            "code": "role",
            "type": "single_choice",
            "text_en": "x",
            "option_rows": "2",
            "opt_0_code": "a",
            "opt_1_code": "b",
            "cond_question": "priorities",
            "cond_test": "answered",
        },
    )
    assert r.status_code == 422


def test_move_and_delete_with_confirmation(app: Flask, world: World, client_a: FlaskClient) -> None:
    build_two_questions(app, client_a)
    qid = ids(Question, "priorities")
    # moving the conditional question above the one it refers to is refused
    r = request(
        app, client_a, "POST", f"{BASE}/questionnaire/questions/{qid}/move", data={"step": "-1"}
    )
    assert r.status_code == 302
    html = request(app, client_a, "GET", f"{BASE}/questionnaire?lang=en").get_data(as_text=True)
    assert "earlier question" in html
    assert html.index(">role<") < html.index(">priorities<")
    url = f"{BASE}/questionnaire/questions/{qid}/delete"
    html = request(app, client_a, "GET", url + "?lang=en").get_data(as_text=True)
    assert "Delete the question priorities?" in html
    assert request(app, client_a, "POST", url).status_code == 302
    assert ids(Question, "priorities") is None


ROUTES = [
    ("GET", "/questionnaire"),
    ("GET", "/questionnaire/sections/new"),
    ("POST", "/questionnaire/sections/new"),
    ("GET", "/questionnaire/sections/{s}/edit"),
    ("POST", "/questionnaire/sections/{s}/edit"),
    ("GET", "/questionnaire/sections/{s}/delete"),
    ("POST", "/questionnaire/sections/{s}/delete"),
    ("POST", "/questionnaire/sections/{s}/move"),
    ("GET", "/questionnaire/sections/{s}/questions/new"),
    ("POST", "/questionnaire/sections/{s}/questions/new"),
    ("GET", "/questionnaire/questions/{q}/edit"),
    ("POST", "/questionnaire/questions/{q}/edit"),
    ("GET", "/questionnaire/questions/{q}/delete"),
    ("POST", "/questionnaire/questions/{q}/delete"),
    ("POST", "/questionnaire/questions/{q}/move"),
    ("POST", "/questionnaire/questions/{q}/section"),
    ("GET", "/translations"),
    ("GET", "/preview"),
]


def test_every_builder_route_is_listed(app: Flask) -> None:
    rules = {
        (m, r.rule)
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("builder.")
        for m in r.methods or ()
        if m not in ("HEAD", "OPTIONS")
    }
    listed = {
        (
            m,
            "/manage/consultations/<slug>"
            + p.replace("{s}", "<section_id>").replace("{q}", "<question_id>"),
        )
        for m, p in ROUTES
    }
    from tests.builder.test_lists import LIST_ROUTES

    listed |= {(m, "/manage/consultations/<slug>" + p) for m, p in LIST_ROUTES}
    assert rules == listed


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_other_facilitator_and_anonymous_are_kept_out(
    app: Flask, world: World, client_a: FlaskClient, method: str, path: str
) -> None:
    build_two_questions(app, client_a)
    path = path.format(s=ids(Section, "about"), q=ids(Question, "role"))
    other = app.test_client()
    sign_in(other, world.other)
    # A's questionnaire through A's address: 403
    assert request(app, other, method, BASE + path, data={"step": "1"}).status_code == 403
    # A's ids through B's address (which B may edit): 404
    own = request(app, other, method, "/manage/consultations/plan-b" + path, data={"step": "1"})
    if ("/sections/" in path and path != "/questionnaire/sections/new") or "/questions/" in path:
        assert own.status_code == 404, (method, path)
    anonymous = app.test_client()
    r = request(app, anonymous, method, BASE + path)
    assert r.status_code == 302
    assert r.location.startswith("/account/login")
    assert ids(Question, "role") is not None


def test_facilitator_is_told_why_an_answered_question_cannot_change(
    app: Flask, world: World, client_a: FlaskClient
) -> None:
    from consult.models import Consultation, ConsultationState
    from tests.builder.test_service import answer

    build_two_questions(app, client_a)
    db.session.get(Consultation, world.a.id).state = ConsultationState.OPEN
    db.session.flush()
    answer(db.session, db.session.get(Question, ids(Question, "role")), "ngo")
    qid = ids(Question, "role")
    url = f"{BASE}/questionnaire/questions/{qid}/edit?lang=en"
    data = {
        "code": "role",
        "type": "multiple_choice",
        "text_en": "Your organisation?",
        "option_rows": "2",
        "opt_0_code": "ngo",
        "opt_1_code": "city",
        "cond_question": "",
    }
    r = request(app, client_a, "POST", url, data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "its type cannot change from single_choice to multiple_choice" in html
    assert "This consultation is open" in request(
        app, client_a, "GET", f"{BASE}/questionnaire?lang=en"
    ).get_data(as_text=True)
    r = request(app, client_a, "POST", f"{BASE}/questionnaire/questions/{qid}/delete?lang=en")
    assert r.status_code == 409
    assert "cannot be deleted" in r.get_data(as_text=True)


def test_forms_need_the_csrf_token(app: Flask, world: World, client_a: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"code": "about", "title_en": "About", "cond_question": ""}
    r = request(app, client_a, "POST", f"{BASE}/questionnaire/sections/new", data=data)
    assert r.status_code == 400
    assert ids(Section, "about") is None


@pytest.mark.parametrize("bad", ["abc", "0x1", "<section_id>", "99999"])
def test_malformed_or_unknown_ids_are_404(
    app: Flask, world: World, client_a: FlaskClient, bad: str
) -> None:
    url = f"{BASE}/questionnaire/sections/{bad}/edit"
    assert request(app, client_a, "GET", url).status_code == 404
    other = app.test_client()
    sign_in(other, world.other)
    assert request(app, other, "GET", url).status_code == 403
