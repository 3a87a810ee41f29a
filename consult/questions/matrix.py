"""Matrix: several items rated on one scale (a fieldset per item, stacking on narrow screens)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.questions.base import AnswerRow, FieldError, Parsed, QuestionSpec, QuestionType
from consult.questions.scale import point, point_row, row_point, scale_points


class Matrix(QuestionType):
    """The value maps item code → scale point code; analysed as ``rating`` per item."""

    name = "matrix"
    analysis_kind = "rating"
    template = "questions/matrix.html"

    def field_id(self, q: QuestionSpec) -> str:
        points = scale_points(q)
        if not q.items or not points:
            return q.field
        return f"{self.row_field(q, q.items[0].code)}-{points[0].code}"

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        parsed = Parsed()
        value: dict[str, str] = {}
        for item in q.items:
            name = self.row_field(q, item.code)
            raw = form.getlist(name)
            parsed.raw[name] = raw
            if not raw or raw == [""]:
                continue
            if len(raw) > 1 or point(q, raw[0]) is None:
                first = scale_points(q)[0].code
                parsed.errors.append(
                    FieldError(
                        f"{name}-{first}",
                        _("Choose a point on the scale for “%(item)s”.", item=item.label),
                    )
                )
            else:
                value[item.code] = raw[0]
        parsed.value = value or None
        return parsed

    def is_answered(self, q: QuestionSpec, value: Any) -> bool:
        return bool(value) and all(item.code in value for item in q.items)

    def required_errors(self, q: QuestionSpec, value: Any) -> list[FieldError]:
        missing = next((i for i in q.items if i.code not in (value or {})), None)
        if missing is None:
            return []
        first = scale_points(q)[0].code
        return [
            FieldError(
                f"{self.row_field(q, missing.code)}-{first}",
                _("Answer every row, starting with “%(item)s”.", item=missing.label),
            )
        ]

    def to_rows(self, q: QuestionSpec, value: dict[str, str], seed: int = 0) -> list[AnswerRow]:
        rows = []
        for item in q.items:
            p = point(q, value.get(item.code, ""))
            if p is not None:
                rows.append(point_row(p, item.id))
        return rows

    def from_rows(
        self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0
    ) -> dict[str, str] | None:
        value = {}
        for row in rows:
            item, p = q.item_by_id(row.item_id), row_point(q, row)
            if item and p:
                value[item.code] = p.code
        return value or None

    def describe(self, q: QuestionSpec, value: dict[str, str] | None, seed: int = 0) -> list[str]:
        lines = []
        for item in q.items:
            p = point(q, (value or {}).get(item.code, ""))
            if p is not None:
                lines.append(f"{item.label}: {p.label}")
        return lines

    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            item = q.item_by_id(row.item_id)
            if item is not None and row.number is not None:
                out.append({"item": item.code, "value": row.number})
        return out


TYPES = (Matrix(),)
