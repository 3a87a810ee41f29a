"""A workshop consultation in tr/en/ar: five questions that can be asked live (single and
multiple choice, rating, ranking, points) and an open question that cannot; its facilitator,
an analyst, an outsider; helpers to start and lead a live session through the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from consult.extensions import db
from consult.models import (
    Consultation,
    ConsultationState,
    Item,
    ItemKind,
    LiveSession,
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
from consult.services import live
from consult.services.users import create_user
from tests.web.catalogs import require_compiled_catalogs

SLUG = "istanbul-workshop"
PASSWORD = "correct horse battery"
ITEMS = {
    "board": {"tr": "Danışma kurulu", "en": "Advisory board", "ar": "مجلس استشاري"},
    "data": {"tr": "Göç veri raporu", "en": "Migration data report", "ar": "تقرير بيانات الهجرة"},
    "grants": {"tr": "Küçük hibeler", "en": "Small grants", "ar": "منح صغيرة"},
}
GROUPS = {
    "ngo": {"tr": "Ulusal STK", "en": "National NGO", "ar": "منظمة وطنية"},
    "district": {"tr": "İlçe belediyesi", "en": "District municipality", "ar": "بلدية المنطقة"},
    "academic": {"tr": "Akademisyen", "en": "Academic", "ar": "أكاديمي"},
}
TOPICS = {
    "housing": {"tr": "Barınma", "en": "Housing", "ar": "السكن"},
    "work": {"tr": "İş", "en": "Work", "ar": "العمل"},
    "school": {"tr": "Okul", "en": "School", "ar": "المدرسة"},
}
#: the live questions in order, and a text question the session skips
LIVE_CODES = ["group", "topics", "urgency", "order", "budget"]


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


def texts(en: str, tr: str, ar: str) -> dict[str, str]:
    return {"tr": tr, "en": en, "ar": ar}


def build_workshop() -> Consultation:
    """An open consultation whose round 1 has the five live questions and a comment."""
    consultation = Consultation(
        slug=SLUG,
        state=ConsultationState.OPEN,
        languages=["tr", "en", "ar"],
        default_language="tr",
        open_link=True,
        title=texts("Migration workshop", "Göç çalıştayı", "ورشة الهجرة"),
        organiser=texts("Istanbul", "İstanbul", "إسطنبول"),
        closes_at=utcnow() + timedelta(days=30),
    )
    items = [
        Item(code=code, kind=ItemKind.ACTION, position=i, label=label)
        for i, (code, label) in enumerate(ITEMS.items())
    ]
    consultation.items = items
    round_ = Round(number=1, state=RoundState.OPEN, title=texts("Round 1", "Tur 1", "الجولة 1"))
    consultation.rounds = [round_]
    section = Section(code="room", position=0, title=texts("Workshop", "Çalıştay", "الورشة"))
    round_.sections = [section]

    def options(labels: dict[str, dict[str, str]]) -> list[Option]:
        return [Option(code=c, position=i, label=lab) for i, (c, lab) in enumerate(labels.items())]

    def ranked_items() -> list[QuestionItem]:
        return [QuestionItem(item=item, position=i) for i, item in enumerate(items)]

    round_.questions = [
        Question(
            code="group",
            type="single_choice",
            section=section,
            position=0,
            text=texts("Who are you?", "Kimsiniz?", "من أنتم؟"),
            options=options(GROUPS),
        ),
        Question(
            code="topics",
            type="multiple_choice",
            section=section,
            position=1,
            text=texts("Which topics matter?", "Hangi konular önemli?", "ما المواضيع المهمة؟"),
            options=options(TOPICS),
        ),
        Question(
            code="urgency",
            type="rating",
            section=section,
            position=2,
            text=texts("How urgent is the plan?", "Plan ne kadar acil?", "ما مدى إلحاح الخطة؟"),
            settings={"scale_min": 1, "scale_max": 5},
        ),
        Question(
            code="comments",
            type="long_text",
            section=section,
            position=3,
            text=texts("Anything else?", "Başka bir şey?", "هل من شيء آخر؟"),
        ),
        Question(
            code="order",
            type="ranking",
            section=section,
            position=4,
            text=texts("Rank the actions", "Eylemleri sıralayın", "رتّب الإجراءات"),
            question_items=ranked_items(),
        ),
        Question(
            code="budget",
            type="points",
            section=section,
            position=5,
            text=texts("Share 10 points", "10 puan paylaştırın", "وزّع 10 نقاط"),
            settings={"budget": 10},
            question_items=ranked_items(),
        ),
    ]
    return consultation


@dataclass
class Workshop:
    slug: str
    facilitator: User
    analyst: User
    outsider: User

    def consultation(self) -> Consultation:
        db.session.expire_all()
        return db.session.scalars(select(Consultation).where(Consultation.slug == self.slug)).one()


def make_workshop() -> Workshop:
    consultation = build_workshop()
    db.session.add(consultation)
    users = Workshop(
        slug=SLUG,
        facilitator=create_user(
            db.session, user_datastore, "fac@example.org", "facilitator", PASSWORD
        ),
        analyst=create_user(db.session, user_datastore, "ana@example.org", "analyst", PASSWORD),
        outsider=create_user(
            db.session, user_datastore, "out@example.org", "facilitator", PASSWORD
        ),
    )
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


@pytest.fixture
def workshop(app: Flask) -> Workshop:
    """The workshop consultation and its staff."""
    return make_workshop()


def start(workshop: Workshop, language: str = "en") -> LiveSession:
    """A running live session (committed)."""
    session = live.start_session(
        db.session, workshop.facilitator, workshop.consultation(), language, utcnow()
    )
    db.session.commit()
    return session


def advance(workshop: Workshop, session: LiveSession, step: int = 1) -> str | None:
    """Move the session one question on (or back); the code of the question now shown."""
    db.session.refresh(session)
    q = live.move(
        db.session,
        workshop.facilitator,
        workshop.consultation(),
        session,
        step,
        session.current_question_id,
    )
    db.session.commit()
    return q.code if q else None
