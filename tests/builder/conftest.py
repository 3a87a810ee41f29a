"""A draft consultation in tr/en/ar with items, and staff accounts around it."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import (
    Consultation,
    Item,
    Membership,
    MembershipRole,
    Role,
    RoleName,
    User,
)
from consult.services import lifecycle

LANGUAGES = ["tr", "en", "ar"]
TEXTS = {"tr": "Göç eylem planı", "en": "Migration action plan", "ar": "خطة عمل الهجرة"}


def make_user(session: Session, email: str, role: RoleName | None = RoleName.FACILITATOR) -> User:
    """A staff account with at most one site role."""
    roles = []
    if role is not None:
        found = session.scalar(select(Role).where(Role.name == role.value))
        roles = [found or Role(name=role.value)]
    user = User(email=email, active=True, fs_uniquifier=uuid.uuid4().hex, roles=roles)
    session.add(user)
    session.flush()
    return user


def make_consultation(session: Session, actor: User, slug: str) -> Consultation:
    """A draft consultation with every consultation-level text and three items."""
    c = lifecycle.create_consultation(
        session,
        actor,
        slug,
        LANGUAGES,
        "tr",
        TEXTS,
        allowed_languages=LANGUAGES,
        organiser={"tr": "Belediye", "en": "Municipality", "ar": "البلدية"},
        privacy_notice={"tr": "Gizlilik", "en": "Privacy", "ar": "الخصوصية"},
    )
    labels = [
        ("housing", {"tr": "Konut", "en": "Housing", "ar": "السكن"}),
        ("jobs", {"tr": "İş", "en": "Jobs", "ar": "العمل"}),
        ("schools", {"tr": "Okullar", "en": "Schools", "ar": "المدارس"}),
    ]
    for i, (code, label) in enumerate(labels):
        session.add(Item(consultation=c, code=code, position=i, label=label))
    session.flush()
    session.refresh(c)
    return c


@dataclass
class World:
    """Consultation A (draft) with its facilitator, and B with another facilitator."""

    a: Consultation
    b: Consultation
    facilitator: User
    other: User


@pytest.fixture
def world(session: Session) -> World:
    facilitator = make_user(session, "fac-a@example.org")
    other = make_user(session, "fac-b@example.org")
    a = make_consultation(session, facilitator, "plan-a")
    b = make_consultation(session, other, "plan-b")
    assert session.scalar(
        select(Membership).where(
            Membership.user_id == facilitator.id,
            Membership.consultation_id == a.id,
            Membership.role == MembershipRole.FACILITATOR,
        )
    )
    session.commit()
    return World(a=a, b=b, facilitator=facilitator, other=other)


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    """The app with the builder blueprint (until ``create_app`` registers it itself)."""
    if "builder" not in app.blueprints:
        from consult import builder

        builder.init_app(app)
    return app


def sign_in(client, user: User | None) -> None:  # type: ignore[no-untyped-def]
    """Put ``user`` in the client's session as a completed sign-in (no form)."""
    if user is None:
        return
    with client.session_transaction() as s:
        s["_user_id"] = user.fs_uniquifier
        s["_fresh"] = True
        s["fs_paa"] = time.time()
        s["fs_cc"] = "set"
