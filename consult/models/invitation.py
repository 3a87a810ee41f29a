"""Invitations: personal links whose tokens are stored only as hashes."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
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


def _random_id() -> int:
    return secrets.randbelow(2**62) + 1


class Participation(Base):
    """That an invitation answered a round, kept apart from the response itself.

    Every submission through an invitation inserts one, so the unique constraint refuses a second
    submission of the same invitation in the same round (also from two browsers at once). In
    anonymous mode it is the only link between an invitation and a round: its id is random and
    it records the day only, so neither order nor time joins it back to a response.
    """

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("invitation_id", "round_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, default=_random_id
    )
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[date]
