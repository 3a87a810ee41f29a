"""Short text (one line) and long text (a paragraph), each with a ``max_length`` setting."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from consult.questions.base import (
    MAX_TEXT,
    AnswerRow,
    FieldError,
    Parsed,
    QuestionSpec,
    QuestionType,
    setting_int,
)


def clean_text(raw: str, multiline: bool) -> str:
    """Normalised (NFC) text without control characters (newlines kept when ``multiline``)."""
    keep = {"\n", "\t"} if multiline else set()
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in keep or unicodedata.category(ch) != "Cc")
    return unicodedata.normalize("NFC", text).strip()


class _Text(QuestionType):
    multiline = False
    default_max = 200

    def max_length(self, q: QuestionSpec) -> int:
        return max(1, min(MAX_TEXT, setting_int(q, "max_length", self.default_max)))

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        raw = form.getlist(q.field)
        parsed = Parsed(raw={q.field: raw[:1]})
        text = clean_text(raw[0], self.multiline) if raw else ""
        if not text:
            return parsed
        limit = self.max_length(q)
        if len(raw) > 1:
            parsed.errors.append(FieldError(q.field, _("Enter one answer.")))
        elif len(text) > limit:
            parsed.errors.append(
                FieldError(
                    q.field,
                    _(
                        "Shorten your answer to %(max)s characters; it has %(count)s.",
                        max=limit,
                        count=len(text),
                    ),
                )
            )
        else:
            parsed.value = text
        return parsed

    def to_rows(self, q: QuestionSpec, value: str, seed: int = 0) -> list[AnswerRow]:
        return [AnswerRow(text=value)]

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> str | None:
        return rows[0].text if rows else None

    def describe(self, q: QuestionSpec, value: str | None, seed: int = 0) -> list[str]:
        return [value] if value else []


class ShortText(_Text):
    """One line of text (default at most 200 characters)."""

    name = "short_text"
    template = "questions/short_text.html"


class LongText(_Text):
    """A paragraph (default at most 2,000 characters)."""

    name = "long_text"
    template = "questions/long_text.html"
    multiline = True
    default_max = 2000


TYPES = (ShortText(), LongText())
