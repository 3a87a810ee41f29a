"""Load the demo consultation with deterministic synthetic responses (clearly marked as demo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from consult.demo import content as c
from consult.models import (
    AnonymityMode,
    Answer,
    Consultation,
    ConsultationState,
    Item,
    ItemKind,
    Objective,
    Option,
    Question,
    QuestionItem,
    Response,
    ResponseSource,
    ResponseState,
    Round,
    RoundState,
    Section,
    StakeholderGroup,
)
from consult.services.errors import ServiceError
from consult.services.tokens import new_receipt_code

WORKSHOP_DAY = datetime(2019, 12, 2, 7, 0, tzinfo=UTC)
MAX_DEMO_RESPONSES = 100_000


@dataclass(frozen=True)
class DemoResult:
    """What ``load_demo`` did."""

    created: bool
    slug: str
    responses: int


def load_demo(session: Session, responses: int = 123, seed: int = 2019) -> DemoResult:
    """Create the demo consultation and ``responses`` synthetic submitted responses.

    Deterministic for a seed. If a consultation with the demo slug exists, nothing changes and
    ``created`` is False. Flushes, never commits: the caller commits once (all or nothing).
    """
    if not 0 <= responses <= MAX_DEMO_RESPONSES:
        raise ServiceError(f"--responses must be between 0 and {MAX_DEMO_RESPONSES}")
    loaded = existing_demo(session, c.SLUG)
    if loaded is not None:
        return loaded
    consultation = _build_consultation()
    session.add(consultation)
    session.flush()
    _add_responses(session, consultation, responses, np.random.default_rng(seed))
    return DemoResult(created=True, slug=c.SLUG, responses=responses)


def existing_demo(session: Session, slug: str) -> DemoResult | None:
    """What is there when a demo with ``slug`` was loaded already (None when it was not)."""
    existing = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if existing is None:
        return None
    count = session.scalar(
        select(func.count(Response.id)).join(Round).where(Round.consultation_id == existing.id)
    )
    return DemoResult(created=False, slug=slug, responses=int(count or 0))


def scale_options(labels: list[dict[str, str]], dont_know: dict[str, str]) -> list[Option]:
    """Labelled scale points 1..N, then "don't know"."""
    options = [
        Option(code=str(i), position=i, value=float(i), label=label)
        for i, label in enumerate(labels, start=1)
    ]
    options.append(Option(code="dont_know", position=len(labels) + 1, value=None, label=dont_know))
    return options


def demo_consultation(slug: str, texts: dict[str, dict[str, str]]) -> Consultation:
    """An open, open-link demo consultation in tr/en/ar with the action plan's objectives."""
    consultation = Consultation(
        slug=slug,
        state=ConsultationState.OPEN,
        languages=list(c.LANGUAGES),
        default_language=c.DEFAULT_LANGUAGE,
        anonymity=AnonymityMode.CONFIDENTIAL,
        open_link=True,
        is_demo=True,
        min_group_size=5,
        **texts,
    )
    consultation.objectives = [
        Objective(code=code, position=i, title=title)
        for i, (code, title) in enumerate(c.OBJECTIVES)
    ]
    return consultation


def _build_consultation() -> Consultation:
    consultation = demo_consultation(c.SLUG, c.CONSULTATION)
    objectives = {o.code: o for o in consultation.objectives}
    actions = [
        Item(code=code, kind=ItemKind.ACTION, objective=objectives[obj], position=i, label=label)
        for i, (code, obj, label) in enumerate(c.ACTIONS)
    ]
    challenges = [
        Item(code=code, kind=ItemKind.CHALLENGE, position=100 + i, label=label)
        for i, (code, label) in enumerate(c.CHALLENGES)
    ]
    consultation.items = actions + challenges
    consultation.stakeholder_groups = [
        StakeholderGroup(code=code, position=i, name=name)
        for i, (code, name, _share) in enumerate(c.STAKEHOLDER_GROUPS)
    ]
    round_ = Round(number=1, state=RoundState.OPEN, title=c.CONSULTATION["title"])
    consultation.rounds = [round_]
    sections = {
        code: Section(code=code, position=i, title=title)
        for i, (code, title) in enumerate(c.SECTIONS)
    }
    round_.sections = list(sections.values())

    def question(code: str, section: str, type_: str, position: int, **kw: object) -> Question:
        return Question(
            code=code,
            type=type_,
            section=sections[section],
            round=round_,
            position=position,
            text=c.QUESTIONS[code],
            **kw,
        )

    def items_of(items: list[Item]) -> list[QuestionItem]:
        return [QuestionItem(item=item, position=i) for i, item in enumerate(items)]

    round_.questions = [
        question(
            "stakeholder_group",
            "profile",
            "single_choice",
            0,
            required=True,
            settings={"profile_field": "stakeholder_group"},
            options=[
                Option(code=code, position=i, label=name)
                for i, (code, name, _s) in enumerate(c.STAKEHOLDER_GROUPS)
            ],
        ),
        question(
            "district",
            "profile",
            "single_choice",
            1,
            required=True,
            settings={"profile_field": "district"},
            options=[
                Option(code=code, position=i, label=name)
                for i, (code, name) in enumerate(c.DISTRICTS)
            ],
        ),
        question(
            "challenge_severity",
            "challenges",
            "matrix",
            2,
            required=True,
            settings={"scale_min": 1, "scale_max": 5, "dont_know": True},
            options=scale_options(c.SEVERITY_SCALE, c.DONT_KNOW),
            question_items=items_of(challenges),
        ),
        question(
            "action_priority",
            "priorities",
            "matrix",
            3,
            required=True,
            settings={"scale_min": 1, "scale_max": 5, "dont_know": True},
            options=scale_options(c.PRIORITY_SCALE, c.DONT_KNOW),
            question_items=items_of(actions),
        ),
        question(
            "top5_actions",
            "priorities",
            "ranking",
            4,
            required=True,
            settings={"top_k": 5},
            question_items=items_of(actions),
        ),
        question(
            "comments",
            "comments",
            "long_text",
            5,
            required=False,
            settings={"max_length": 2000},
        ),
    ]
    return consultation


