"""Filling in surveys through the participation service, as a participant's browser would."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from consult.models import Consultation, Invitation, StakeholderGroup
from consult.questions import QuestionSpec, get_type
from consult.questions.ahp import Ahp
from consult.services import participation as p
from consult.services.tokens import hash_token, new_token

NOW = datetime(2026, 3, 4, 15, 37, 12, tzinfo=UTC)


def consultation(session: Session, slug: str) -> Consultation:
    return session.scalar(select(Consultation).where(Consultation.slug == slug))


def invite(
    session: Session,
    consultation: Consultation,
    group: str | None = None,
    district: str | None = None,
) -> tuple[Invitation, str]:
    """A personal invitation (and its token) to ``consultation``."""
    group_id = None
    if group is not None:
        group_id = session.scalar(
            select(StakeholderGroup.id).where(
                StakeholderGroup.consultation_id == consultation.id, StakeholderGroup.code == group
            )
        )
    token = new_token()
    invitation = Invitation(
        consultation_id=consultation.id,
        token_hash=hash_token(token),
        stakeholder_group_id=group_id,
        district=district,
        language="en",
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def _order(q: QuestionSpec, prefs: Sequence[str]) -> list[str]:
    codes = [i.code for i in q.items]
    return [c for c in prefs if c in codes] + [c for c in codes if c not in prefs]


def answer_form(
    q: QuestionSpec, seed: int, prefs: Sequence[str] = (), choices: dict[str, Any] | None = None
) -> MultiDict[str, str]:
    """A valid answer to ``q`` for someone preferring items in the order ``prefs``.

    ``choices`` overrides the answer of choice and text questions by question code.
    """
    choices = choices or {}
    qtype = get_type(q.type)
    order = _order(q, prefs)
    f: MultiDict[str, str] = MultiDict()
    if q.code in choices:
        given = choices[q.code]
        for value in given if isinstance(given, list) else [given]:
            f.add(q.field, value)
        return f
    if q.type == "single_choice":
        f.add(q.field, q.options[0].code)
    elif q.type == "multiple_choice":
        for o in q.options[:2]:
            f.add(q.field, o.code)
    elif q.type == "rating":
        f.add(q.field, "4")
    elif q.type == "matrix":
        for item in q.items:
            if item.code in prefs:
                score = 5 - (4 * order.index(item.code)) // max(1, len(order) - 1)
            else:
                score = 3
            f.add(f"{q.field}-{item.code}", str(score))
    elif q.type == "ranking":
        k = int(q.settings.get("top_k", len(q.items)))
        for rank, code in enumerate(order[:k], start=1):
            f.add(f"{q.field}-{code}", str(rank))
    elif q.type == "pairwise":
        for t, (a, b) in enumerate(qtype.tasks(q, seed)):
            f.add(
                f"{q.field}-t{t}", a.code if order.index(a.code) < order.index(b.code) else b.code
            )
    elif q.type == "best_worst":
        for t, shown in enumerate(qtype.tasks(q, seed)):
            ranked = sorted(shown, key=lambda i: order.index(i.code))
            f.add(f"{q.field}-t{t}-best", ranked[0].code)
            f.add(f"{q.field}-t{t}-worst", ranked[-1].code)
    elif q.type == "ahp":
        assert isinstance(qtype, Ahp)
        for t, (a, b) in enumerate(qtype.tasks(q, seed)):
            gap = order.index(b.code) - order.index(a.code)
            strength = min(9, 1 + 2 * abs(gap))
            f.add(f"{q.field}-t{t}", "1" if gap == 0 else f"{'a' if gap > 0 else 'b'}{strength}")
    elif q.type == "points":
        budget = int(q.settings.get("budget", 100))
        weights = list(range(len(order), 0, -1))
        shares = [budget * w // sum(weights) for w in weights]
        shares[0] += budget - sum(shares)
        for code, share in zip(order, shares, strict=True):
            f.add(f"{q.field}-{code}", str(share))
    elif q.type == "number":
        f.add(q.field, "250")
    elif q.type == "short_text":
        f.add(q.field, "Interpretation at every service point")
    elif q.type == "long_text":
        f.add(q.field, "Forms exist only in Turkish.\nTranslate them.")
    else:  # pragma: no cover - a new type needs an answer here
        raise AssertionError(f"no answer for {q.type}")
    return f


def page_form(
    page: p.PageSpec,
    questions: Sequence[QuestionSpec],
    seed: int,
    prefs: Sequence[str] = (),
    choices: dict[str, Any] | None = None,
) -> MultiDict[str, str]:
    f: MultiDict[str, str] = MultiDict()
    for q in questions:
        for name, value in answer_form(q, seed, prefs, choices).items(multi=True):
            f.add(name, value)
    return f


def complete(
    session: Session,
    access: p.Access,
    survey: p.Survey,
    prefs: Sequence[str] = (),
    choices: dict[str, Any] | None = None,
    now: datetime = NOW,
) -> dict[str, Any]:
    """Answer every visible page in order, moving forward; returns the stored values."""
    skip = p.prefilled_questions(access)
    for page in survey.pages:
        values = p.stored_values(session, survey, access.response)
        shown = p.visible_questions(page, values, skip)
        if not shown:
            continue
        form = page_form(page, shown, access.response.id, prefs, choices)
        result = p.save_page(session, access, survey, page, form, now, enforce_required=True)
        assert result.ok, result.errors
    return p.stored_values(session, survey, access.response)


def page(survey: p.Survey, code: str) -> p.PageSpec:
    return next(pg for pg in survey.pages if pg.code == code)
