"""Question types: one module per type, registered here by name (see ``base.QuestionType``).

Adding a type means adding a module and one ``register`` line below — nothing else changes.
"""

from __future__ import annotations

from consult.questions.base import (
    AnswerRow,
    FieldError,
    ItemSpec,
    OptionSpec,
    Parsed,
    QuestionSpec,
    QuestionType,
)

_TYPES: dict[str, QuestionType] = {}


def register(question_type: QuestionType) -> QuestionType:
    """Register a question type instance under its ``name``."""
    if question_type.name in _TYPES:
        raise ValueError(f"question type {question_type.name!r} registered twice")
    _TYPES[question_type.name] = question_type
    return question_type


def get_type(name: str) -> QuestionType:
    """The registered type ``name`` (``KeyError`` if unknown)."""
    return _TYPES[name]


def type_names() -> list[str]:
    """Every registered type name, in registration order."""
    return list(_TYPES)


def _register_builtin() -> None:
    from consult.questions import (
        ahp,
        best_worst,
        choice,
        matrix,
        number,
        pairwise,
        points,
        ranking,
        rating,
        text,
    )

    for module in (
        choice,
        rating,
        matrix,
        ranking,
        pairwise,
        best_worst,
        ahp,
        points,
        number,
        text,
    ):
        for question_type in module.TYPES:
            register(question_type)


_register_builtin()

__all__ = [
    "AnswerRow",
    "FieldError",
    "ItemSpec",
    "OptionSpec",
    "Parsed",
    "QuestionSpec",
    "QuestionType",
    "get_type",
    "register",
    "type_names",
]