def _allocate(total: int, shares: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``shares`` by largest remainder (deterministic)."""
    raw = np.array(shares, dtype=float) * total / sum(shares)
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def _add_responses(
    session: Session, consultation: Consultation, n: int, rng: np.random.Generator
) -> None:
    round_ = consultation.rounds[0]
    questions = {q.code: q for q in round_.questions}
    groups = consultation.stakeholder_groups
    counts = _allocate(n, [share for (_c, _n, share) in c.STAKEHOLDER_GROUPS])
    group_of = [g for g, k in zip(groups, counts, strict=True) for _ in range(k)]
    rng.shuffle(group_of)  # interleave groups over time

    actions = [qi.item for qi in questions["action_priority"].question_items]
    challenges = [qi.item for qi in questions["challenge_severity"].question_items]
    district_opts = questions["district"].options
    group_opts = {o.code: o for o in questions["stakeholder_group"].options}
    priority_opts = {o.code: o for o in questions["action_priority"].options}
    severity_opts = {o.code: o for o in questions["challenge_severity"].options}
    district_p = np.array([6, 5, 5, 4, 6, 3, 3, 3, 2, 2, 4], dtype=float)
    district_p /= district_p.sum()

    rows: list[Response] = []
    plans: list[tuple[StakeholderGroup, np.ndarray, np.ndarray, str]] = []
    for group in group_of:
        language = str(rng.choice(c.LANGUAGES, p=c.GROUP_LANGUAGES[group.code]))
        started = WORKSHOP_DAY + timedelta(minutes=int(rng.integers(0, 14 * 24 * 60)))
        district = district_opts[int(rng.choice(len(district_opts), p=district_p))]
        utility = np.array(
            [c.BASELINE[a.code] + c.GROUP_LEANINGS[group.code].get(a.code, 0.0) for a in actions]
        ) + rng.normal(0, 0.8, len(actions))
        severity = np.array(
            [
                c.SEVERITY[ch.code] + c.SEVERITY_SHIFTS.get(group.code, {}).get(ch.code, 0.0)
                for ch in challenges
            ]
        ) + rng.normal(0, 0.7, len(challenges))
        rows.append(
            Response(
                round_id=round_.id,
                stakeholder_group_id=group.id,
                district=district.code,
                language=language,
                source=ResponseSource.ONLINE,
                state=ResponseState.SUBMITTED,
                receipt_code="DEMO-" + new_receipt_code(rng),
                is_demo=True,
                started_at=started,
                updated_at=started,
                submitted_at=started + timedelta(minutes=int(rng.integers(6, 26))),
                last_page=len(round_.sections),
            )
        )
        plans.append((group, utility, severity, district.code))
    session.add_all(rows)
    session.flush()

    answers: list[dict] = []
    for response, (group, utility, severity, district_code) in zip(rows, plans, strict=True):
        base = {"response_id": response.id, "round_id": round_.id}
        district_opt = next(o for o in district_opts if o.code == district_code)
        answers.append(
            {
                **base,
                "question_id": questions["stakeholder_group"].id,
                "option_id": group_opts[group.code].id,
            }
        )
        answers.append(
            {**base, "question_id": questions["district"].id, "option_id": district_opt.id}
        )
        answers += _scale_answers(
            base,
            questions["challenge_severity"],
            challenges,
            np.clip(np.rint(severity), 1, 5),
            severity_opts,
            rng,
        )
        answers += _scale_answers(
            base,
            questions["action_priority"],
            actions,
            np.clip(np.rint(3.0 + 1.1 * utility), 1, 5),
            priority_opts,
            rng,
        )
        top5 = np.argsort(-(utility + rng.gumbel(0, 0.5, len(utility))), kind="stable")[:5]
        answers += [
            {
                **base,
                "question_id": questions["top5_actions"].id,
                "item_id": actions[j].id,
                "number": float(rank),
            }
            for rank, j in enumerate(top5, start=1)
        ]
        if rng.random() < 0.3:
            texts = c.COMMENTS[response.language]
            answers.append(
                {
                    **base,
                    "question_id": questions["comments"].id,
                    "text": texts[int(rng.integers(0, len(texts)))],
                }
            )
    if answers:
        session.execute(insert(Answer), answers)


def _scale_answers(
    base: dict,
    question: Question,
    items: list[Item],
    values: np.ndarray,
    options: dict[str, Option],
    rng: np.random.Generator,
) -> list[dict]:
    out = []
    for item, value in zip(items, values, strict=True):
        if rng.random() < 0.04:
            out.append(
                {
                    **base,
                    "question_id": question.id,
                    "item_id": item.id,
                    "option_id": options["dont_know"].id,
                    "flag": "dont_know",
                }
            )
        else:
            code = str(int(value))
            out.append(
                {
                    **base,
                    "question_id": question.id,
                    "item_id": item.id,
                    "option_id": options[code].id,
                    "number": float(value),
                }
            )
    return out
