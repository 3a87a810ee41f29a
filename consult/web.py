"""Site pages: the home page and the health check."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, Flask, current_app, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from consult.extensions import db
from consult.models import utcnow
from consult.services.consultations import list_open_consultations

bp = Blueprint("main", __name__)

HEALTHZ_RETRY_AFTER = 10  # seconds


@bp.get("/")
def home() -> str:
    """The consultations open now."""
    consultations = list_open_consultations(db.session, utcnow())
    return render_template("main/home.html", consultations=consultations)


@bp.get("/healthz")
def healthz() -> tuple[dict, int] | tuple[dict, int, dict]:
    """Liveness with a database round trip (503 when the database does not answer)."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError as exc:
        with suppress(SQLAlchemyError):
            db.session.rollback()
        current_app.logger.warning("healthz: database unavailable: %s", type(exc).__name__)
        return (
            {"status": "unavailable", "database": "unreachable"},
            503,
            {"Retry-After": str(HEALTHZ_RETRY_AFTER), "Cache-Control": "no-store"},
        )
    return {"status": "ok"}, 200


def init_app(app: Flask) -> None:
    """Register the site blueprint and the participant pages."""
    from consult import participate

    app.register_blueprint(bp)
    participate.init_app(app)
