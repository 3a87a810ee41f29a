"""Site pages: home, health check (placeholder: completed by the pages work)."""

from __future__ import annotations

from flask import Blueprint, Flask
from sqlalchemy import text

from consult.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict, int]:
    """Liveness with a database round trip."""
    db.session.execute(text("SELECT 1")).scalar_one()
    return {"status": "ok"}, 200


def init_app(app: Flask) -> None:
    """Register the site blueprint."""
    app.register_blueprint(bp)
