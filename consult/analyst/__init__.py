"""The analyst workspace under ``/manage/consultations/<slug>``: results, reports and exports.

Every route reads its consultation through ``permissions.consultation_for`` with
``Action.ANALYSE`` (admins and members); the pages call services, which call ``analysis``.
"""

from __future__ import annotations

from flask import Flask

from consult.analyst.routes import bp


def init_app(app: Flask) -> None:
    """Register the analyst blueprint and its route modules."""
    from consult.analyst import (  # noqa: F401  (registers routes)
        exports,
        jobs,
        open_text,
        publishing,
        reports,
        results,
    )

    app.register_blueprint(bp)
