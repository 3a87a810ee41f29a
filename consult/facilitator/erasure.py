"""Erase a participant's answers by receipt code, on their request (``/erase``, on ``bp``).

Editors of the consultation only (admins, facilitator members; 403 otherwise), in any state.
The form asks for the receipt code, the reason (kept in the audit log) and an explicit
confirmation; refused input re-renders it with what was typed (422) and changes nothing.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from consult.extensions import db
from consult.facilitator.routes import _load, _summary, bp
from consult.models import utcnow
from consult.services import permissions
from consult.services.erasure import MAX_REASON, InvalidRequest, erase_response_by_receipt
from consult.services.errors import InvalidState, NotFound
from consult.services.tokens import normalise_receipt


def _receipt_format(_form: FlaskForm, field: StringField) -> None:
    if field.data and not normalise_receipt(field.data):
        raise ValidationError(_("A receipt code has 12 letters and digits, like 7K2M-Q9XD-4TPA."))


class EraseForm(FlaskForm):
    """The receipt code, the reason and the confirmation of an erasure."""

    receipt = StringField(
        _l("Receipt code"),
        validators=[InputRequired(message=_l("Enter the receipt code.")), _receipt_format],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Enter the reason for the erasure.")),
            Length(max=MAX_REASON, message=_l("Keep the reason to 500 characters.")),
        ],
    )
    confirm = BooleanField(
        _l("I understand that these answers are deleted for good."),
        validators=[DataRequired(message=_l("Confirm that the answers are to be deleted."))],
    )


def _refusal(error: Exception) -> str:
    if isinstance(error, NotFound):
        return _("No submitted response of this consultation has this receipt code.")
    if isinstance(error, InvalidState):
        return _("The answers with this receipt code were already withdrawn or erased.")
    return _("A receipt code has 12 letters and digits, like 7K2M-Q9XD-4TPA.")


@bp.route("/consultations/<slug>/erase", methods=["GET", "POST"])
def erase(slug: str) -> ResponseReturnValue:
    """Erase the answers with a receipt code, at the participant's request."""
    consultation = _load(slug, permissions.Action.EDIT)
    form = EraseForm() if request.method == "POST" else EraseForm(formdata=None)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                erased = erase_response_by_receipt(
                    db.session,
                    current_user,
                    consultation,
                    form.receipt.data,
                    form.reason.data,
                    utcnow(),
                )
            except (NotFound, InvalidState, InvalidRequest) as error:
                db.session.rollback()
                form.receipt.errors = [*form.receipt.errors, _refusal(error)]
            else:
                db.session.commit()
                flash(
                    _l(
                        "The answers of the response %(code)s (round %(round)s) are erased.",
                        code=erased.masked_code,
                        round=erased.round_number,
                    ),
                    "success",
                )
                return redirect(url_for(".erase", slug=slug))
        status = 422
        consultation = _load(slug, permissions.Action.EDIT)
    return (
        render_template("facilitator/erase.html", consultation=_summary(consultation), form=form),
        status,
    )
