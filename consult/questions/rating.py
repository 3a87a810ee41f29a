"""Rating scale: one answer on 1..N with labelled points and an optional "don't know"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.questions.base import AnswerRow, FieldError, Parsed, QuestionSpec, QuestionType
from consult.questions.scale import point, point_row, row_point, scale_points


class Rating(QuestionType):
    """The value is a scale point code; analysed as ``rating`` of the question's item."""

    name = "rating"
    analysis_kind = "rating"
    template = "questions/rating.html"

    def field_id(self, q: QuestionSpec) -> str:
        points = scale_points(q)
        return f"{q.field}-{points[0].code}" if points else q.field

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        raw = form.getlist(q.field)
        parsed = Parsed(raw={q.field: raw})
        if not raw or raw == [""]:
            return parsed
        if len(raw) > 1 or point(q, raw[0]) is None:
            parsed.errors.append(FieldError(self.field_id(q), _("Choose a point on the scale.")))
        else:
            parsed.value = raw[0]
        return parsed

    def to_rows(self, q: QuestionSpec, value: str, seed: int = 0) -> list[AnswerRow]:
        p = point(q, value)
        return [point_row(p, q.items[0].id if q.items else None)] if p else []

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> str | None:
        p = row_point(q, rows[0]) if rows else None
        return p.code if p else None

    def describe(self, q: QuestionSpec, value: str | None, seed: int = 0) -> list[str]:
        p = point(q, value) if value else None
        return [p.label] if p else []

    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        item = q.items[0].code if q.items else q.code
        return [{"item": item, "value": r.number} for r in rows if r.number is not None]


TYPES = (Rating(),)
