"""Small functions the question templates (``templates/questions/<type>.html``) call.

Each reads a question's settings the way its type module does, so a template never re-implements
a rule (the number of ranks, the budget, the text limit ...).
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, gettext

from consult.questions import QuestionSpec, get_type
from consult.questions.ahp import CHOICES as AHP_CHOICES
from consult.questions.base import setting_int
from consult.questions.points import budget
from consult.questions.ranking import top_k
from consult.questions.scale import scale_points


def text_max_length(q: QuestionSpec) -> int:
    """The most characters a text answer may have."""
    return int(get_type(q.type).max_length(q))  # type: ignore[attr-defined]


def rank_labels(k: int) -> list[tuple[str, str]]:
    """``(value, label)`` for ranks 1..k, formatted once per question rather than per item."""
    return [
        (str(rank), gettext("Rank %(rank)s", rank=format_decimal(rank))) for rank in range(1, k + 1)
    ]


def allows_tie(q: QuestionSpec) -> bool:
    """Whether a pairwise question offers "can't decide"."""
    return bool(q.settings.get("allow_tie", True))


def select_limits(q: QuestionSpec) -> tuple[int, int]:
    """A multiple-choice question's least and most selections."""
    return setting_int(q, "min_select", 0), setting_int(q, "max_select", len(q.options))


def number_limits(q: QuestionSpec) -> tuple[Any, Any]:
    """A number question's ``min`` and ``max`` settings (None when absent)."""
    return q.settings.get("min"), q.settings.get("max")


def ahp_side(choice: str) -> str:
    """``"a"``, ``"b"`` or ``"equal"`` for an AHP choice code."""
    return "equal" if choice == "1" else choice[0]


def ahp_intensity(choice: str) -> int:
    """The Saaty intensity of an AHP choice code (1 for equal)."""
    return 1 if choice == "1" else int(choice[1:])


TYPE_HELPERS: dict[str, Any] = {
    "scale_points": scale_points,
    "ranking_top_k": top_k,
    "rank_labels": rank_labels,
    "points_budget": budget,
    "text_max_length": text_max_length,
    "allows_tie": allows_tie,
    "select_limits": select_limits,
    "number_limits": number_limits,
    "ahp_choices": AHP_CHOICES,
    "ahp_side": ahp_side,
    "ahp_intensity": ahp_intensity,
}
