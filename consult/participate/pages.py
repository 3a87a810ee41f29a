"""Plain data for the participant templates, built from the participation service's results.

Nothing here queries the database or changes anything: the views fetch through the services and
hand the results over; these functions arrange them for the templates (questions with their
values and errors, the progress indicator, the review list, the time estimate).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from consult.i18n import text_direction
from consult.participate.helpers import TYPE_HELPERS
from consult.questions import FieldError, ItemSpec, QuestionSpec, get_type
from consult.services.participation import (
    PageSpec,
    Survey,
    reason_fields,
    visible_pages,
    visible_questions,
)

# Rough seconds a participant needs, per question and per thing to judge (for the estimate).
SECONDS_PER_QUESTION = 15
SECONDS_PER_ITEM = {"matrix": 10, "ranking": 10, "points": 15}
SECONDS_PER_TASK = {"pairwise": 12, "best_worst": 20, "ahp": 15}
SECONDS_FOR_LONG_TEXT = 90
SECONDS_TO_READ_AND_REVIEW = 60


@dataclass(frozen=True)
class QuestionView:
    """One question on a page: its spec, what to show in its controls, and its errors."""

    spec: QuestionSpec
    template: str
    field_id: str
    value: Any
    raw: Mapping[str, list[str]] | None
    errors: tuple[str, ...] = ()
    invalid: frozenset[str] = frozenset()
    tasks: tuple[tuple[ItemSpec, ...], ...] = ()

    def shown(self, name: str, stored: Any = None) -> list[str]:
        """What control ``name`` shows: what was typed (after a failed send), else ``stored``."""
        if self.raw is not None:
            return [str(v) for v in self.raw.get(name, [])]
        if stored is None or stored == "":
            return []
        if isinstance(stored, list | tuple):
            return [str(v) for v in stored]
        return [_plain(stored)]

    def first(self, name: str, stored: Any = None) -> str:
        """The single value control ``name`` shows ('' when none)."""
        values = self.shown(name, stored)
        return values[0] if values else ""

    @property
    def error_id(self) -> str:
        return f"{self.spec.field}-error"

    @property
    def hint_id(self) -> str:
        return f"{self.spec.field}-hint"


def _plain(value: Any) -> str:
    """A stored value as a person would type it (``3.0`` → ``3``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def owner_of(field: str, questions: Iterable[QuestionSpec]) -> QuestionSpec | None:
    """The question whose form field (or one of its sub-fields) ``field`` is."""
    matches = [q for q in questions if field == q.field or field.startswith(q.field + "-")]
    return max(matches, key=lambda q: len(q.code), default=None)


def question_views(
    questions: list[QuestionSpec],
    values: Mapping[str, Any],
    seed: int,
    errors: Iterable[FieldError] = (),
    raw: Mapping[str, list[str]] | None = None,
) -> list[QuestionView]:
    """The questions of a page with their stored values, typed values and errors."""
    by_code: dict[str, list[FieldError]] = {}
    for error in errors:
        q = owner_of(error.field, questions)
        if q is not None:
            by_code.setdefault(q.code, []).append(error)
    views = []
    for q in questions:
        qtype = get_type(q.type)
        own = by_code.get(q.code, [])
        views.append(
            QuestionView(
                spec=q,
                template=qtype.template,
                field_id=qtype.field_id(q),
                value=values.get(q.code),
                raw=raw,
                errors=tuple(dict.fromkeys(e.message for e in own)),
                invalid=frozenset(e.field for e in own),
                tasks=tuple(qtype.tasks(q, seed)),
            )
        )
    return views


#: The templates of the question types that show a Delphi round's feedback next to each item.
DELPHI_TEMPLATES = {
    "rating": "participate/delphi_rating.html",
    "matrix": "participate/delphi_matrix.html",
}


def with_feedback(views: list[QuestionView], feedback: Mapping[str, Any]) -> list[QuestionView]:
    """The page's questions, those with Delphi feedback rendered by the feedback templates."""
    return [
        replace(v, template=DELPHI_TEMPLATES[v.spec.type])
        if v.spec.code in feedback and v.spec.type in DELPHI_TEMPLATES
        else v
        for v in views
    ]


def own_answers_note(feedback: Mapping[str, Any]) -> str | None:
    """Why the panelist's own previous answers are not shown on a page (None: they are, or
    there is no feedback): ``"anonymous"`` or ``"unknown"`` (an open link)."""
    for item in feedback.values():
        if item.own in ("anonymous", "unknown"):
            return str(item.own)
    return None


def summary_links(
    views: Iterable[QuestionView], errors: Iterable[FieldError]
) -> list[tuple[str, str]]:
    """The error summary as ``(href, message)``: each message linked to its control, in page
    order."""
    errors = list(errors)
    out: dict[tuple[str, str], None] = {}
    for view in views:
        for error in errors:
            if owner_of(error.field, [view.spec]) is not None:
                out.setdefault((f"#{error.field}", error.message), None)
    return list(out)


@dataclass(frozen=True)
class Progress:
    """Where a participant is: step ``step`` of ``total`` (the review is the last step)."""

    step: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.step / self.total) if self.total else 100


