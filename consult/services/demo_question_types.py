"""Load the second demo consultation, ``question-types``: one question of every type."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.demo import content
from consult.demo import question_types as qt
from consult.models import (
    AnonymityMode,
    Consultation,
    ConsultationState,
    Item,
    ItemKind,
    Objective,
    Option,
    Question,
    QuestionItem,
    Response,
    Round,
    RoundState,
    Section,
)
from consult.services.demo import DemoResult


def load_question_types_demo(session: Session) -> DemoResult:
    """Create the ``question-types`` demo consultation (open link, open, one open round).

    It has no responses. If a consultation with its slug exists, nothing changes and ``created``
    is False. Flushes, never commits: the caller commits once.
    """
    existing = session.scalar(select(Consultation).where(Consultation.slug == qt.SLUG))
    if existing is not None:
        count = session.scalar(
            select(func.count(Response.id)).join(Round).where(Round.consultation_id == existing.id)
        )
        return DemoResult(created=False, slug=qt.SLUG, responses=int(count or 0))
    session.add(_build_consultation())
    session.flush()
    return DemoResult(created=True, slug=qt.SLUG, responses=0)


def _scale_options(labels: list[dict[str, str]]) -> list[Option]:
    """Labelled points 1..N, then "don't know"."""
    options = [
        Option(code=str(i), position=i, value=float(i), label=label)
        for i, label in enumerate(labels, start=1)
    ]
    options.append(
        Option(code="dont_know", position=len(labels) + 1, value=None, label=qt.DONT_KNOW)
    )
    return options


def _build_consultation() -> Consultation:
    consultation = Consultation(
        slug=qt.SLUG,
        state=ConsultationState.OPEN,
        languages=list(qt.LANGUAGES),
        default_language=qt.DEFAULT_LANGUAGE,
        anonymity=AnonymityMode.CONFIDENTIAL,
        open_link=True,
        is_demo=True,
        min_group_size=5,
        **qt.CONSULTATION,
    )
    objectives = {
        code: Objective(code=code, position=i, title=title)
        for i, (code, title) in enumerate(content.OBJECTIVES)
    }
    consultation.objectives = list(objectives.values())
    action_of = {code: (objective, label) for code, objective, label in content.ACTIONS}
    challenge_of = dict(content.CHALLENGES)
    items = {
        code: Item(
            code=code,
            kind=ItemKind.ACTION,
            objective=objectives[action_of[code][0]],
            position=i,
            label=action_of[code][1],
        )
        for i, code in enumerate(qt.ACTIONS)
    }
    items |= {
        code: Item(code=code, kind=ItemKind.CHALLENGE, position=100 + i, label=challenge_of[code])
        for i, code in enumerate(qt.CHALLENGES)
    }
    consultation.items = list(items.values())

    round_ = Round(number=1, state=RoundState.OPEN, title=qt.CONSULTATION["title"])
    consultation.rounds = [round_]
    sections = {
        code: Section(code=code, position=i, title=title, description=description)
        for i, (code, title, description) in enumerate(qt.SECTIONS)
    }
    round_.sections = list(sections.values())
    round_.questions = [
        Question(
            code=spec["type"],
            type=spec["type"],
            section=sections[spec["section"]],
            round=round_,
            position=position,
            required=spec["required"],
            text=spec["text"],
            help=spec.get("help", {}),
            settings=dict(spec.get("settings", {})),
            display_condition=spec.get("display_condition"),
            options=(
                _scale_options(spec["scale"])
                if "scale" in spec
                else [
                    Option(code=code, position=i, label=label)
                    for i, (code, label) in enumerate(spec.get("options", []))
                ]
            ),
            question_items=[
                QuestionItem(item=items[code], position=i)
                for i, code in enumerate(spec.get("items", []))
            ],
        )
        for position, spec in enumerate(qt.QUESTIONS)
    ]
    return consultation
