"""The consultation state machine, translations at opening, creating, editing, copying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from consult.models import (
    AnonymityMode,
    Answer,
    AuditEvent,
    Consultation,
    ConsultationState,
    Invitation,
    Membership,
    MembershipRole,
    Option,
    Response,
    Round,
    RoundState,
)
from consult.services import lifecycle as lc
from consult.services.demo import load_demo
from consult.services.errors import Conflict, Forbidden, InvalidState, NotFound
from tests.facilitation.conftest import LANGUAGES, by_slug

pytestmark = pytest.mark.db

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def actions(session, consultation=None):
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if consultation is not None:
        query = query.where(AuditEvent.consultation_id == consultation.id)
    return list(session.scalars(query))


@pytest.fixture
def draft(session, staff, action_plan) -> Consultation:
    """A complete draft: a copy of the demo action plan."""
    return lc.copy_consultation(session, staff.facilitator, action_plan, "action-plan-2025")


def option(consultation, question_code, option_code) -> Option:
    question = next(q for q in consultation.rounds[0].questions if q.code == question_code)
    return next(o for o in question.options if o.code == option_code)


# --- creating ------------------------------------------------------------------------------------


def test_a_facilitator_creates_a_draft_and_becomes_its_facilitator(session, staff):
    c = lc.create_consultation(
        session,
        staff.facilitator,
        "district-needs-2026",
        ["tr", "ar"],
        "tr",
        {"tr": "İlçe ihtiyaçları", "ar": "احتياجات الأحياء"},
        allowed_languages=LANGUAGES,
        anonymity="anonymous",
    )
    assert c.state == ConsultationState.DRAFT
    assert c.anonymity == AnonymityMode.ANONYMOUS
    assert [(r.number, r.state) for r in c.rounds] == [(1, RoundState.DRAFT)]
    (membership,) = c.memberships
    assert (membership.user, membership.role) == (staff.facilitator, MembershipRole.FACILITATOR)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.create")
    ).one()
    assert (event.actor_id, event.consultation_id, event.object_type) == (
        staff.facilitator.id,
        c.id,
        "consultation",
    )
    assert event.details == {"slug": "district-needs-2026", "languages": ["tr", "ar"]}


@pytest.mark.parametrize(
    "slug", ["", "Capital", "-edge", "edge-", "under_score", "çay", "a b", "x" * 81, "ok/no"]
)
def test_malformed_slugs_are_refused(session, staff, slug):
    with pytest.raises(lc.InvalidSettings, match="not valid"):
        lc.create_consultation(
            session, staff.admin, slug, ["en"], "en", {"en": "T"}, allowed_languages=LANGUAGES
        )


def test_a_taken_slug_is_a_conflict(session, staff, action_plan):
    with pytest.raises(Conflict, match="'migration-action-plan' is already taken"):
        lc.create_consultation(
            session,
            staff.admin,
            "migration-action-plan",
            ["en"],
            "en",
            {"en": "T"},
            allowed_languages=LANGUAGES,
        )


@pytest.mark.parametrize(
    ("languages", "default", "title", "message"),
    [
        (["fa"], "fa", {}, "'fa' is not offered here"),
        ([], "en", {}, "at least one language"),
        (["en", "en"], "en", {}, "listed twice"),
        (["en"], "tr", {}, "default language must be one of"),
        (["en"], "en", {"tr": "Başlık"}, "languages the consultation does not use: tr"),
    ],
)
def test_languages_are_checked(session, staff, languages, default, title, message):
    with pytest.raises(lc.InvalidSettings, match=message):
        lc.create_consultation(
            session, staff.admin, "x", languages, default, title, allowed_languages=LANGUAGES
        )


def test_only_facilitators_and_admins_create(session, staff):
    for user in (staff.analyst, staff.inactive, None):
        with pytest.raises(Forbidden):
            lc.create_consultation(
                session, user, "x", ["en"], "en", {"en": "T"}, allowed_languages=LANGUAGES
            )


# --- opening: what is missing --------------------------------------------------------------------


def test_an_empty_draft_cannot_open_and_is_told_everything(session, staff):
    c = lc.create_consultation(
        session,
        staff.facilitator,
        "empty",
        ["tr", "en"],
        "tr",
        {"tr": "Boş"},
        allowed_languages=LANGUAGES,
        closes_at=NOW - timedelta(days=1),
    )
    with pytest.raises(lc.OpeningRefused) as refused:
        lc.open_consultation(session, staff.facilitator, c, NOW)
    assert refused.value.problems == [
        "round 1 has no questions",
        "the closing time 2026-03-03T12:00:00+00:00 has passed: move it later or remove it",
        "missing translation — consultation: title missing in en",
        "missing translation — consultation: organiser missing in tr, en",
        "missing translation — consultation: privacy notice missing in tr, en",
    ]
    assert "round 1 has no questions" in refused.value.message
    assert c.state == ConsultationState.DRAFT
    assert "consultation.open" not in actions(session)


def test_a_complete_copy_has_nothing_missing(draft):
    assert lc.missing_translations(draft) == []


def test_a_missing_arabic_option_label_is_named(session, staff, draft):
    dont_know = option(draft, "challenge_severity", "dont_know")
    dont_know.label = {k: v for k, v in dont_know.label.items() if k != "ar"}
    expected = lc.MissingText(
        what="label",
        where="round 1 / question challenge_severity / option dont_know",
        languages=("ar",),
    )
    assert lc.missing_translations(draft) == [expected]
    with pytest.raises(lc.OpeningRefused) as refused:
        lc.open_consultation(session, staff.facilitator, draft, NOW)
    assert refused.value.missing == [expected]
    assert refused.value.problems == [
        "missing translation — round 1 / question challenge_severity / option dont_know: "
        "label missing in ar"
    ]


def test_blank_texts_and_half_translated_optional_texts_are_missing(session, draft):
    item = next(i for i in draft.items if i.code == "interpretation")
    item.label = {**item.label, "en": "   "}
    item.description = {"tr": "Açıklama"}
    group = draft.stakeholder_groups[0]
    group.name = {"tr": group.name["tr"]}
    section = draft.rounds[0].sections[0]
    section.description = {"en": "About you"}
    missing = {(m.where, m.what): m.languages for m in lc.missing_translations(draft)}
    assert missing == {
        ("item interpretation", "label"): ("en",),
        ("item interpretation", "description"): ("en", "ar"),
        (f"stakeholder group {group.code}", "name"): ("en", "ar"),
        (f"round 1 / section {section.code}", "description"): ("tr", "ar"),
    }


def test_a_question_text_an_objective_and_the_privacy_notice(session, draft):
    question = draft.rounds[0].questions[0]
    question.text = {"tr": question.text["tr"]}
    draft.objectives[0].title = {}
    draft.privacy_notice = {"en": draft.privacy_notice["en"]}
    assert [str(m) for m in lc.missing_translations(draft)] == [
        "consultation: privacy notice missing in tr, ar",
        f"objective {draft.objectives[0].code}: title missing in tr, en, ar",
        f"round 1 / question {question.code}: text missing in en, ar",
    ]


def test_a_round_without_questions_and_no_round_at_all(session, staff, draft):
    draft.rounds[0].questions.clear()
    session.flush()
    with pytest.raises(lc.OpeningRefused, match="round 1 has no questions"):
        lc.open_consultation(session, staff.facilitator, draft, NOW)
    draft.rounds.clear()
    session.flush()
    with pytest.raises(lc.OpeningRefused, match="there is no round to open"):
        lc.open_consultation(session, staff.facilitator, draft, NOW)


def test_an_inconsistent_round_schedule_is_refused(session, staff, draft):
    draft.closes_at = NOW + timedelta(days=10)
    draft.rounds[0].closes_at = NOW + timedelta(days=20)
    with pytest.raises(lc.OpeningRefused) as refused:
        lc.open_consultation(session, staff.facilitator, draft, NOW)
    assert refused.value.problems == [
        "round 1 is scheduled outside the consultation's opening and closing time"
    ]


# --- transitions ---------------------------------------------------------------------------------


def test_draft_open_closed_reopened_closed_archived(session, staff, draft):
    fac = staff.facilitator
    with pytest.raises(
        InvalidState, match="only an open consultation can be closed; this one is draft"
    ):
        lc.close_consultation(session, fac, draft)
    with pytest.raises(InvalidState, match="only a closed consultation can be archived"):
        lc.archive_consultation(session, fac, draft)

    round_ = lc.open_consultation(session, fac, draft, NOW)
    assert (draft.state, round_.number, round_.state) == (
        ConsultationState.OPEN,
        1,
        RoundState.OPEN,
    )
    with pytest.raises(
        InvalidState, match="only a draft consultation can be opened; this one is open"
    ):
        lc.open_consultation(session, fac, draft, NOW)
    with pytest.raises(InvalidState, match="only a closed consultation can be reopened"):
        lc.reopen_consultation(session, fac, draft, NOW)
    with pytest.raises(
        InvalidState, match="only a closed consultation can be archived; this one is open"
    ):
        lc.archive_consultation(session, fac, draft)

    lc.close_consultation(session, fac, draft)
    assert (draft.state, round_.state) == (ConsultationState.CLOSED, RoundState.CLOSED)
    lc.reopen_consultation(session, fac, draft, NOW)
    assert (draft.state, round_.state) == (ConsultationState.OPEN, RoundState.OPEN)
    lc.close_consultation(session, fac, draft)
    lc.archive_consultation(session, fac, draft)
    assert draft.state == ConsultationState.ARCHIVED

    final = "this one is archived \\(archived is final\\)"
    for attempt in (
        lambda: lc.open_consultation(session, fac, draft, NOW),
        lambda: lc.reopen_consultation(session, fac, draft, NOW),
        lambda: lc.close_consultation(session, fac, draft),
        lambda: lc.archive_consultation(session, fac, draft),
    ):
        with pytest.raises(InvalidState, match=final):
            attempt()
    with pytest.raises(InvalidState, match="an archived consultation cannot change"):
        lc.update_consultation(
            session, fac, draft, draft.version, allowed_languages=LANGUAGES, open_link=False
        )
    assert actions(session, draft) == [
        "consultation.copy",
        "consultation.open",
        "consultation.close",
        "consultation.reopen",
        "consultation.close",
        "consultation.archive",
    ]
    opened = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.open")
    ).one()
    assert opened.details == {"round": 1, "previous": "draft"}
    assert opened.actor_id == fac.id


def test_reopening_needs_a_closing_time_in_the_future(session, staff, draft):
    lc.open_consultation(session, staff.facilitator, draft, NOW)
    lc.close_consultation(session, staff.facilitator, draft)
    draft.closes_at = NOW + timedelta(hours=1)
    later = NOW + timedelta(days=2)
    with pytest.raises(lc.OpeningRefused, match="has passed: move it later"):
        lc.reopen_consultation(session, staff.facilitator, draft, later)
    assert draft.state == ConsultationState.CLOSED
    assert draft.rounds[0].state == RoundState.CLOSED


def test_only_editors_move_a_consultation(session, staff, draft):
    for user in (staff.analyst, staff.other_facilitator, staff.inactive, None):
        with pytest.raises(Forbidden):
            lc.open_consultation(session, user, draft, NOW)
    lc.open_consultation(session, staff.admin, draft, NOW)  # admins may do everything


def test_a_stale_version_stops_a_transition(session, staff, draft):
    stale = draft.version
    lc.update_consultation(
        session, staff.facilitator, draft, stale, allowed_languages=LANGUAGES, open_link=False
    )
    with pytest.raises(Conflict, match="someone else changed this consultation"):
        lc.open_consultation(session, staff.facilitator, draft, NOW, expected_version=stale)


# --- questionnaire changes -----------------------------------------------------------------------


def test_an_answered_question_keeps_its_type_options_and_items(session):
    load_demo(session, responses=5)
    demo = by_slug(session, "migration-action-plan")
    questions = {q.code: q for q in demo.rounds[0].questions}
    severity = questions["challenge_severity"]
    with pytest.raises(InvalidState) as refused:
        lc.check_question_change(session, severity, new_type="rating")
    assert refused.value.message == (
        "question 'challenge_severity' already has answers from 5 response(s): its type cannot "
        "change from matrix to rating; add a new question instead"
    )
    with pytest.raises(InvalidState, match=r"its options cannot be removed \(3, dont_know\)"):
        lc.check_question_change(session, severity, removed_option_codes=["dont_know", "3", "zz"])
    with pytest.raises(InvalidState, match=r"its items cannot be removed \(hate_speech\)"):
        lc.check_question_change(session, severity, removed_item_codes=["hate_speech"])
    # harmless changes pass
    lc.check_question_change(session, severity, new_type="matrix", removed_option_codes=["zz"])


def test_an_unanswered_question_may_change(session, question_types):
    question = question_types.rounds[0].questions[0]
    assert not session.scalar(
        select(func.count(Answer.id)).where(Answer.question_id == question.id)
    )
    # no answers yet: changing the type and removing every option is allowed (no exception)
    lc.check_question_change(
        session,
        question,
        new_type="text",
        removed_option_codes=[o.code for o in question.options],
    )


# --- editing with optimistic locking -------------------------------------------------------------


def test_an_edit_bumps_the_version_and_a_stale_edit_is_a_conflict(session, staff, draft):
    first = draft.version
    lc.update_consultation(
        session,
        staff.facilitator,
        draft,
        first,
        allowed_languages=LANGUAGES,
        title={**draft.title, "en": "Action plan 2025"},
        min_group_size=3,
    )
    assert draft.version == first + 1
    assert draft.title["en"] == "Action plan 2025"
    with pytest.raises(Conflict, match=f"version {first + 1}, yours {first}"):
        lc.update_consultation(
            session, staff.facilitator, draft, first, allowed_languages=LANGUAGES, min_group_size=9
        )
    assert draft.min_group_size == 3
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.update")
    ).one()
    assert event.details == {"fields": ["min_group_size", "title"], "version": first + 1}


def test_a_concurrent_write_between_read_and_flush_is_a_conflict(session, staff, draft):
    version = draft.version
    session.execute(  # another request saved first
        update(Consultation.__table__)
        .where(Consultation.__table__.c.id == draft.id)
        .values(version=version + 1)
    )
    with pytest.raises(Conflict, match="at the same time"):
        lc.update_consultation(
            session, staff.facilitator, draft, version, allowed_languages=LANGUAGES, open_link=False
        )
    session.rollback()


def test_what_may_change_once_open(session, staff, draft):
    fac = staff.facilitator
    lc.open_consultation(session, fac, draft, NOW)

    def edit(**changes):
        lc.update_consultation(
            session, fac, draft, draft.version, allowed_languages=LANGUAGES, **changes
        )

    with pytest.raises(InvalidState, match="anonymity mode cannot change"):
        edit(anonymity="anonymous")
    with pytest.raises(
        InvalidState, match="languages cannot change while the consultation is open"
    ):
        edit(languages=["tr", "en"], title={k: v for k, v in draft.title.items() if k != "ar"})
    with pytest.raises(InvalidState, match="consultation: organiser missing in ar"):
        edit(organiser={**draft.organiser, "ar": ""})
    with pytest.raises(lc.InvalidSettings, match="cannot be changed here: slug"):
        edit(slug="new")
    edit(closes_at=NOW + timedelta(days=30))  # extending the deadline is fine
    assert draft.closes_at == NOW + timedelta(days=30)


def test_editing_is_for_editors(session, staff, draft):
    with pytest.raises(Forbidden):
        lc.update_consultation(
            session, staff.analyst, draft, draft.version, allowed_languages=LANGUAGES
        )


# --- copying -------------------------------------------------------------------------------------


def test_a_copy_is_a_draft_without_responses_or_invitations(session, staff):
    load_demo(session, responses=7)
    demo = by_slug(session, "migration-action-plan")
    session.add(Invitation(consultation=demo, token_hash="0" * 64, language="tr"))
    session.flush()
    admin = staff.admin
    copy = lc.copy_consultation(session, admin, demo, "action-plan-copy")
    assert copy.slug == "action-plan-copy"
    assert copy.state == ConsultationState.DRAFT
    assert not copy.is_demo
    assert [r.state for r in copy.rounds] == [RoundState.DRAFT]
    assert copy.title == demo.title
    assert [q.code for q in copy.rounds[0].questions] == [q.code for q in demo.rounds[0].questions]
    assert [i.code for i in copy.items] == [i.code for i in demo.items]
    assert (
        session.scalar(
            select(func.count(Response.id)).join(Round).where(Round.consultation_id == copy.id)
        )
        == 0
    )
    assert copy.invitations == []
    assert [(m.user, m.role) for m in copy.memberships] == [(admin, MembershipRole.FACILITATOR)]
    assert actions(session, copy) == ["consultation.copy"]
    copied = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.copy")
    ).one()
    assert copied.details == {"source": "migration-action-plan"}
    assert "consultation.export" not in actions(session)


def test_copy_needs_a_free_slug_and_edit_rights(session, staff, action_plan):
    with pytest.raises(Conflict):
        lc.copy_consultation(session, staff.facilitator, action_plan, "question-types")
    with pytest.raises(lc.InvalidSettings):
        lc.copy_consultation(session, staff.facilitator, action_plan, "Not A Slug")
    with pytest.raises(Forbidden):
        lc.copy_consultation(session, staff.analyst, action_plan, "mine")


# --- members -------------------------------------------------------------------------------------


def test_members_are_added_and_removed_by_editors(session, staff, action_plan, question_types):
    outsider = staff.outside_analyst
    membership = lc.add_member(session, staff.facilitator, action_plan, outsider, "analyst")
    assert membership.role == MembershipRole.ANALYST
    with pytest.raises(Conflict, match="already a analyst"):
        lc.add_member(session, staff.admin, action_plan, outsider, MembershipRole.FACILITATOR)
    with pytest.raises(Forbidden):
        lc.add_member(session, staff.other_facilitator, action_plan, staff.admin, "facilitator")
    with pytest.raises(InvalidState, match="inactive"):
        lc.add_member(session, staff.admin, question_types, staff.inactive, "facilitator")
    with pytest.raises(lc.InvalidSettings, match="unknown membership role"):
        lc.add_member(session, staff.admin, question_types, outsider, "owner")
    lc.remove_member(session, staff.facilitator, action_plan, outsider)
    assert session.scalar(select(Membership).where(Membership.user_id == outsider.id)) is None
    with pytest.raises(NotFound):
        lc.remove_member(session, staff.facilitator, action_plan, outsider)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("membership.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.details) for e in events[-2:]] == [
        ("membership.add", {"user": outsider.email, "role": "analyst"}),
        ("membership.remove", {"user": outsider.email, "role": "analyst"}),
    ]
