"""Objectives, items and stakeholder groups; edit conflicts; moving questions between sections."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consult.extensions import db
from consult.models import (
    AuditEvent,
    ConsultationState,
    Invitation,
    Item,
    ItemKind,
    Objective,
    Question,
    Section,
    StakeholderGroup,
)
from consult.services import lists as ls
from consult.services import questionnaire as qs
from consult.services.concurrency import fingerprint
from consult.services.errors import Conflict, Forbidden, InvalidState
from consult.services.lists import EntryInput, EntryKind
from consult.services.questionnaire import InvalidQuestionnaire
from tests.builder.conftest import World, sign_in
from tests.builder.test_service import choice, ranking, section
from tests.builder.test_web import BASE, build_two_questions, ids, request

pytestmark = pytest.mark.db

LIST_ROUTES = [
    ("GET", "/lists"),
    ("GET", "/lists/<kind>/new"),
    ("POST", "/lists/<kind>/new"),
    ("GET", "/lists/<kind>/<entry_id>/edit"),
    ("POST", "/lists/<kind>/<entry_id>/edit"),
    ("GET", "/lists/<kind>/<entry_id>/delete"),
    ("POST", "/lists/<kind>/<entry_id>/delete"),
]
GOALS = {"tr": "Eşgüdüm", "en": "Coordination", "ar": "التنسيق"}


def objective(world: World, session, code: str = "coordination") -> Objective:
    data = EntryInput(code=code, texts={"title": dict(GOALS)})
    return ls.add_entry(session, world.facilitator, world.a, EntryKind.OBJECTIVE, data)


# --- service -------------------------------------------------------------------------------------


def test_objectives_items_and_groups_are_added_in_order(world: World, session) -> None:
    objective(world, session)
    item = EntryInput(
        code="legal_aid",
        texts={"label": {"tr": "Hukuki destek", "en": "Legal aid"}, "description": {}},
        item_kind="action",
        objective="coordination",
    )
    ls.add_entry(session, world.facilitator, world.a, EntryKind.ITEM, item)
    group = EntryInput(code="ngo", texts={"name": {"tr": "STK"}}, target_share=0.25)
    ls.add_entry(session, world.facilitator, world.a, EntryKind.GROUP, group)
    view = ls.lists(session, world.facilitator, world.a)
    assert [o.code for o in view.objectives] == ["coordination"]
    assert view.objectives[0].uses == 1  # the item belongs to it
    assert [i.code for i in view.items] == ["housing", "jobs", "schools", "legal_aid"]
    added = view.items[-1]
    assert (added.objective, added.item_kind, added.texts["label"]["en"]) == (
        "coordination",
        "action",
        "Legal aid",
    )
    assert [(g.code, g.target_share) for g in view.groups] == [("ngo", 0.25)]
    events = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert events[-3:] == ["objective.add", "item.add", "group.add"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (EntryInput(code="Bad Code", texts={"title": dict(GOALS)}), "code"),
        (EntryInput(code="goal", texts={"title": {"en": "Only English"}}), "title_tr"),
        (EntryInput(code="goal", texts={"title": {"tr": "x", "fa": "y"}}), "title"),
    ],
)
def test_invalid_entries_are_refused_naming_the_field(
    world: World, session, data: EntryInput, field: str
) -> None:
    with pytest.raises(InvalidQuestionnaire) as refused:
        ls.add_entry(session, world.facilitator, world.a, EntryKind.OBJECTIVE, data)
    assert refused.value.field == field
    assert session.scalar(select(Objective).where(Objective.code == "goal")) is None


def test_codes_are_unique_and_objective_must_exist(world: World, session) -> None:
    objective(world, session)
    with pytest.raises(InvalidQuestionnaire, match="already has the code"):
        objective(world, session)
    item = EntryInput(code="x", texts={"label": {"tr": "X"}}, objective="nowhere")
    with pytest.raises(InvalidQuestionnaire, match="no objective"):
        ls.add_entry(session, world.facilitator, world.a, EntryKind.ITEM, item)
    group = EntryInput(code="g", texts={"name": {"tr": "G"}}, target_share=1.5)
    with pytest.raises(InvalidQuestionnaire, match="between 0 and 1"):
        ls.add_entry(session, world.facilitator, world.a, EntryKind.GROUP, group)


def test_entries_in_use_are_not_deleted(world: World, session) -> None:
    goal = objective(world, session)
    housing = session.scalar(select(Item).where(Item.consultation_id == world.a.id))
    housing.objective = goal
    s = section(world, session)
    qs.add_question(session, world.facilitator, world.a, s.id, ranking())
    group = ls.add_entry(
        session,
        world.facilitator,
        world.a,
        EntryKind.GROUP,
        EntryInput(code="ngo", texts={"name": {"tr": "STK"}}),
    )
    session.add(
        Invitation(
            consultation=world.a, token_hash="h" * 64, stakeholder_group_id=group.id, language="tr"
        )
    )
    session.flush()
    for kind, entry_id, message in [
        (EntryKind.OBJECTIVE, goal.id, "has 1 item"),
        (EntryKind.ITEM, housing.id, "asked about in 1 question"),
        (EntryKind.GROUP, group.id, "1 invitation"),
    ]:
        with pytest.raises(InvalidState, match=message):
            ls.delete_entry(session, world.facilitator, world.a, kind, entry_id)
    assert session.get(Item, housing.id) is not None
    unused = session.scalar(select(Item).where(Item.code == "schools"))
    qs.update_question(
        session,
        world.facilitator,
        world.a,
        session.scalar(select(Question.id).where(Question.code == "priorities")),
        ranking(item_codes=["housing", "jobs"]),
    )
    ls.delete_entry(session, world.facilitator, world.a, EntryKind.ITEM, unused.id)
    assert [i.code for i in ls.lists(session, world.facilitator, world.a).items] == [
        "housing",
        "jobs",
    ]
    assert [i.position for i in world.a.items] == [0, 1]


def test_closed_consultation_and_strangers_cannot_change_lists(world: World, session) -> None:
    objective_for_b = EntryInput(code="x", texts={"title": dict(GOALS)})
    with pytest.raises(Forbidden):
        ls.add_entry(session, world.other, world.a, EntryKind.OBJECTIVE, objective_for_b)
    world.a.state = ConsultationState.OPEN
    goal = objective(world, session)
    with pytest.raises(InvalidState, match="codes cannot change"):
        ls.update_entry(
            session,
            world.facilitator,
            world.a,
            EntryKind.OBJECTIVE,
            goal.id,
            EntryInput(code="renamed", texts={"title": dict(GOALS)}),
        )
    world.a.state = ConsultationState.CLOSED
    with pytest.raises(InvalidState, match="closed"):
        objective(world, session, "later")


def test_stale_edit_of_an_entry_is_a_conflict(world: World, session) -> None:
    goal = objective(world, session)
    seen = fingerprint(
        ls.entry_input(session, world.facilitator, world.a, EntryKind.OBJECTIVE, goal.id)
    )
    first = EntryInput(code="coordination", texts={"title": {**GOALS, "en": "Working together"}})
    ls.update_entry(
        session, world.facilitator, world.a, EntryKind.OBJECTIVE, goal.id, first, expected=seen
    )
    second = EntryInput(code="coordination", texts={"title": {**GOALS, "en": "Overwritten"}})
    with pytest.raises(Conflict):
        ls.update_entry(
            session, world.facilitator, world.a, EntryKind.OBJECTIVE, goal.id, second, expected=seen
        )
    assert session.get(Objective, goal.id).title["en"] == "Working together"


def test_stale_question_and_section_edits_are_conflicts(world: World, session) -> None:
    s = section(world, session)
    q = qs.add_question(session, world.facilitator, world.a, s.id, choice())
    seen_q = fingerprint(qs.question_input(session, world.facilitator, world.a, q.id))
    seen_s = fingerprint(qs.section_input(session, world.facilitator, world.a, s.id))
    # a move changes neither fingerprint
    qs.add_question(session, world.facilitator, world.a, s.id, choice("other"))
    qs.move_question(session, world.facilitator, world.a, q.id, 1)
    changed = choice(required=True)
    qs.update_question(session, world.facilitator, world.a, q.id, changed, expected=seen_q)
    with pytest.raises(Conflict, match="this question was changed"):
        qs.update_question(session, world.facilitator, world.a, q.id, choice(), expected=seen_q)
    assert session.get(Question, q.id).required is True
    renamed = qs.SectionInput(code="intro", title={"tr": "Başlangıç"})
    qs.update_section(session, world.facilitator, world.a, s.id, renamed, expected=seen_s)
    with pytest.raises(Conflict):
        qs.update_section(
            session,
            world.facilitator,
            world.a,
            s.id,
            qs.SectionInput(code="x", title={"tr": "X"}),
            expected=seen_s,
        )
    assert session.get(Section, s.id).code == "intro"


def test_question_moves_to_another_section_unless_a_condition_forbids(
    world: World, session
) -> None:
    first = section(world, session, "first")
    second = section(world, session, "second")
    role = qs.add_question(session, world.facilitator, world.a, first.id, choice())
    later = qs.add_question(session, world.facilitator, world.a, first.id, choice("later"))
    qs.add_question(session, world.facilitator, world.a, second.id, choice("tail"))
    qs.move_question_to_section(session, world.facilitator, world.a, later.id, second.id)
    view = qs.overview(session, world.facilitator, world.a)
    assert [[q.code for q in s.questions] for s in view.sections] == [["role"], ["tail", "later"]]
    # a question another refers to cannot move after it
    conditional = choice("conditional", display_condition={"question": "role", "equals": "ngo"})
    qs.add_question(session, world.facilitator, world.a, first.id, conditional)
    session.flush()
    with pytest.raises(InvalidQuestionnaire, match="earlier question"):
        qs.move_question_to_section(session, world.facilitator, world.a, role.id, second.id)


# --- web -----------------------------------------------------------------------------------------


@pytest.fixture
def client_a(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    sign_in(client, world.facilitator)
    return client


def test_lists_page_adds_edits_and_deletes_entries(
    app: Flask, world: World, client_a: FlaskClient
) -> None:
    post = lambda url, data: request(app, client_a, "POST", BASE + url, data=data)  # noqa: E731
    r = post(
        "/lists/objective/new",
        {"code": "coordination", **{f"title_{k}": v for k, v in GOALS.items()}},
    )
    assert r.status_code == 302
    r = post(
        "/lists/item/new",
        {
            "code": "legal_aid",
            "label_tr": "Hukuki destek",
            "label_en": "Legal aid",
            "label_ar": "المساعدة القانونية",
            "item_kind": "action",
            "objective": "coordination",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    r = post("/lists/group/new", {"code": "ngo", "name_tr": "STK", "target_share": "0,3"})
    assert r.status_code == 302, r.get_data(as_text=True)
    html = request(app, client_a, "GET", BASE + "/lists?lang=en").get_data(as_text=True)
    assert "المساعدة القانونية" in html
    assert html.count("Missing") >= 2  # the group's name in en and ar
    group_id = ids(StakeholderGroup, "ngo")
    assert db.session.get(StakeholderGroup, group_id).target_share == 0.3
    # errors keep what was typed
    r = post("/lists/item/new", {"code": "Bad", "label_en": "Kept text", "item_kind": "action"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Kept text" in html
    assert 'aria-invalid="true"' in html
    # the translation view links to the entry's form
    html = request(app, client_a, "GET", BASE + "/translations").get_data(as_text=True)
    assert f"/lists/group/{group_id}/edit" in html
    # edit, then delete with confirmation
    url = f"/lists/group/{group_id}/edit"
    form = request(app, client_a, "GET", BASE + url).get_data(as_text=True)
    assert 'name="fingerprint"' in form
    item_id = ids(Item, "legal_aid")
    r = request(app, client_a, "GET", f"{BASE}/lists/item/{item_id}/delete?lang=en")
    assert "Delete the item legal_aid?" in r.get_data(as_text=True)
    assert request(app, client_a, "POST", f"{BASE}/lists/item/{item_id}/delete").status_code == 302
    assert ids(Item, "legal_aid") is None
    assert request(app, client_a, "GET", BASE + "/lists/nothing/new").status_code == 404


def test_second_save_of_a_question_gets_a_conflict_page(
    app: Flask, world: World, client_a: FlaskClient
) -> None:
    build_two_questions(app, client_a)
    qid = ids(Question, "role")
    url = f"{BASE}/questionnaire/questions/{qid}/edit?lang=en"
    html = request(app, client_a, "GET", url).get_data(as_text=True)
    token = html.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    data = {
        "code": "role",
        "type": "single_choice",
        "fingerprint": token,
        "option_rows": "2",
        "text_tr": "Kurumunuz?",
        "text_en": "Which organisation?",
        "text_ar": "مؤسستك؟",
        "opt_0_code": "ngo",
        "opt_0_label_tr": "STK",
        "opt_0_label_en": "NGO",
        "opt_0_label_ar": "منظمة",
        "opt_1_code": "city",
        "opt_1_label_tr": "Belediye",
        "opt_1_label_en": "City",
        "opt_1_label_ar": "بلدية",
        "cond_question": "",
    }
    assert request(app, client_a, "POST", url, data=data).status_code == 302
    # a second facilitator saves from the same (now stale) page
    other = app.test_client()
    sign_in(other, world.facilitator)
    mine = {**data, "text_en": "My version"}
    r = request(app, other, "POST", url, data=mine)
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "Someone else saved this" in html
    assert "My version" in html  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Question, qid).text["en"] == "Which organisation?"
    # saving again after the warning replaces it, knowingly
    fresh = html.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    assert request(app, other, "POST", url, data={**mine, "fingerprint": fresh}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, qid).text["en"] == "My version"


def test_question_moves_between_sections_on_the_page(
    app: Flask, world: World, client_a: FlaskClient
) -> None:
    build_two_questions(app, client_a)
    r = request(
        app,
        client_a,
        "POST",
        f"{BASE}/questionnaire/sections/new",
        data={"code": "more", "title_tr": "Daha", "cond_question": ""},
    )
    assert r.status_code == 302
    more = ids(Section, "more")
    html = request(app, client_a, "GET", f"{BASE}/questionnaire?lang=en").get_data(as_text=True)
    assert "Move to section" in html
    qid = ids(Question, "priorities")
    url = f"{BASE}/questionnaire/questions/{qid}/section"
    assert request(app, client_a, "POST", url, data={"section": str(more)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, qid).section_id == more
    # the question it depends on cannot move after it: refused, nothing changed
    role = ids(Question, "role")
    url = f"{BASE}/questionnaire/questions/{role}/section"
    assert request(app, client_a, "POST", url, data={"section": str(more)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, role).section_id != more
    html = request(app, client_a, "GET", f"{BASE}/questionnaire?lang=en").get_data(as_text=True)
    assert "earlier question" in html
    assert request(app, client_a, "POST", url, data={"section": "x"}).status_code == 404


def test_item_kinds_are_stored(world: World, session) -> None:
    data = EntryInput(code="fear", texts={"label": {"tr": "Korku"}}, item_kind="challenge")
    item = ls.add_entry(session, world.facilitator, world.a, EntryKind.ITEM, data)
    assert item.kind == ItemKind.CHALLENGE


@pytest.mark.parametrize("language", ["tr", "en", "ar"])
def test_preview_renders_every_question_type_with_disabled_controls(
    app: Flask, world: World, session, language: str
) -> None:
    from consult.demo import question_types as qt
    from consult.models import Consultation, Membership, MembershipRole
    from consult.questions import type_names
    from consult.services.demo_question_types import load_question_types_demo

    load_question_types_demo(session)
    demo = session.scalar(select(Consultation).where(Consultation.slug == qt.SLUG))
    session.add(
        Membership(user=world.facilitator, consultation=demo, role=MembershipRole.FACILITATOR)
    )
    session.commit()
    types = set(
        session.scalars(
            select(Question.type).where(Question.round_id.in_([r.id for r in demo.rounds]))
        )
    )
    assert types == set(type_names())  # the demo has one question of every registered type
    client = app.test_client()
    sign_in(client, world.facilitator)
    r = request(app, client, "GET", f"/manage/consultations/{qt.SLUG}/preview?lang={language}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    controls = "".join(html.split('<fieldset class="preview__controls" disabled>')[1:])
    codes = session.scalars(select(Question.code).where(Question.round_id == demo.rounds[0].id))
    for code in codes:
        assert f'id="question-{code}"' in controls, code
