"""The analyst blueprint, its guard and error pages (route modules add the views)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from flask_login import current_user

from consult.errors import render_error
from consult.extensions import db
from consult.facilitator.account import staff_only
from consult.models import Consultation
from consult.services import permissions
from consult.services.errors import Forbidden, NotFound

bp = Blueprint("analyst", __name__, url_prefix="/manage/consultations/<slug>")
bp.before_request(staff_only)


@bp.errorhandler(Forbidden)
def _forbidden(_error: Forbidden) -> ResponseReturnValue:
    db.session.rollback()
    return render_error(403)


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound) -> ResponseReturnValue:
    db.session.rollback()
    return render_error(404)


def load(slug: str) -> Consultation:
    """The consultation ``slug`` if the user may read its results (404, or 403)."""
    return permissions.consultation_for(db.session, current_user, slug, permissions.Action.ANALYSE)
