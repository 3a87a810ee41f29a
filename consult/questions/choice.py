"""Single choice (radio buttons) and multiple choice (checkboxes, min/max selections)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.questions.base import (
    AnswerRow,
    FieldError,
    Parsed,
    QuestionSpec,
    QuestionType,
    setting_int,
)


class SingleChoice(QuestionType):
    """One option among several; the value is the option code."""

    name = "single_choice"
    template = "questions/single_choice.html"

    def field_id(self, q: QuestionSpec) -> str:
        return f"{q.field}-{q.options[0].code}" if q.options else q.field

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        raw = form.getlist(q.field)
        parsed = Parsed(raw={q.field: raw})
        if not raw or raw == [""]:
            return parsed
        if len(raw) > 1 or q.option(raw[0]) is None:
            parsed.errors.append(FieldError(self.field_id(q), _("Choose one of the options.")))
            return parsed
        parsed.value = raw[0]
        return parsed

    def to_rows(self, q: QuestionSpec, value: str, seed: int = 0) -> list[AnswerRow]:
        option = q.option(value)
        return [AnswerRow(option_id=option.id, number=option.value)] if option else []

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> str | None:
        option = q.option_by_id(rows[0].option_id) if rows else None
        return option.code if option else None

    def describe(self, q: QuestionSpec, value: str | None, seed: int = 0) -> list[str]:
        option = q.option(value) if value else None
        return [option.label] if option else []


class MultipleChoice(QuestionType):
    """Several options; settings ``min_select`` and ``max_select``; the value is a code list."""

    name = "multiple_choice"
    template = "questions/multiple_choice.html"

    def field_id(self, q: QuestionSpec) -> str:
        return f"{q.field}-{q.options[0].code}" if q.options else q.field

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        raw = [code for code in form.getlist(q.field) if code != ""]
        parsed = Parsed(raw={q.field: raw})
        if not raw:
            return parsed
        if len(set(raw)) != len(raw) or any(q.option(code) is None for code in raw):
            parsed.errors.append(FieldError(self.field_id(q), _("Choose among the options shown.")))
            return parsed
        low = setting_int(q, "min_select", 0)
        high = setting_int(q, "max_select", len(q.options))
        if len(raw) < low:
            parsed.errors.append(
                FieldError(self.field_id(q), _("Choose at least %(count)s options.", count=low))
            )
        elif len(raw) > high:
            parsed.errors.append(
                FieldError(self.field_id(q), _("Choose at most %(count)s options.", count=high))
            )
        else:
            parsed.value = [o.code for o in q.options if o.code in raw]
        return parsed

    def to_rows(self, q: QuestionSpec, value: list[str], seed: int = 0) -> list[AnswerRow]:
        return [AnswerRow(option_id=o.id, number=o.value) for o in q.options if o.code in value]

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> list[str]:
        chosen = {row.option_id for row in rows}
        return [o.code for o in q.options if o.id in chosen]

    def describe(self, q: QuestionSpec, value: list[str] | None, seed: int = 0) -> list[str]:
        return [o.label for o in q.options if value and o.code in value]


TYPES = (SingleChoice(), MultipleChoice())
