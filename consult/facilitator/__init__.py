"""The facilitator workspace under ``/manage`` and the staff sign-in hooks under ``/account``."""

from __future__ import annotations

from flask import Flask

from consult.facilitator import account
from consult.facilitator.routes import bp


def init_app(app: Flask) -> None:
    """Register the workspace and throttle sign-in; logout ends every session of the user."""
    app.register_blueprint(bp)
    account.init_app(app)
