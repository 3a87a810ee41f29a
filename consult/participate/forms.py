"""Forms of the participant pages. Answers are parsed by the question types, so the survey page
form carries only the CSRF token; the landing and withdrawal forms have fields of their own."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp

MAX_RECEIPT_INPUT = 64
_CROCKFORD = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_AS_SHOWN = _l("Enter the receipt code as shown, like 7K2M-Q9XD-4TPA.")


def normalize_receipt(raw: str | None) -> str:
    """A receipt code as typed (spaces, lower case, no dashes, O for 0) in its printed form."""
    text = re.sub(r"[\s\-‐‑–—_.]", "", (raw or "").upper())
    prefix = ""
    if text.startswith("DEMO") and len(text) == 16:
        prefix, text = "DEMO-", text[4:]
    text = text.translate(_CROCKFORD)
    if len(text) != 12:
        return (raw or "").strip().upper()
    return f"{prefix}{text[:4]}-{text[4:8]}-{text[8:]}"


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
