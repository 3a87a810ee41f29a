"""Forms of the facilitator workspace (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import AnyOf, InputRequired

TRANSITIONS = ("open", "close", "reopen", "archive")


class TransitionForm(FlaskForm):
    """Move a consultation to another state; ``version`` is the one the page was built from."""

    action = HiddenField(validators=[InputRequired(), AnyOf(TRANSITIONS)])
    version = IntegerField(validators=[InputRequired()])
