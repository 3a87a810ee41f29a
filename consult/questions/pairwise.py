"""Pairwise comparison: two cards, pick the more important or "can't decide".

Settings: ``pairs`` (how many comparisons each participant sees; default 10, at most every
pair), ``allow_tie`` (default true). Pairs come from a balanced design drawn per response.
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

TIE = "tie"


class Pairwise(QuestionType):
    """The value is a list, per task, of the winner's code, ``"tie"`` or None."""

    name = "pairwise"
    analysis_kind = "pairwise"
    template = "questions/pairwise.html"
    needs_design = True

    def field_id(self, q: QuestionSpec) -> str:
        return f"{self.task_field(q, 0)}-a"

    def tasks(self, q: QuestionSpec, seed: int) -> list[tuple[ItemSpec, ...]]:
        n = len(q.items)
        count = min(setting_int(q, "pairs", 10), n * (n - 1) // 2)
        return list(balanced_pairs(q.items, count, seed + q.id))

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        parsed = Parsed()
        tasks = self.tasks(q, seed)
        allow_tie = bool(q.settings.get("allow_tie", True))
        choices: list[str | None] = []
        for t, (a, b) in enumerate(tasks):
            name = self.task_field(q, t)
            raw = form.getlist(name)
            parsed.raw[name] = raw
            if not raw or raw == [""]:
                choices.append(None)
                continue
            valid = {a.code, b.code} | ({TIE} if allow_tie else set())
            if len(raw) > 1 or raw[0] not in valid:
                parsed.errors.append(FieldError(f"{name}-a", _("Choose one of the two items.")))
                choices.append(None)
            else:
                choices.append(raw[0])
        parsed.value = choices if any(c is not None for c in choices) else None
        return parsed

    def is_answered(self, q: QuestionSpec, value: Any) -> bool:
        return bool(value) and all(c is not None for c in value)

    def required_errors(self, q: QuestionSpec, value: Any) -> list[FieldError]:
        if self.is_answered(q, value):
            return []
        t = value.index(None) if value else 0
        return [FieldError(f"{self.task_field(q, t)}-a", _("Answer every comparison."))]

    def to_rows(self, q: QuestionSpec, value: list[str | None], seed: int = 0) -> list[AnswerRow]:
        rows = []
        for t, ((a, b), choice) in enumerate(zip(self.tasks(q, seed), value, strict=False)):
            if choice == TIE:
                rows.append(AnswerRow(item_id=a.id, other_item_id=b.id, task=t, flag=TIE))
            elif choice is not None:
                winner, loser = (a, b) if choice == a.code else (b, a)
                rows.append(AnswerRow(item_id=winner.id, other_item_id=loser.id, task=t))
        return rows

    def from_rows(
        self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0
    ) -> list[str | None] | None:
        if not rows:
            return None
        value: list[str | None] = [None] * len(self.tasks(q, seed))
        for r in rows:
            winner = q.item_by_id(r.item_id)
            if r.task is not None and 0 <= r.task < len(value) and winner is not None:
                value[r.task] = TIE if r.flag == TIE else winner.code
        return value

    def describe(self, q: QuestionSpec, value: list[str | None] | None, seed: int = 0) -> list[str]:
        lines = []
        for (a, b), choice in zip(self.tasks(q, seed), value or [], strict=False):
            if choice == TIE:
                lines.append(_("%(a)s or %(b)s: can't decide", a=a.label, b=b.label))
            elif choice is not None:
                winner, loser = (a, b) if choice == a.code else (b, a)
                lines.append(_("%(winner)s over %(loser)s", winner=winner.label, loser=loser.label))
        return lines

    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            winner, loser = q.item_by_id(r.item_id), q.item_by_id(r.other_item_id)
            if r.flag != TIE and winner is not None and loser is not None:
                out.append({"winner": winner.code, "loser": loser.code})
        return out


TYPES = (Pairwise(),)
