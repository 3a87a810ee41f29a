"""Staff accounts and the demo consultations, for the facilitator services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Consultation, Membership, MembershipRole, Role, RoleName, User
from consult.services.demo import load_demo
from consult.services.demo_question_types import load_question_types_demo

LANGUAGES = ("tr", "en", "ar")


def make_user(
    session: Session, email: str, role: RoleName | None = None, active: bool = True
) -> User:
    """A staff account with at most one site role."""
    roles = []
    if role is not None:
        found = session.scalar(select(Role).where(Role.name == role.value))
        roles = [found or Role(name=role.value)]
    user = User(email=email, active=active, fs_uniquifier=uuid.uuid4().hex, roles=roles)
    session.add(user)
    session.flush()
    return user


def join(session: Session, user: User, consultation: Consultation, role: MembershipRole) -> None:
    session.add(Membership(user=user, consultation=consultation, role=role))
    session.flush()


def by_slug(session: Session, slug: str) -> Consultation:
    return session.scalars(select(Consultation).where(Consultation.slug == slug)).one()


@dataclass
class Staff:
    """One account of each kind, around consultation A (the action plan) and B."""

    admin: User
    facilitator: User  # facilitator member of A
    other_facilitator: User  # facilitator member of B only
    analyst: User  # analyst member of A
    outside_analyst: User  # site analyst, member of nothing
    inactive: User  # inactive facilitator member of A


@pytest.fixture
def action_plan(session) -> Consultation:
    """The demo consultation ``migration-action-plan`` without responses (consultation A)."""
    load_demo(session, responses=0)
    return by_slug(session, "migration-action-plan")


@pytest.fixture
def question_types(session) -> Consultation:
    """The demo consultation ``question-types`` (consultation B)."""
    load_question_types_demo(session)
    return by_slug(session, "question-types")


@pytest.fixture
def staff(session, action_plan, question_types) -> Staff:
    s = Staff(
        admin=make_user(session, "admin@example.org", RoleName.ADMIN),
        facilitator=make_user(session, "fac-a@example.org", RoleName.FACILITATOR),
        other_facilitator=make_user(session, "fac-b@example.org", RoleName.FACILITATOR),
        analyst=make_user(session, "analyst-a@example.org", RoleName.ANALYST),
        outside_analyst=make_user(session, "analyst@example.org", RoleName.ANALYST),
        inactive=make_user(session, "gone@example.org", RoleName.FACILITATOR, active=False),
    )
    join(session, s.facilitator, action_plan, MembershipRole.FACILITATOR)
    join(session, s.other_facilitator, question_types, MembershipRole.FACILITATOR)
    join(session, s.analyst, action_plan, MembershipRole.ANALYST)
    join(session, s.inactive, action_plan, MembershipRole.FACILITATOR)
    return s
