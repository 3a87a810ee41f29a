"""Rating scales shared by the rating and matrix types: points 1..N and an optional "don't know"."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from consult.questions.base import AnswerRow, QuestionSpec, setting_int

DONT_KNOW = "dont_know"


@dataclass(frozen=True)
class ScalePoint:
    """One answer a scale offers (``value`` None for "don't know")."""

    code: str
    value: float | None
    label: str
    option_id: int | None = None


def scale_points(q: QuestionSpec) -> list[ScalePoint]:
    """The question's labelled options when it has them, else the numbers of its settings."""
    if q.options:
        points = [
            ScalePoint(o.code, o.value, o.label, o.id) for o in q.options if o.value is not None
        ]
        dont_know = next((o for o in q.options if o.code == DONT_KNOW), None)
        if dont_know is not None and q.settings.get("dont_know", True):
            points.append(ScalePoint(DONT_KNOW, None, dont_know.label, dont_know.id))
        return points
    low, high = setting_int(q, "scale_min", 1), setting_int(q, "scale_max", 5)
    points = [ScalePoint(str(v), float(v), str(v)) for v in range(low, high + 1)]
    if q.settings.get("dont_know"):
        points.append(ScalePoint(DONT_KNOW, None, _("Don't know")))
    return points


def point(q: QuestionSpec, code: str) -> ScalePoint | None:
    """The scale point with this code, or None."""
    return next((p for p in scale_points(q) if p.code == code), None)


def point_row(p: ScalePoint, item_id: int | None = None) -> AnswerRow:
    """The stored row of an answer on the scale."""
    if p.value is None:
        return AnswerRow(item_id=item_id, option_id=p.option_id, flag=DONT_KNOW)
    return AnswerRow(item_id=item_id, option_id=p.option_id, number=p.value)


def row_point(q: QuestionSpec, row: AnswerRow) -> ScalePoint | None:
    """The scale point a stored row holds."""
    for p in scale_points(q):
        if row.flag == DONT_KNOW and p.value is None:
            return p
        if row.flag != DONT_KNOW and row.number is not None and p.value == row.number:
            return p
    return None
