"""Points allocation: share a budget (settings ``budget``, default 100) among the items.

Whole, non-negative points whose total must equal the budget; JavaScript shows a live total,
the server decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.questions.base import (
    AnswerRow,
    FieldError,
    Parsed,
    QuestionSpec,
    QuestionType,
    parse_number,
    setting_int,
)


def budget(q: QuestionSpec) -> int:
    """The number of points to allocate."""
    return max(1, setting_int(q, "budget", 100))


class Points(QuestionType):
    """The value maps item code → points; analysed as ``points``."""

    name = "points"
    analysis_kind = "points"
    template = "questions/points.html"

    def field_id(self, q: QuestionSpec) -> str:
        return self.row_field(q, q.items[0].code) if q.items else q.field

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        parsed = Parsed()
        total_budget = budget(q)
        value: dict[str, int] = {}
        for item in q.items:
            name = self.row_field(q, item.code)
            raw = form.getlist(name)
            parsed.raw[name] = raw
            if not raw or raw[0].strip() == "":
                continue
            number = parse_number(raw[0]) if len(raw) == 1 else None
            if number is None or number < 0 or number != int(number) or number > total_budget:
                parsed.errors.append(
                    FieldError(
                        name,
                        _(
                            "Enter a whole number of points from 0 to %(budget)s for “%(item)s”.",
                            budget=total_budget,
                            item=item.label,
                        ),
                    )
                )
                continue
            value[item.code] = int(number)
        if parsed.errors or not value:
            return parsed
        total = sum(value.values())
        if total != total_budget:
            parsed.errors.append(
                FieldError(
                    self.field_id(q),
                    _(
                        "The points must add up to %(budget)s; they add up to %(total)s.",
                        budget=total_budget,
                        total=total,
                    ),
                )
            )
            return parsed
        parsed.value = {item.code: value.get(item.code, 0) for item in q.items}  # blanks are 0
        return parsed

    def to_rows(self, q: QuestionSpec, value: dict[str, int], seed: int = 0) -> list[AnswerRow]:
        return [
            AnswerRow(item_id=item.id, number=float(value.get(item.code, 0))) for item in q.items
        ]

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> dict | None:
        value = {}
        for r in rows:
            item = q.item_by_id(r.item_id)
            if item is not None and r.number is not None:
                value[item.code] = int(r.number)
        return value or None

    def describe(self, q: QuestionSpec, value: dict | None, seed: int = 0) -> list[str]:
        return [
            _("%(item)s: %(points)s points", item=item.label, points=value[item.code])
            for item in q.items
            if value and value.get(item.code)
        ]

    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            item = q.item_by_id(r.item_id)
            if item is not None and r.number is not None:
                out.append({"item": item.code, "points": r.number})
        return out


TYPES = (Points(),)