def progress(survey: Survey, values: Mapping[str, Any], skip: set[str], page: PageSpec | None):
    """The progress of a page (``None`` = the review page) among the pages shown."""
    shown = visible_pages(survey, values, skip)
    total = len(shown) + 1
    if page is None:
        return Progress(total, total)
    position = next((i for i, p in enumerate(shown) if p.index == page.index), None)
    if position is None:  # a page hidden now: count it where it would be
        position = sum(1 for p in shown if p.index < page.index)
    return Progress(position + 1, total)


def next_page(survey: Survey, values: Mapping[str, Any], skip: set[str], after: int):
    """The first page shown after page index ``after`` (``None``: the review comes next)."""
    return next((p for p in visible_pages(survey, values, skip) if p.index > after), None)


def previous_page(survey: Survey, values: Mapping[str, Any], skip: set[str], before: int):
    """The last page shown before page index ``before`` (``None``: this is the first)."""
    shown = [p for p in visible_pages(survey, values, skip) if p.index < before]
    return shown[-1] if shown else None


def resume_page(survey: Survey, values: Mapping[str, Any], skip: set[str], last_page: int):
    """Where a returning participant continues: the first page not yet completed."""
    shown = visible_pages(survey, values, skip)
    return next((p for p in shown if p.index >= last_page), None)


@dataclass(frozen=True)
class ReviewRow:
    """One question on the review page."""

    code: str
    question: str
    lines: tuple[str, ...]
    change_url: str | None
    required: bool
    answered: bool
    from_invitation: bool = False


@dataclass(frozen=True)
class ReviewSection:
    """One page's questions on the review page."""

    title: str
    change_url: str | None
    rows: tuple[ReviewRow, ...]


def review_sections(
    survey: Survey,
    values: Mapping[str, Any],
    skip: set[str],
    seed: int,
    page_url: Callable[[PageSpec], str],
    reasons: Mapping[str, str] | None = None,
) -> list[ReviewSection]:
    """Every page shown and its answers as the participant will send them (with the reasons
    given on Delphi feedback questions, by reason field)."""
    sections = []
    for page in survey.pages:
        rows = []
        for q in page.questions:
            if q.code in skip:
                value = values.get(q.code)
                lines = tuple(get_type(q.type).describe(q, value, seed)) if value else ()
                rows.append(ReviewRow(q.code, q.text, lines, None, q.required, True, True))
        shown = visible_questions(page, values, skip)
        for q in shown:
            qtype, value = get_type(q.type), values.get(q.code)
            lines = tuple(qtype.describe(q, value, seed)) + _reason_lines(q, reasons or {})
            url = f"{page_url(page)}#question-{q.code}"
            answered = bool(qtype.is_answered(q, value))
            rows.append(ReviewRow(q.code, q.text, lines, url, q.required, answered))
        if rows:
            sections.append(
                ReviewSection(page.title, page_url(page) if shown else None, tuple(rows))
            )
    return sections


def _reason_lines(q: QuestionSpec, reasons: Mapping[str, str]) -> tuple[str, ...]:
    lines = []
    for name, item in reason_fields(q):
        if reasons.get(name):
            label = item.label if item is not None else q.text
            lines.append(
                _("Your reason for “%(item)s”: %(reason)s", item=label, reason=reasons[name])
            )
    return tuple(lines)


def estimated_minutes(survey: Survey) -> int:
    """A rough time to answer every question, in whole minutes (at least 1)."""
    seconds = SECONDS_TO_READ_AND_REVIEW
    for page in survey.pages:
        for q in page.questions:
            qtype = get_type(q.type)
            if q.type in SECONDS_PER_ITEM:
                seconds += SECONDS_PER_ITEM[q.type] * max(1, len(q.items))
            elif q.type in SECONDS_PER_TASK:
                seconds += SECONDS_PER_TASK[q.type] * max(1, len(qtype.tasks(q, 0)))
            elif q.type == "long_text":
                seconds += SECONDS_FOR_LONG_TEXT
            else:
                seconds += SECONDS_PER_QUESTION
    return max(1, math.ceil(seconds / 60))


def language_attrs(language: str, interface_language: str) -> Markup:
    """``lang``/``dir`` attributes for consultation texts not in the interface language."""
    if language == interface_language:
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(language, text_direction(language))


# --- static assets ----------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _asset_version(path: str, mtime: float) -> str:
    data = (Path(current_app.static_folder or "") / path).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def asset_url(path: str) -> str:
    """A static file's URL with a content hash, so browsers may cache it for long."""
    file = Path(current_app.static_folder or "") / path
    try:
        version = _asset_version(path, file.stat().st_mtime)
    except OSError:
        return url_for("static", filename=path)
    return url_for("static", filename=path, v=version)


def template_helpers() -> dict[str, Any]:
    """Functions the participant and question templates call."""
    return {
        **TYPE_HELPERS,
        "format_number": format_decimal,
        "asset_url": asset_url,
    }
