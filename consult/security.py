"""Staff sign-in with Flask-Security-Too (argon2id hashing, roles, two-factor)."""

from __future__ import annotations

from flask import Flask
from flask_security import SQLAlchemyUserDatastore

from consult.extensions import db, security
from consult.models import Role, User, utcnow

user_datastore = SQLAlchemyUserDatastore(db, User, Role)


def init_app(app: Flask) -> None:
    """Bind Flask-Security to the app with the consult user model.

    Its timestamps (trackable sign-ins, confirmations) must be timezone-aware: our UTC columns
    refuse naive datetimes, and Flask-Security's default factory is naive.
    """
    security.init_app(app, user_datastore)
    security.datetime_factory = utcnow
