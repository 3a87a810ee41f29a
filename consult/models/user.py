"""Staff accounts (Flask-Security-Too), roles and per-consultation membership."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_security import RoleMixin, UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from consult.models.consultation import Consultation


class RoleName(enum.StrEnum):
    """Site-wide roles."""

    ADMIN = "admin"
    FACILITATOR = "facilitator"
    ANALYST = "analyst"


class MembershipRole(enum.StrEnum):
    """What a user may do in one consultation."""

    FACILITATOR = "facilitator"
    ANALYST = "analyst"


roles_users = Table(
    "roles_users",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


class Role(Base, RoleMixin):
    """A site-wide role (admin, facilitator, analyst)."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    permissions: Mapped[list[str] | None] = mapped_column(JSON)
    update_datetime: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(Base, UserMixin):
    """A staff account; participants never have one (they use invitation links)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    password: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    fs_uniquifier: Mapped[str] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(String(8))
    create_datetime: Mapped[datetime] = mapped_column(default=utcnow)
    update_datetime: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime | None]
    # trackable
    last_login_at: Mapped[datetime | None]
    current_login_at: Mapped[datetime | None]
    last_login_ip: Mapped[str | None] = mapped_column(String(64))
    current_login_ip: Mapped[str | None] = mapped_column(String(64))
    login_count: Mapped[int | None]
    # two-factor sign-in (authenticator app) and recovery codes
    tf_primary_method: Mapped[str | None] = mapped_column(String(64))
    tf_totp_secret: Mapped[str | None] = mapped_column(String(255))
    tf_phone_number: Mapped[str | None] = mapped_column(String(128))
    mf_recovery_codes: Mapped[list[str] | None] = mapped_column(JSON)
    us_totp_secrets: Mapped[str | None] = mapped_column(Text)
    fs_webauthn_user_handle: Mapped[str | None] = mapped_column(String(64), unique=True)

    roles: Mapped[list[Role]] = relationship(secondary=roles_users, lazy="selectin")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role in one consultation: facilitators of A cannot see or change B."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(str_enum(MembershipRole))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    consultation: Mapped[Consultation] = relationship(back_populates="memberships")
