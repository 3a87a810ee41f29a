"""A small advisory board: a consultation in tr/en/ar with a matrix and a rating question,
six invited panelists, and helpers that answer a round through the participation service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from consult.extensions import db
from consult.models import (
    AnonymityMode,
    Consultation,
    ConsultationState,
    Invitation,
    Item,
    ItemKind,
    Membership,
    MembershipRole,
    Option,
    Question,
    QuestionItem,
    Round,
    RoundState,
    Section,
    User,
    utcnow,
)
from consult.security import user_datastore
from consult.services.participation import (
    access_by_invitation,
    build_survey,
    save_page,
    submit_response,
)
from consult.services.tokens import hash_token, new_token
from consult.services.users import create_user
from tests.web.catalogs import require_compiled_catalogs

SLUG = "advisory-board"
PASSWORD = "correct horse battery"
LABELS = {
    "tr": ["Hiç önemli değil", "Az önemli", "Orta", "Önemli", "Çok önemli"],
    "en": ["Not important", "Slightly important", "Moderately important", "Important", "Vital"],
    "ar": ["غير مهم", "قليل الأهمية", "متوسط الأهمية", "مهم", "بالغ الأهمية"],
}
DONT_KNOW = {"tr": "Bilmiyorum", "en": "Don't know", "ar": "لا أعرف"}
ITEMS = {
    "board": {
        "tr": "Danışma kurulu kurmak",
        "en": "Set up a standing advisory board",
        "ar": "إنشاء مجلس استشاري دائم",
    },
    "data": {
        "tr": "Yıllık göç veri raporu",
        "en": "Publish an annual migration data report",
        "ar": "نشر تقرير سنوي لبيانات الهجرة",
    },
    "grants": {
        "tr": "Öz örgütlere küçük hibeler",
        "en": "Small grants for self-organizations",
        "ar": "منح صغيرة للمنظمات الذاتية",
    },
}


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


def texts(en: str, tr: str | None = None, ar: str | None = None) -> dict[str, str]:
    return {"tr": tr or f"{en} (tr)", "en": en, "ar": ar or f"{en} (ar)"}


def scale(labels: dict[str, list[str]] = LABELS) -> list[Option]:
    options = [
        Option(
            code=str(i),
            position=i,
            value=float(i),
            label={lang: labels[lang][i - 1] for lang in labels},
        )
        for i in range(1, 6)
    ]
    options.append(Option(code="dont_know", position=6, value=None, label=dict(DONT_KNOW)))
    return options


def build_board(anonymity: AnonymityMode = AnonymityMode.CONFIDENTIAL) -> Consultation:
    """An open consultation: one section with a matrix (3 actions), a rating and a comment."""
    consultation = Consultation(
        slug=SLUG,
        state=ConsultationState.OPEN,
        languages=["tr", "en", "ar"],
        default_language="en",
        anonymity=anonymity,
        open_link=False,
        title=texts("Advisory board", "Danışma kurulu", "المجلس الاستشاري"),
        organiser=texts("Istanbul Metropolitan Municipality"),
        privacy_notice=texts("Only the panel's overall results are shown to the panel."),
        closes_at=utcnow() + timedelta(days=30),
    )
    items = [
        Item(code=code, kind=ItemKind.ACTION, position=i, label=label)
        for i, (code, label) in enumerate(ITEMS.items())
    ]
    consultation.items = items
    round_ = Round(number=1, state=RoundState.OPEN, title=texts("Round 1"))
    consultation.rounds = [round_]
    section = Section(
        code="board", position=0, title=texts("Priorities", "Öncelikler", "الأولويات")
    )
    round_.sections = [section]
    round_.questions = [
        Question(
            code="priority",
            type="matrix",
            section=section,
            position=0,
            required=True,
            text=texts(
                "How important is each action?",
                "Her eylem ne kadar önemli?",
                "ما مدى أهمية كل إجراء؟",
            ),
            settings={"scale_min": 1, "scale_max": 5, "dont_know": True},
            options=scale(),
            question_items=[QuestionItem(item=item, position=i) for i, item in enumerate(items)],
        ),
        Question(
            code="overall",
            type="rating",
            section=section,
            position=1,
            required=False,
            text=texts(
                "How urgent is the plan as a whole?", "Plan ne kadar acil?", "ما مدى إلحاح الخطة؟"
            ),
            settings={"scale_min": 1, "scale_max": 5},
            options=scale()[:5],
        ),
        Question(
            code="comments",
            type="long_text",
            section=section,
            position=2,
            required=False,
            text=texts("Anything else?", "Başka bir şey?", "هل من شيء آخر؟"),
            settings={"max_length": 2000},
        ),
    ]
    return consultation


@dataclass
class Board:
    """The consultation and its panelists' invitation tokens (in order p0, p1, ...)."""

    slug: str
    tokens: list[str] = field(default_factory=list)

    def consultation(self) -> Consultation:
        db.session.expire_all()
        return db.session.scalars(select(Consultation).where(Consultation.slug == self.slug)).one()

    def round(self, number: int) -> Round:
        return next(r for r in self.consultation().rounds if r.number == number)

    def invitation(self, index: int) -> Invitation:
        return db.session.scalars(
            select(Invitation).where(Invitation.token_hash == hash_token(self.tokens[index]))
        ).one()


