"""Forms of the participant pages. Answers are parsed by the question types, so the survey page
form carries only the CSRF token; the landing and withdrawal forms have fields of their own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from consult.services.tokens import normalise_receipt

MAX_RECEIPT_INPUT = 64
CODE_AS_SHOWN = _l("Enter the receipt code as shown, like 7K2M-Q9XD-4TPA.")


def normalize_receipt(raw: str | None) -> str:
    """The withdrawal form's filter: the code in its stored form, else what was typed (upper
    case) for the validators to judge."""
    return normalise_receipt(raw) or (raw or "").strip().upper()


class ConsentForm(FlaskForm):
    """The landing page: the participant agrees to take part."""

    consent = BooleanField(
        validators=[DataRequired(message=_l("Tick the box to say that you agree to take part."))]
    )


class PageForm(FlaskForm):
    """A survey page or the review page: only the CSRF token (the answers are parsed by the
    question types)."""


class WithdrawForm(FlaskForm):
    """Withdraw a sent response by its receipt code."""

    receipt = StringField(
        filters=[normalize_receipt],
        validators=[
            DataRequired(message=_l("Enter your receipt code.")),
            Length(max=MAX_RECEIPT_INPUT, message=CODE_AS_SHOWN),
            Regexp(r"^[0-9A-Z-]+$", message=CODE_AS_SHOWN),
        ],
    )
