"""Number: a single number within ``min``/``max`` (settings), ``integer`` if it must be whole."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.questions.base import (
    AnswerRow,
    FieldError,
    Parsed,
    QuestionSpec,
    QuestionType,
    parse_number,
)

LIMIT = 1e12  # no participant means a number beyond this; it protects the float column


class Number(QuestionType):
    """The value is a float."""

    name = "number"
    template = "questions/number.html"

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        raw = form.getlist(q.field)
        parsed = Parsed(raw={q.field: raw})
        if not raw or raw[0].strip() == "":
            return parsed
        value = parse_number(raw[0]) if len(raw) == 1 else None
        low = q.settings.get("min", -LIMIT)
        high = q.settings.get("max", LIMIT)
        if value is None:
            parsed.errors.append(FieldError(q.field, _("Enter a number, like 12 or 3.5.")))
        elif q.settings.get("integer") and value != int(value):
            parsed.errors.append(FieldError(q.field, _("Enter a whole number.")))
        elif not low <= value <= high:
            parsed.errors.append(
                FieldError(
                    q.field,
                    _(
                        "Enter a number from %(min)s to %(max)s.",
                        min=format_decimal(low),
                        max=format_decimal(high),
                    ),
                )
            )
        else:
            parsed.value = value
        return parsed

    def to_rows(self, q: QuestionSpec, value: float, seed: int = 0) -> list[AnswerRow]:
        return [AnswerRow(number=value)]

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> float | None:
        return rows[0].number if rows else None

    def describe(self, q: QuestionSpec, value: float | None, seed: int = 0) -> list[str]:
        return [] if value is None else [format_decimal(value)]


TYPES = (Number(),)