def make_board(anonymity: AnonymityMode, panelists: int = 6) -> Board:
    consultation = build_board(anonymity)
    db.session.add(consultation)
    db.session.flush()
    board = Board(SLUG)
    for i in range(panelists):
        token = new_token()
        db.session.add(
            Invitation(
                consultation_id=consultation.id,
                token_hash=hash_token(token),
                name=f"Panelist {i}",
                email=f"p{i}@example.org",
                language="en",
            )
        )
        board.tokens.append(token)
    db.session.commit()
    return board


@pytest.fixture
def board(app: Flask) -> Board:
    """A confidential board with six invited panelists, round 1 open."""
    return make_board(AnonymityMode.CONFIDENTIAL)


@pytest.fixture
def anonymous_board(app: Flask) -> Board:
    """The same board, anonymous."""
    return make_board(AnonymityMode.ANONYMOUS)


def form_for(
    priority: dict[str, str] | None = None,
    overall: str | None = None,
    reasons: dict[str, str] | None = None,
) -> MultiDict[str, str]:
    """The survey page's form: matrix rows, the rating and reasons (``item`` or ``overall``)."""
    data: list[tuple[str, str]] = [
        (f"q-priority-{item}", code) for item, code in (priority or {}).items()
    ]
    if overall is not None:
        data.append(("q-overall", overall))
    for key, text in (reasons or {}).items():
        name = "q-overall-reason" if key == "overall" else f"q-priority-{key}-reason"
        data.append((name, text))
    return MultiDict(data)


def answer(
    board: Board,
    index: int,
    priority: dict[str, str] | None = None,
    overall: str | None = None,
    reasons: dict[str, str] | None = None,
    *,
    submit: bool = True,
    language: str = "en",
) -> Any:
    """Panelist ``index`` answers the current round through the participation service."""
    now = utcnow()
    access = access_by_invitation(db.session, board.tokens[index], language, now)
    survey = build_survey(db.session, access.round, language)
    result = save_page(
        db.session,
        access,
        survey,
        survey.pages[0],
        form_for(priority, overall, reasons),
        now,
        enforce_required=True,
    )
    assert result.ok, result.errors
    if submit:
        submit_response(db.session, access, survey, now)
    response_id = access.response.id
    db.session.commit()  # and no new transaction: on SQLite it would hold the write lock
    return response_id


# Round 1: the five panelists who answer (p5 never does)
ROUND_1 = [
    {"board": "4", "data": "2", "grants": "5"},
    {"board": "5", "data": "3", "grants": "5"},
    {"board": "4", "data": "1", "grants": "4"},
    {"board": "2", "data": "5", "grants": "dont_know"},
    {"board": "3", "data": "2", "grants": "4"},
]
OVERALL_1 = ["5", "4", "4", None, "2"]


@pytest.fixture
def answered(board: Board) -> Board:
    """Round 1 answered by p0..p4."""
    for i, values in enumerate(ROUND_1):
        answer(board, i, values, OVERALL_1[i])
    return board


@dataclass
class StaffUsers:
    facilitator: User
    analyst: User
    outsider: User


@pytest.fixture
def staff(app: Flask, board: Board) -> StaffUsers:
    """A facilitator and an analyst of the board, and a facilitator of nothing."""
    users = StaffUsers(
        facilitator=create_user(
            db.session, user_datastore, "fac@example.org", "facilitator", PASSWORD
        ),
        analyst=create_user(db.session, user_datastore, "ana@example.org", "analyst", PASSWORD),
        outsider=create_user(
            db.session, user_datastore, "out@example.org", "facilitator", PASSWORD
        ),
    )
    consultation = board.consultation()
    db.session.add(
        Membership(
            user=users.facilitator, consultation=consultation, role=MembershipRole.FACILITATOR
        )
    )
    db.session.add(
        Membership(user=users.analyst, consultation=consultation, role=MembershipRole.ANALYST)
    )
    db.session.commit()
    return users
