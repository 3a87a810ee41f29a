"""The participant's side of the site: landing pages, the survey pages, review, submit, withdraw.

Two blueprints. ``participate`` serves the open link ``/c/<slug>`` (landing, withdrawal). The
survey itself is one blueprint, ``flow``, registered twice: as ``resume`` under ``/r/<token>``
(an open-link response, reached by its resume token) and as ``invite`` under ``/i/<token>`` (a
personal invitation). Both have the same pages; only the way in differs.
"""

from __future__ import annotations

from flask import Flask

from consult.participate import pages
from consult.participate.live import bp as live_bp
from consult.participate.routes import INVITE, RESUME, bp, flow


def init_app(app: Flask) -> None:
    """Register the participant blueprints and the template helpers of the question types."""
    app.register_blueprint(bp)
    app.register_blueprint(flow, name=RESUME, url_prefix="/r/<token>")
    app.register_blueprint(flow, name=INVITE, url_prefix="/i/<token>")
    app.register_blueprint(live_bp)  # live workshop sessions: /live
    app.jinja_env.globals.update(pages.template_helpers())
