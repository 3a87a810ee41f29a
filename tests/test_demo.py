"""The demo consultation: content, synthetic responses, determinism and idempotence."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    Answer,
    Consultation,
    Item,
    ItemKind,
    Question,
    Response,
    ResponseState,
    StakeholderGroup,
)
from consult.services.demo import load_demo

pytestmark = pytest.mark.db

CODES = [
    "stakeholder_group",
    "district",
    "challenge_severity",
    "action_priority",
    "top5_actions",
    "comments",
]


def _responses_by_group(session) -> dict[str, int]:
    rows = session.execute(
        select(StakeholderGroup.code, func.count(Response.id))
        .join(Response, Response.stakeholder_group_id == StakeholderGroup.id)
        .where(Response.state == ResponseState.SUBMITTED)
        .group_by(StakeholderGroup.code)
    )
    return dict(rows.all())


def test_demo_command_loads_123_responses_across_7_groups_once(runner, session):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "migration-action-plan with 123 responses" in result.output
    assert "question-types" in result.output
    by_group = _responses_by_group(session)
    assert len(by_group) == 7
    assert sum(by_group.values()) == 123
    assert by_group["district_municipality"] > 4 * by_group["donor"]  # very unequal groups
    answers_before = session.scalar(select(func.count(Answer.id)))

    again = runner.invoke(args=["demo", "--responses", "50"])
    assert again.exit_code == 0
    assert "nothing changed" in again.output
    assert session.scalar(select(func.count(Response.id))) == 123
    assert session.scalar(select(func.count(Answer.id))) == answers_before
    assert session.scalar(select(func.count(Consultation.id))) == 2  # and question-types


def test_demo_content_matches_the_domain(session):
    load_demo(session, responses=0)
    consultation = session.scalar(select(Consultation))
    assert consultation.slug == "migration-action-plan"
    assert consultation.open_link
    assert consultation.is_demo
    assert consultation.languages == ["tr", "en", "ar"]
    assert len(consultation.objectives) == 4
    actions = [i for i in consultation.items if i.kind == ItemKind.ACTION]
    challenges = [i for i in consultation.items if i.kind == ItemKind.CHALLENGE]
    assert len(actions) == 16
    assert len(challenges) == 6
    assert {len(o.items) for o in consultation.objectives} == {4}
    assert len(consultation.stakeholder_groups) == 7
    questions = {q.code: q for q in consultation.rounds[0].questions}
    assert list(questions) == CODES
    assert questions["top5_actions"].settings["top_k"] == 5
    assert len(questions["action_priority"].question_items) == 16
    assert len(questions["challenge_severity"].question_items) == 6


def test_every_demo_text_is_translated(session):
    load_demo(session, responses=0)
    consultation = session.scalar(select(Consultation))
    texts = [
        consultation.title,
        consultation.description,
        consultation.organiser,
        consultation.privacy_notice,
    ]
    texts += [o.title for o in consultation.objectives]
    texts += [i.label for i in consultation.items]
    texts += [g.name for g in consultation.stakeholder_groups]
    round_ = consultation.rounds[0]
    texts += [s.title for s in round_.sections]
    for q in round_.questions:
        texts.append(q.text)
        texts += [o.label for o in q.options]
    for text in texts:
        assert {k for k, v in text.items() if v.strip()} == {"tr", "en", "ar"}, text


def _answer_frame(session) -> pd.DataFrame:
    rows = session.execute(
        select(
            Response.receipt_code,
            StakeholderGroup.code,
            Question.code,
            Item.code,
            Answer.number,
            Answer.flag,
            Answer.text,
        )
        .join(Answer.response)
        .join(StakeholderGroup, Response.stakeholder_group_id == StakeholderGroup.id)
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(Item, Answer.item_id == Item.id)
        .order_by(Response.receipt_code, Question.code, Item.code)
    )
    return pd.DataFrame(
        rows.all(), columns=["receipt", "group", "question", "item", "number", "flag", "text"]
    )


def test_demo_is_deterministic_for_a_seed(app, session):
    load_demo(session, responses=40, seed=5)
    first = _answer_frame(session)
    session.rollback()
    load_demo(session, responses=40, seed=5)
    assert _answer_frame(session).equals(first)
    session.rollback()
    load_demo(session, responses=40, seed=6)
    assert not _answer_frame(session).equals(first)


def test_demo_answers_differ_plausibly_by_group(session):
    load_demo(session, responses=600, seed=1)
    frame = _answer_frame(session)
    priority = frame[frame.question == "action_priority"].dropna(subset=["number"])
    means = priority.groupby(["group", "item"]).number.mean()
    assert (
        means["self_organization", "selforg_grants"]
        > means["public_institution", "selforg_grants"] + 0.8
    )
    assert (
        means["district_municipality", "transfer_advocacy"]
        > means["self_organization", "transfer_advocacy"] + 0.8
    )
    assert means["academic", "district_data"] > means["donor", "district_data"]
    ranks = frame[frame.question == "top5_actions"]
    assert (ranks.groupby("receipt").number.apply(sorted).map(tuple) == (1, 2, 3, 4, 5)).all()
    assert set(priority.number.unique()) <= {1, 2, 3, 4, 5}
    assert (frame.flag == "dont_know").sum() > 0  # "don't know" answers exist
    assert frame[frame.question == "comments"].text.notna().sum() > 0


def test_a_failure_midway_leaves_no_half_loaded_demo(runner, session, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def explode(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr("consult.services.demo._add_responses", explode)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 2
    assert "disk I/O error" in result.output
    assert session.scalar(select(func.count(Consultation.id))) == 0
    assert db.session.scalar(select(func.count(Item.id))) == 0
