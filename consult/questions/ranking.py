"""Ranking: order the items, or only the top k (settings ``top_k``).

Without JavaScript each item has a rank selector (empty = not ranked); with JavaScript the
list is reordered with move buttons or drag and the same selectors are filled in, so the server
sees one format. Ranks must run 1, 2, ... without gaps or duplicates.
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
    setting_int,
)


def top_k(q: QuestionSpec) -> int:
    """How many items a participant ranks (all of them unless ``top_k`` says fewer)."""
    k = setting_int(q, "top_k", len(q.items))
    return max(1, min(k, len(q.items)))


class Ranking(QuestionType):
    """The value maps item code → rank (1 = most important); analysed as ``ranking``."""

    name = "ranking"
    analysis_kind = "ranking"
    template = "questions/ranking.html"

    def field_id(self, q: QuestionSpec) -> str:
        return self.row_field(q, q.items[0].code) if q.items else q.field

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        parsed = Parsed()
        k = top_k(q)
        ranks: dict[str, int] = {}
        for item in q.items:
            name = self.row_field(q, item.code)
            raw = form.getlist(name)
            parsed.raw[name] = raw
            if not raw or raw == [""]:
                continue
            text = raw[0].strip()
            if len(raw) > 1 or not text.isdecimal() or len(text) > 9 or not 1 <= int(text) <= k:
                parsed.errors.append(
                    FieldError(
                        name,
                        _("Choose a rank from 1 to %(k)s for “%(item)s”.", k=k, item=item.label),
                    )
                )
                continue
            ranks[item.code] = int(text)
        if parsed.errors or not ranks:
            return parsed
        used = sorted(ranks.values())
        duplicate = next((r for r in used if used.count(r) > 1), None)
        if duplicate is not None:
            first = next(i for i in q.items if ranks.get(i.code) == duplicate)
            parsed.errors.append(
                FieldError(
                    self.row_field(q, first.code),
                    _(
                        "Rank %(rank)s is given to more than one item: each rank can be used once.",
                        rank=duplicate,
                    ),
                )
            )
            return parsed
        if used != list(range(1, len(used) + 1)):
            gap = next(r for r in range(1, k + 1) if r not in used)
            parsed.errors.append(
                FieldError(
                    self.field_id(q),
                    _(
                        "Ranks must follow on from 1 without gaps: rank %(rank)s is missing.",
                        rank=gap,
                    ),
                )
            )
            return parsed
        parsed.value = ranks
        return parsed

    def is_answered(self, q: QuestionSpec, value: Any) -> bool:
        return bool(value) and len(value) >= top_k(q)

    def required_errors(self, q: QuestionSpec, value: Any) -> list[FieldError]:
        if self.is_answered(q, value):
            return []
        return [FieldError(self.field_id(q), _("Rank %(k)s items.", k=top_k(q)))]

    def to_rows(self, q: QuestionSpec, value: dict[str, int], seed: int = 0) -> list[AnswerRow]:
        return [
            AnswerRow(item_id=item.id, number=float(value[item.code]))
            for item in q.items
            if item.code in value
        ]

    def from_rows(
        self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0
    ) -> dict[str, int] | None:
        value = {}
        for row in rows:
            item = q.item_by_id(row.item_id)
            if item is not None and row.number is not None:
                value[item.code] = int(row.number)
        return value or None

    def describe(self, q: QuestionSpec, value: dict[str, int] | None, seed: int = 0) -> list[str]:
        ordered = sorted(
            (rank, item.label)
            for item in q.items
            if (rank := (value or {}).get(item.code)) is not None
        )
        return [f"{rank}. {label}" for rank, label in ordered]

    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        value = self.from_rows(q, rows) or {}
        return [{"item": code, "rank": rank} for code, rank in value.items()]


TYPES = (Ranking(),)
