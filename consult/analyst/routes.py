"""The analyst blueprint, its guard and error pages (route modules add the views)."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from consult.extensions import db
from consult.facilitator.account import guard_staff_blueprint
from consult.models import Consultation
from consult.services import permissions

bp = Blueprint("analyst", __name__, url_prefix="/manage/consultations/<slug>")
guard_staff_blueprint(bp)


def load(slug: str) -> Consultation:
    """The consultation ``slug`` if the user may read its results (404, or 403)."""
    return permissions.consultation_for(db.session, current_user, slug, permissions.Action.ANALYSE)
