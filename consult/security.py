"""Staff sign-in with Flask-Security-Too (argon2id hashing, roles, two-factor)."""

from __future__ import annotations

from flask import Flask
from flask_security import SQLAlchemyUserDatastore

from consult.extensions import db, security
from consult.models import Role, User

user_datastore = SQLAlchemyUserDatastore(db, User, Role)


def init_app(app: Flask) -> None:
    """Bind Flask-Security to the app with the consult user model."""
    security.init_app(app, user_datastore)
