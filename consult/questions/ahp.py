"""Pairwise intensity for AHP: which of two items matters more, and by how much (Saaty 1–9).

Each task is one pair; the answer is ``a<N>`` (the first item is N times as important), ``1``
(equal) or ``b<N>``. Settings: ``pairs`` (default every pair). Stored as the judgement
``number`` = N, 1 or 1/N of ``item_id`` over ``other_item_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.questions.base import (
    AnswerRow,
    FieldError,
    ItemSpec,
    Parsed,
    QuestionSpec,
    QuestionType,
    setting_int,
)
from consult.questions.design import balanced_pairs

INTENSITIES = (9, 7, 5, 3)  # Saaty's verbal anchors, strongest first (2, 4, 6, 8 also accepted)
CHOICES = (*(f"a{n}" for n in INTENSITIES), "1", *(f"b{n}" for n in reversed(INTENSITIES)))
ALL = {f"{side}{n}" for side in "ab" for n in range(2, 10)} | {"1"}


def judgement(choice: str) -> float:
    """The Saaty value of the first item over the second for a choice code."""
    if choice == "1":
        return 1.0
    n = int(choice[1:])
    return float(n) if choice[0] == "a" else 1.0 / n


def choice_of(value: float) -> str:
    """The choice code of a stored judgement."""
    if abs(value - 1.0) < 1e-9:
        return "1"
    return f"a{round(value)}" if value > 1 else f"b{round(1 / value)}"


class Ahp(QuestionType):
    """The value is a list, per pair, of a choice code or None; analysed as ``ahp``."""

    name = "ahp"
    analysis_kind = "ahp"
    template = "questions/ahp.html"
    needs_design = True

    def field_id(self, q: QuestionSpec) -> str:
        return f"{self.task_field(q, 0)}-{CHOICES[0]}"

    def tasks(self, q: QuestionSpec, seed: int) -> list[tuple[ItemSpec, ...]]:
        n = len(q.items)
        every = n * (n - 1) // 2
        return list(
            balanced_pairs(q.items, min(setting_int(q, "pairs", every), every), seed + q.id)
        )

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        parsed = Parsed()
        value: list[str | None] = []
        for t, _pair in enumerate(self.tasks(q, seed)):
            name = self.task_field(q, t)
            raw = form.getlist(name)
            parsed.raw[name] = raw
            if not raw or raw == [""]:
                value.append(None)
            elif len(raw) > 1 or raw[0] not in ALL:
                parsed.errors.append(
                    FieldError(
                        f"{name}-{CHOICES[0]}", _("Choose how much more important one item is.")
                    )
                )
                value.append(None)
            else:
                value.append(raw[0])
        parsed.value = value if any(v is not None for v in value) else None
        return parsed

    def is_answered(self, q: QuestionSpec, value: Any) -> bool:
        return bool(value) and all(v is not None for v in value)

    def required_errors(self, q: QuestionSpec, value: Any) -> list[FieldError]:
        if self.is_answered(q, value):
            return []
        t = value.index(None) if value else 0
        return [FieldError(f"{self.task_field(q, t)}-{CHOICES[0]}", _("Answer every comparison."))]

    def to_rows(self, q: QuestionSpec, value: list, seed: int = 0) -> list[AnswerRow]:
        return [
            AnswerRow(item_id=a.id, other_item_id=b.id, task=t, number=judgement(choice))
            for t, ((a, b), choice) in enumerate(zip(self.tasks(q, seed), value, strict=False))
            if choice is not None
        ]

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> list | None:
        if not rows:
            return None
        value: list[str | None] = [None] * len(self.tasks(q, seed))
        for r in rows:
            if r.task is not None and 0 <= r.task < len(value) and r.number:
                value[r.task] = choice_of(r.number)
        return value

    def describe(self, q: QuestionSpec, value: list | None, seed: int = 0) -> list[str]:
        lines = []
        for (a, b), choice in zip(self.tasks(q, seed), value or [], strict=False):
            if choice == "1":
                lines.append(_("%(a)s and %(b)s: equally important", a=a.label, b=b.label))
            elif choice is not None:
                more, less = (a, b) if choice[0] == "a" else (b, a)
                lines.append(
                    _(
                        "%(more)s is %(n)s times as important as %(less)s",
                        more=more.label,
                        n=choice[1:],
                        less=less.label,
                    )
                )
        return lines

    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            a, b = q.item_by_id(r.item_id), q.item_by_id(r.other_item_id)
            if a is not None and b is not None and r.number:
                out.append({"item_a": a.code, "item_b": b.code, "value": r.number})
        return out


TYPES = (Ahp(),)
