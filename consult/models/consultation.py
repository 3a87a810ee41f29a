"""The consultation aggregate: the exercise itself, its objectives, items and stakeholder groups."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.models.base import Base, Translated, str_enum, utcnow

if TYPE_CHECKING:
    from consult.models.invitation import Invitation
    from consult.models.questionnaire import Round
    from consult.models.user import Membership


class ConsultationState(enum.StrEnum):
    """Life cycle: draft → open → closed → archived."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class AnonymityMode(enum.StrEnum):
    """How responses relate to the people who gave them.

    ``named``: a response keeps its invitation; facilitators may see who answered what.
    ``confidential``: a response keeps its invitation id (so a panelist can resume and see their
    own earlier answers), but staff pages and exports never show identities.
    ``anonymous``: once submitted, nothing links a response to its invitation; only the
    invitation's participation in the round is recorded.
    """

    NAMED = "named"
    CONFIDENTIAL = "confidential"
    ANONYMOUS = "anonymous"


class ItemKind(enum.StrEnum):
    """What an item is: a candidate action to prioritise, or a challenge to rate."""

    ACTION = "action"
    CHALLENGE = "challenge"


RETENTION_DAYS = (1, 3650)  # bounds of Consultation.retention_days (None: kept until deleted)


class Consultation(Base):
    """One participatory exercise, e.g. the Migration and Social Cohesion Action Plan."""

    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint("min_group_size >= 1", name="min_group_size_positive"),
        CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at", name="schedule_order"
        ),
        CheckConstraint(
            "retention_days IS NULL OR (retention_days >= 1 AND retention_days <= 3650)",
            name="retention_days_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[ConsultationState] = mapped_column(
        str_enum(ConsultationState), default=ConsultationState.DRAFT
    )
    languages: Mapped[list[str]] = mapped_column(JSON)
    default_language: Mapped[str] = mapped_column(String(8))
    anonymity: Mapped[AnonymityMode] = mapped_column(
        str_enum(AnonymityMode), default=AnonymityMode.CONFIDENTIAL
    )
    open_link: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    min_group_size: Mapped[int] = mapped_column(default=5)
    # days after closing when ``consult purge`` deletes invitation data (None: kept until deleted)
    retention_days: Mapped[int | None]
    is_demo: Mapped[bool] = mapped_column(default=False)
    title: Mapped[dict] = mapped_column(Translated)
    description: Mapped[dict] = mapped_column(Translated, default=dict)
    organiser: Mapped[dict] = mapped_column(Translated, default=dict)
    privacy_notice: Mapped[dict] = mapped_column(Translated, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (optimistic locking)

    objectives: Mapped[list[Objective]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Objective.position"
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Item.position"
    )
    stakeholder_groups: Mapped[list[StakeholderGroup]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="StakeholderGroup.position",
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Round.number"
    )
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan"
    )


class Objective(Base):
    """One of the action plan's objectives (coordination, capacity building, ...)."""

    __tablename__ = "objectives"
    __table_args__ = (UniqueConstraint("consultation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(Translated)

    consultation: Mapped[Consultation] = relationship(back_populates="objectives")
    items: Mapped[list[Item]] = relationship(back_populates="objective", order_by="Item.position")


class Item(Base):
    """A thing to prioritise (usually a candidate action under an objective) or a challenge."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("consultation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind), default=ItemKind.ACTION)
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[dict] = mapped_column(Translated)
    description: Mapped[dict] = mapped_column(Translated, default=dict)

    consultation: Mapped[Consultation] = relationship(back_populates="items")
    objective: Mapped[Objective | None] = relationship(back_populates="items")


class StakeholderGroup(Base):
    """A kind of participant (district municipality, national NGO, academic, ...)."""

    __tablename__ = "stakeholder_groups"
    __table_args__ = (UniqueConstraint("consultation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[dict] = mapped_column(Translated)
    target_share: Mapped[float | None]  # for post-stratified weighting

    consultation: Mapped[Consultation] = relationship(back_populates="stakeholder_groups")
