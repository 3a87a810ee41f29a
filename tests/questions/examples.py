"""Specs and valid answers for every registered question type, shared by the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import MultiDict

from consult.questions import ItemSpec, OptionSpec, QuestionSpec, get_type

SEED = 11

SCALE = ["Not important", "Slightly important", "Moderately important", "Very important", "Top"]


def items(*codes: str) -> tuple[ItemSpec, ...]:
    """Items with ids 101, 102, ... and readable labels (one in Arabic)."""
    labels = {"interpretation": "الترجمة الفورية"}
    return tuple(
        ItemSpec(101 + i, code, labels.get(code, code.replace("_", " ").capitalize()))
        for i, code in enumerate(codes)
    )


ACTIONS = items(
    "advisory_board",
    "interpretation",
    "selforg_grants",
    "district_data",
    "anti_discrimination",
    "rights_information",
)
FOUR = ACTIONS[:4]


def options(*codes: str, scored: bool = False) -> tuple[OptionSpec, ...]:
    """Options with ids 201, 202, ...; ``scored`` gives them values 1, 2, ..."""
    return tuple(
        OptionSpec(201 + i, code, code.capitalize(), float(i + 1) if scored else None)
        for i, code in enumerate(codes)
    )


def scale_options(dont_know: bool = True) -> tuple[OptionSpec, ...]:
    """A labelled 1–5 scale, and "don't know"."""
    points = tuple(
        OptionSpec(301 + i, str(i + 1), label, float(i + 1)) for i, label in enumerate(SCALE)
    )
    return (*points, OptionSpec(306, "dont_know", "Don't know", None)) if dont_know else points


def spec(type_: str, **fields: Any) -> QuestionSpec:
    """A question of ``type_`` whose code is its type name (as in the question-types demo)."""
    values: dict[str, Any] = {"id": 7, "code": type_, "type": type_, "text": f"The {type_}?"}
    values.update(fields)
    return QuestionSpec(**values)


def form(*pairs: tuple[str, str], **single: str) -> MultiDict[str, str]:
    """A submitted form: ``pairs`` may repeat a name; keywords use ``_`` for ``-``."""
    data: MultiDict[str, str] = MultiDict(list(pairs))
    for name, value in single.items():
        data.add(name.replace("_", "-"), value)
    return data


def tasks(q: QuestionSpec, seed: int = SEED) -> list[tuple[ItemSpec, ...]]:
    return get_type(q.type).tasks(q, seed)


# --- one valid answer of every type: (spec, form, expected value) ------------------------------


def _single_choice() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("single_choice", options=options("yes", "partly", "no"))
    return q, form(("q-single_choice", "partly")), "partly"


def _multiple_choice() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec(
        "multiple_choice",
        options=options("arabic", "persian", "pashto", "english", "french"),
        settings={"min_select": 1, "max_select": 3},
    )
    return (
        q,
        form(("q-multiple_choice", "english"), ("q-multiple_choice", "arabic")),
        [
            "arabic",
            "english",
        ],
    )


def _rating() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("rating", options=scale_options(), items=items("interpretation"))
    return q, form(("q-rating", "4")), "4"


def _matrix() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("matrix", options=scale_options(), items=FOUR[:3])
    f = form(
        ("q-matrix-advisory_board", "5"),
        ("q-matrix-interpretation", "dont_know"),
        ("q-matrix-selforg_grants", "1"),
    )
    return q, f, {"advisory_board": "5", "interpretation": "dont_know", "selforg_grants": "1"}


def _ranking() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("ranking", items=ACTIONS, settings={"top_k": 3})
    f = form(
        ("q-ranking-district_data", "1"),
        ("q-ranking-advisory_board", "2"),
        ("q-ranking-rights_information", "3"),
        ("q-ranking-interpretation", ""),
    )
    return q, f, {"district_data": 1, "advisory_board": 2, "rights_information": 3}


def _pairwise() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("pairwise", items=ACTIONS, settings={"pairs": 6})
    value: list[str | None] = []
    f = form()
    for t, (a, b) in enumerate(tasks(q)):
        choice = "tie" if t == 2 else min(a.code, b.code)
        value.append(choice)
        f.add(f"q-pairwise-t{t}", choice)
    return q, f, value


def _best_worst() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("best_worst", items=ACTIONS, settings={"set_size": 4})
    value = []
    f = form()
    for t, shown in enumerate(tasks(q)):
        codes = sorted(i.code for i in shown)
        value.append((codes[0], codes[-1]))
        f.add(f"q-best_worst-t{t}-best", codes[0])
        f.add(f"q-best_worst-t{t}-worst", codes[-1])
    return q, f, value


def _ahp() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("ahp", items=FOUR, settings={"pairs": 6})
    choices = ["a3", "1", "b9", "a2", "b5", "a9"]
    f = form(*((f"q-ahp-t{t}", c) for t, c in enumerate(choices)))
    return q, f, choices


def _points() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("points", items=FOUR, settings={"budget": 100})
    f = form(
        ("q-points-advisory_board", "40"),
        ("q-points-interpretation", "35"),
        ("q-points-selforg_grants", "25"),
        ("q-points-district_data", ""),
    )
    return (
        q,
        f,
        {"advisory_board": 40, "interpretation": 35, "selforg_grants": 25, "district_data": 0},
    )


def _number() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("number", settings={"min": 0, "max": 100_000, "integer": True})
    return q, form(("q-number", " 1234 ")), 1234.0


def _short_text() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("short_text", settings={"max_length": 150})
    return q, form(("q-short_text", "  Interpretation first  ")), "Interpretation first"


def _long_text() -> tuple[QuestionSpec, MultiDict, Any]:
    q = spec("long_text", settings={"max_length": 1000})
    return q, form(("q-long_text", "First line\r\nسطر ثانٍ\r\n")), "First line\nسطر ثانٍ"


EXAMPLES: dict[str, Callable[[], tuple[QuestionSpec, MultiDict, Any]]] = {
    "single_choice": _single_choice,
    "multiple_choice": _multiple_choice,
    "rating": _rating,
    "matrix": _matrix,
    "ranking": _ranking,
    "pairwise": _pairwise,
    "best_worst": _best_worst,
    "ahp": _ahp,
    "points": _points,
    "number": _number,
    "short_text": _short_text,
    "long_text": _long_text,
}


def field_names(q: QuestionSpec, seed: int = SEED) -> list[str]:
    """Every form field a question of this type reads."""
    n_tasks = len(tasks(q, seed))
    if q.type in ("matrix", "ranking", "points"):
        return [f"{q.field}-{i.code}" for i in q.items]
    if q.type in ("pairwise", "ahp"):
        return [f"{q.field}-t{t}" for t in range(n_tasks)]
    if q.type == "best_worst":
        return [f"{q.field}-t{t}-{end}" for t in range(n_tasks) for end in ("best", "worst")]
    return [q.field]
