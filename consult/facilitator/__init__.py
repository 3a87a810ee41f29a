"""The facilitator workspace under ``/manage`` and the staff sign-in hooks under ``/account``."""

from __future__ import annotations

from flask import Flask

from consult.facilitator import account, accounts, settings  # noqa: F401  (routes on bp)
from consult.facilitator import api_tokens as _api_tokens  # noqa: F401  (API tokens)
from consult.facilitator import delphi as _delphi  # noqa: F401  (Delphi rounds)
from consult.facilitator import erasure as _erasure  # noqa: F401  (erasure by receipt code)
from consult.facilitator import invitations as _invitations  # noqa: F401  (and transfer)
from consult.facilitator import live as _live  # noqa: F401  (live workshop sessions)
from consult.facilitator.routes import bp


def init_app(app: Flask) -> None:
    """Register the workspace and throttle sign-in; logout ends every session of the user."""
    app.register_blueprint(bp)
    account.init_app(app)
