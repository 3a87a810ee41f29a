"""Best–worst scaling (MaxDiff): in each set of 3–5 items, the most and the least important.

Settings: ``set_size`` (3–5, default 4) and ``tasks`` (default: enough sets for every item to be
shown about twice). Sets come from a balanced design drawn per response.
"""

from __future__ import annotations

import math
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
from consult.questions.design import balanced_sets

BEST, WORST = "best", "worst"


class BestWorst(QuestionType):
    """The value is a list, per task, of ``(best_code, worst_code)`` or None."""

    name = "best_worst"
    analysis_kind = "bestworst"
    template = "questions/best_worst.html"
    needs_design = True

    def field_id(self, q: QuestionSpec) -> str:
        return f"{self.task_field(q, 0, BEST)}-0"

    def tasks(self, q: QuestionSpec, seed: int) -> list[tuple[ItemSpec, ...]]:
        size = max(3, min(5, setting_int(q, "set_size", 4)))
        default = math.ceil(2 * len(q.items) / size)
        return balanced_sets(q.items, size, setting_int(q, "tasks", default), seed + q.id)

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        parsed = Parsed()
        value: list[tuple[str, str] | None] = []
        for t, shown in enumerate(self.tasks(q, seed)):
            codes = {item.code for item in shown}
            picks = {}
            invalid = False
            for end in (BEST, WORST):
                name = self.task_field(q, t, end)
                raw = form.getlist(name)
                parsed.raw[name] = raw
                picks[end] = raw[0] if len(raw) == 1 and raw[0] in codes else None
                if raw and raw != [""] and picks[end] is None:
                    invalid = True
                    parsed.errors.append(
                        FieldError(f"{name}-0", _("Choose among the items of this set."))
                    )
            best, worst = picks[BEST], picks[WORST]
            if best and worst and best == worst:
                parsed.errors.append(
                    FieldError(
                        f"{self.task_field(q, t, WORST)}-0",
                        _("The most and the least important item must differ."),
                    )
                )
                value.append(None)
            elif invalid:
                value.append(None)
            elif bool(best) != bool(worst):
                missing = WORST if best else BEST
                parsed.errors.append(
                    FieldError(
                        f"{self.task_field(q, t, missing)}-0",
                        _("Choose both the most and the least important item."),
                    )
                )
                value.append(None)
            else:
                value.append((best, worst) if best and worst else None)
        parsed.value = value if any(v is not None for v in value) else None
        return parsed

    def is_answered(self, q: QuestionSpec, value: Any) -> bool:
        return bool(value) and all(v is not None for v in value)

    def required_errors(self, q: QuestionSpec, value: Any) -> list[FieldError]:
        if self.is_answered(q, value):
            return []
        t = value.index(None) if value else 0
        return [FieldError(f"{self.task_field(q, t, BEST)}-0", _("Answer every set."))]

    def to_rows(self, q: QuestionSpec, value: list, seed: int = 0) -> list[AnswerRow]:
        rows = []
        for t, (shown, pick) in enumerate(zip(self.tasks(q, seed), value, strict=False)):
            if pick is None:
                continue
            best, worst = pick
            for item in shown:
                flag = BEST if item.code == best else WORST if item.code == worst else ""
                rows.append(AnswerRow(item_id=item.id, task=t, flag=flag))
        return rows

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> list | None:
        if not rows:
            return None
        tasks = self.tasks(q, seed)
        picks: list[dict[str, str]] = [{} for _task in tasks]
        for r in rows:
            item = q.item_by_id(r.item_id)
            if item and r.task is not None and 0 <= r.task < len(tasks) and r.flag:
                picks[r.task][r.flag] = item.code
        return [(p[BEST], p[WORST]) if BEST in p and WORST in p else None for p in picks]

    def describe(self, q: QuestionSpec, value: list | None, seed: int = 0) -> list[str]:
        lines = []
        for pick in value or []:
            if pick is not None:
                best, worst = q.item(pick[0]), q.item(pick[1])
                lines.append(
                    _(
                        "Most important: %(best)s; least important: %(worst)s",
                        best=best.label if best else "",
                        worst=worst.label if worst else "",
                    )
                )
        return lines

    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            item = q.item_by_id(r.item_id)
            if item is not None and r.task is not None:
                out.append({"task": str(r.task), "item": item.code, "choice": r.flag or ""})
        return out


TYPES = (BestWorst(),)
