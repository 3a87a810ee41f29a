"""Load the second demo consultation, ``question-types``: one question of every type."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult.demo import content
from consult.demo import question_types as qt
from consult.models import (
    Consultation,
    Item,
    ItemKind,
    Option,
    Question,
    QuestionItem,
    Round,
    RoundState,
    Section,
)
from consult.services.demo import DemoResult, demo_consultation, existing_demo, scale_options


def load_question_types_demo(session: Session) -> DemoResult:
    """Create the ``question-types`` demo consultation (open link, open, one open round).

    It has no responses. If a consultation with its slug exists, nothing changes and ``created``
    is False. Flushes, never commits: the caller commits once.
    """
    loaded = existing_demo(session, qt.SLUG)
    if loaded is not None:
        return loaded
    session.add(_build_consultation())
    session.flush()
    return DemoResult(created=True, slug=qt.SLUG, responses=0)


def _build_consultation() -> Consultation:
    consultation = demo_consultation(qt.SLUG, qt.CONSULTATION)
    objectives = {o.code: o for o in consultation.objectives}
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
                scale_options(spec["scale"], qt.DONT_KNOW)
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
