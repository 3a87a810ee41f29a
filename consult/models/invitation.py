"""Invitations: personal links whose tokens are stored only as hashes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from consult.models.consultation import Consultation, StakeholderGroup


class InvitationStatus(enum.StrEnum):
    """Where an invitation stands."""

    PENDING = "pending"
    SENT = "sent"
    OPENED = "opened"
    SUBMITTED = "submitted"
    BOUNCED = "bounced"
    REVOKED = "revoked"


class Invitation(Base):
    """A personal link to a consultation; valid for every round (Delphi panels)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    stakeholder_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholder_groups.id", ondelete="SET NULL")
    )
    organisation: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8))
    district: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus), default=InvitationStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]

    consultation: Mapped[Consultation] = relationship(back_populates="invitations")
    stakeholder_group: Mapped[StakeholderGroup | None] = relationship()


class Participation(Base):
    """That an invitation answered a round, kept apart from the response itself.

    In anonymous mode this is the only link between an invitation and a round, so the database
    can refuse a second submission without ever linking the token to the answers.
    """

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("invitation_id", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
