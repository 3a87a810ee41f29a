"""Personal API tokens under ``/manage/api-tokens``: every signed-in staff user manages their own.

A new token is shown once, on the page answering the form (``Cache-Control: no-store``), and
never again: only its SHA-256 digest is stored. Revoking takes effect at once. The services
(``consult.services.api_tokens``) record both in the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from consult.extensions import db
from consult.facilitator.routes import bp
from consult.services import api_tokens
from consult.services.errors import NotFound


class ApiTokenForm(FlaskForm):
    """Name a new token (so that it can be recognised, and revoked, later)."""

    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Give the token a name.")),
            Length(
                max=api_tokens.MAX_NAME_LENGTH,
                message=_l("Use at most %(count)s characters.", count=api_tokens.MAX_NAME_LENGTH),
            ),
        ],
    )


class RevokeForm(FlaskForm):
    """The CSRF token of a revoke button."""


def _as_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:  # an int4 id
        raise NotFound("no such API token")
    return int(raw)


def _page(form: ApiTokenForm, status: int = 200, **extra: Any) -> ResponseReturnValue:
    tokens = api_tokens.list_tokens(db.session, current_user)
    html = render_template(
        "facilitator/api_tokens.html",
        form=form,
        revoke_form=RevokeForm(formdata=None),
        tokens=[{**vars(t), "active": t.active} for t in tokens],
        openapi_url=url_for("api.openapi"),
        api_url=url_for("api.consultations", _external=True),
        max_tokens=api_tokens.MAX_ACTIVE_TOKENS,
        **extra,
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/api-tokens")
def api_tokens_page() -> ResponseReturnValue:
    """Your API tokens and the form to create one."""
    return _page(ApiTokenForm(formdata=None))


@bp.post("/api-tokens")
def create_api_token() -> ResponseReturnValue:
    """Create a token and show it once."""
    form = ApiTokenForm()
    if not form.validate():
        return _page(form, 422)
    try:
        token, plain = api_tokens.create_token(db.session, current_user, form.name.data or "")
    except api_tokens.InvalidTokenName:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(_l("Use letters, digits and punctuation."))]
        return _page(form, 422)
    except api_tokens.TooManyTokens:
        db.session.rollback()
        message = _l(
            "You already have %(count)s API tokens. Revoke one you no longer use first.",
            count=api_tokens.MAX_ACTIVE_TOKENS,
        )
        form.form_errors.append(str(message))
        return _page(form, 422)
    name = token.name
    db.session.commit()
    return _page(ApiTokenForm(formdata=None), 200, created={"name": name, "token": plain})


@bp.post("/api-tokens/<token_id>/revoke")
def revoke_api_token(token_id: str) -> ResponseReturnValue:
    """Revoke one of your tokens (another user's token is 404)."""
    number = _as_id(token_id)
    if not RevokeForm().validate():
        abort(400)
    token = api_tokens.revoke_token(db.session, current_user, number)
    name = token.name
    db.session.commit()
    flash(_l("The token %(name)s is revoked: it no longer works.", name=name), "success")
    return redirect(url_for(".api_tokens_page"))
