"""The variables of a response export: names, labels and value labels in every language.

A *wide* export has one row per response and one variable per question, or per item, option,
task or part of a task, as each question type's stored rows suggest (``LAYOUTS``, keyed by type
name). A *long* export has one row per stored answer row (``LONG_COLUMNS``). Both start with the
response's metadata (``metadata_variables``).

Conventions, the same in CSV, XLSX and SPSS:

- Categories are numbers with value labels: a single choice holds the option's position
  (1, 2, ...); a scale holds the point's value and "don't know" a code above the scale (99,
  declared *missing* in SPSS); a multiple choice has one 0/1 variable per option; item-valued
  variables (the winner of a comparison, the best of a set) hold the item's position in the
  question. The codebook gives each value's label and code.
- Comparisons and sets are numbered from 1 (``task`` in the long export, ``t1`` in names).
- Variable names are valid SPSS names (``spss_name``): ASCII letters, digits and underscores,
  starting with a letter, at most 64 bytes, unique ignoring case, no reserved word.

Which variables hold people's identities depends on the anonymity mode (``metadata_variables``):
only *named* consultations export the invitation's number, organisation and contact person;
e-mail addresses are never exported.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from consult.questions import AnswerRow, QuestionSpec, get_type
from consult.questions.scale import DONT_KNOW, scale_points

NUMERIC, STRING, DATE = "numeric", "string", "date"
MAX_NAME_BYTES = 64
MAX_LABEL_BYTES = 256  # SPSS variable labels
MAX_VALUE_LABEL_BYTES = 120  # SPSS value labels
RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
SELECTED, NOT_SELECTED = 1, 0


@dataclass(frozen=True)
class ValueLabel:
    """One value a variable takes, its code (option/item code) and its label per language."""

    value: Any
    code: str
    labels: Mapping[str, str]
    question: str | None = None  # long export: option codes are unique only within a question


@dataclass(frozen=True)
class Variable:
    """One column of an export."""

    name: str
    kind: str  # NUMERIC, STRING or DATE
    labels: Mapping[str, str]  # language → variable label
    question: str | None = None
    question_type: str | None = None
    item: str | None = None
    option: str | None = None
    task: int | None = None
    part: str | None = None
    value_labels: tuple[ValueLabel, ...] = ()
    missing: tuple[float, ...] = ()  # values SPSS treats as missing ("don't know")
    measure: str = "nominal"  # SPSS: nominal, ordinal or scale

    def label(self, language: str) -> str:
        return self.labels.get(language, "")


@dataclass(frozen=True)
class QuestionText:
    """A question of the round: its code, type, page and text per language."""

    code: str
    type: str
    section: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class Codebook:
    """The variables of one export, in column order, with the round's questions."""

    languages: tuple[str, ...]
    language: str  # the language of the labels SPSS files carry
    variables: tuple[Variable, ...]
    questions: tuple[QuestionText, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]


# --- names ---------------------------------------------------------------------------------------

_INVALID = re.compile(r"[^A-Za-z0-9_]+")
_ASCII = str.maketrans({"ı": "i", "İ": "I", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"})


def spss_name(text: str) -> str:
    """``text`` as a valid SPSS variable name (not yet made unique).

    >>> spss_name("top5-actions/İzmir ağırlık")
    'top5_actions_Izmir_agirlik'
    >>> spss_name("2nd"), spss_name("ALL"), spss_name("")
    ('v2nd', 'ALL_', 'v')
    """
    ascii_text = unicodedata.normalize("NFKD", text.translate(_ASCII))
    ascii_text = "".join(ch for ch in ascii_text if not unicodedata.combining(ch))
    name = _INVALID.sub("_", ascii_text).strip("_")
    name = re.sub("_{2,}", "_", name)
    if not name[:1].isalpha():
        name = "v" + name
    if name.upper() in RESERVED:
        name += "_"
    return name[:MAX_NAME_BYTES]


class NameRegistry:
    """Hands out unique SPSS names (case-insensitive), suffixing ``_2``, ``_3`` when taken."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = {n.upper() for n in taken}

    def claim(self, wanted: str) -> str:
        base = spss_name(wanted)
        name, n = base, 1
        while name.upper() in self._taken:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_NAME_BYTES - len(suffix)] + suffix
        self._taken.add(name.upper())
        return name


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


# --- metadata and long columns -------------------------------------------------------------------


def _in_languages(languages: Sequence[str], make: Callable[[], str]) -> dict[str, str]:
    """``make()`` evaluated with each language's translations."""
    out = {}
    for language in languages:
        with force_locale(language):
            out[language] = make()
    return out


def metadata_variables(languages: Sequence[str], named: bool) -> list[Variable]:
    """The response columns every export starts with (invitation columns only when ``named``)."""

    def var(name: str, kind: str, make: Callable[[], str], measure: str = "nominal") -> Variable:
        return Variable(name, kind, _in_languages(languages, make), measure=measure)

    out = [
        var("response_id", NUMERIC, lambda: _("Response number")),
        var("response_group", STRING, lambda: _("Stakeholder group (code)")),
        var("response_district", STRING, lambda: _("District (code)")),
        var("response_language", STRING, lambda: _("Language of the answers")),
        var(
            "response_source", STRING, lambda: _("Where the answers were given (online, workshop)")
        ),
        var("response_submitted", DATE, lambda: _("Date submitted"), "scale"),
    ]
    if named:
        out += [
            var("invitation_id", NUMERIC, lambda: _("Invitation number")),
            var("invitation_organisation", STRING, lambda: _("Organisation")),
            var("invitation_contact", STRING, lambda: _("Contact person")),
        ]
    return out


def long_variables(
    languages: Sequence[str], named: bool, specs: Mapping[str, Sequence[QuestionSpec]]
) -> list[Variable]:
    """The columns of the long export, with the codes of questions, items and options labelled.

    ``specs`` maps each language to the round's questions in that language (same order).
    """
    first = specs[languages[0]]
    by_language = {lang: {q.code: q for q in specs[lang]} for lang in languages}

    def text_of(code: str) -> dict[str, str]:
        return {lang: by_language[lang][code].text for lang in languages}

    questions = tuple(ValueLabel(q.code, q.code, text_of(q.code)) for q in first)
    items: dict[str, dict[str, str]] = {}
    for lang in languages:
        for q in specs[lang]:
            for item in q.items:
                items.setdefault(item.code, {})[lang] = item.label
    item_labels = tuple(ValueLabel(code, code, labels) for code, labels in items.items())
    options = tuple(
        ValueLabel(
            o.code,
            o.code,
            {lang: _option_label(by_language[lang][q.code], o.code) for lang in languages},
            q.code,
        )
        for q in first
        for o in q.options
    )
    flags = tuple(
        ValueLabel(code, code, _in_languages(languages, make))
        for code, make in (
            (DONT_KNOW, lambda: _("Don't know")),
            ("tie", lambda: _("Can't decide (comparison)")),
            ("best", lambda: _("Most important in the set")),
            ("worst", lambda: _("Least important in the set")),
        )
    )

    def var(
        name: str, kind: str, make: Callable[[], str], values: tuple[ValueLabel, ...] = ()
    ) -> Variable:
        measure = "scale" if name == "number" else "nominal"
        labels = _in_languages(languages, make)
        return Variable(name, kind, labels, value_labels=values, measure=measure)

    return [
        *metadata_variables(languages, named),
        var("question", STRING, lambda: _("Question (code)"), questions),
        var("question_type", STRING, lambda: _("Question type")),
        var("item", STRING, lambda: _("Item (code)"), item_labels),
        var("other_item", STRING, lambda: _("Second item of a comparison (code)"), item_labels),
        var("option", STRING, lambda: _("Option (code)"), options),
        var("task", NUMERIC, lambda: _("Comparison or set (number)")),
        var("number", NUMERIC, lambda: _("Number: scale point, rank, points or judgement")),
        var("text", STRING, lambda: _("Text answer")),
        var("flag", STRING, lambda: _("Mark: don't know, tie, best or worst"), flags),
    ]


def _option_label(q: QuestionSpec, code: str) -> str:
    option = q.option(code)
    return option.label if option else ""


# --- wide layouts: one per question type ---------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A wide column of one question before it is named: ``key`` places the values."""

    key: str  # unique within the question; "" for the question's only column
    kind: str
    labels: Mapping[str, str]
    item: str | None = None
    option: str | None = None
    task: int | None = None
    part: str | None = None
    value_labels: tuple[ValueLabel, ...] = ()
    missing: tuple[float, ...] = ()
    measure: str = "nominal"


class Layout:
    """How one question type spreads over wide columns.

    ``columns`` gets the question in every language (``qs``: language → spec, the same
    question); ``context`` computes once per export what ``values`` needs; ``values`` turns one
    response's stored rows into ``{column key: value}``.
    """

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        raise NotImplementedError

    def context(self, q: QuestionSpec) -> Any:
        return None

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        raise NotImplementedError


def _first(qs: Mapping[str, QuestionSpec]) -> QuestionSpec:
    return next(iter(qs.values()))


def _joined(qs: Mapping[str, QuestionSpec], part: Callable[[QuestionSpec], str]) -> dict[str, str]:
    """Per language: the question text, a dash and ``part`` of that language's spec."""
    out = {}
    for lang, q in qs.items():
        with force_locale(lang):
            extra = part(q)
        out[lang] = f"{q.text} – {extra}" if extra else q.text
    return out


def _texts(qs: Mapping[str, QuestionSpec]) -> dict[str, str]:
    return {lang: q.text for lang, q in qs.items()}


def _codes(q: QuestionSpec) -> dict[int, str]:
    """Item id → item code."""
    return {item.id: item.code for item in q.items}


def _positions(q: QuestionSpec) -> dict[int, int]:
    """Item id → position in the question (1, 2, ...)."""
    return {item.id: i for i, item in enumerate(q.items, start=1)}


def _item_values(qs: Mapping[str, QuestionSpec]) -> tuple[ValueLabel, ...]:
    first = _first(qs)
    return tuple(
        ValueLabel(i, item.code, {lang: q.items[i - 1].label for lang, q in qs.items()})
        for i, item in enumerate(first.items, start=1)
    )


def _item_label(q: QuestionSpec, code: str) -> str:
    item = q.item(code)
    return item.label if item else code


class SingleChoiceLayout(Layout):
    """One variable: the chosen option's position."""

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        first = _first(qs)
        values = tuple(
            ValueLabel(i, o.code, {lang: q.options[i - 1].label for lang, q in qs.items()})
            for i, o in enumerate(first.options, start=1)
        )
        return [Column("", NUMERIC, _texts(qs), value_labels=values)]

    def context(self, q: QuestionSpec) -> Any:
        return {o.id: i for i, o in enumerate(q.options, start=1)}

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        positions = context
        chosen = [positions[r.option_id] for r in rows if r.option_id in positions]
        return {"": chosen[0]} if chosen else {}


class MultipleChoiceLayout(Layout):
    """One 0/1 variable per option (empty when the question was not answered)."""

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        languages = list(qs)
        yes_no = (
            ValueLabel(NOT_SELECTED, "0", _in_languages(languages, lambda: _("Not selected"))),
            ValueLabel(SELECTED, "1", _in_languages(languages, lambda: _("Selected"))),
        )
        return [
            Column(
                o.code,
                NUMERIC,
                _joined(qs, partial(_option_label, code=o.code)),
                option=o.code,
                value_labels=yes_no,
            )
            for o in _first(qs).options
        ]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        if not rows:
            return {}
        chosen = {r.option_id for r in rows}
        return {o.code: SELECTED if o.id in chosen else NOT_SELECTED for o in q.options}


def dont_know_code(values: Iterable[float | None]) -> int:
    """The code of "don't know": 99, or 999, ... above every value of the scale."""
    top = max((v for v in values if v is not None), default=0.0)
    code = 99
    while code <= top:
        code = code * 10 + 9
    return code


class _ScaleColumns:
    """Scale points as value labels; "don't know" as a missing code above the scale."""

    @staticmethod
    def scale(qs: Mapping[str, QuestionSpec]) -> tuple[tuple[ValueLabel, ...], int]:
        points: dict[str, list] = {}
        for lang, q in qs.items():
            with force_locale(lang):
                for p in scale_points(q):
                    points.setdefault(p.code, [p.value, {}])[1][lang] = p.label
        dk = dont_know_code(v for v, _labels in points.values())
        labels = tuple(
            ValueLabel(dk if value is None else _number(value), code, by_lang)
            for code, (value, by_lang) in points.items()
        )
        return labels, dk

    @staticmethod
    def dont_know(q: QuestionSpec) -> int:
        return dont_know_code(p.value for p in scale_points(q))

    @staticmethod
    def value(row: AnswerRow, dk: int) -> Any:
        if row.flag == DONT_KNOW:
            return dk
        return None if row.number is None else _number(row.number)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


class RatingLayout(Layout):
    """One variable: the scale point (don't know: the missing code)."""

    def context(self, q: QuestionSpec) -> Any:
        return _ScaleColumns.dont_know(q)

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        labels, dk = _ScaleColumns.scale(qs)
        return [
            Column(
                "",
                NUMERIC,
                _texts(qs),
                value_labels=labels,
                missing=(dk,),
                measure="ordinal",
            )
        ]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        return {"": _ScaleColumns.value(rows[0], context)} if rows else {}


class MatrixLayout(Layout):
    """One scale variable per item."""

    def context(self, q: QuestionSpec) -> Any:
        return _ScaleColumns.dont_know(q), _codes(q)

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        labels, dk = _ScaleColumns.scale(qs)
        return [
            Column(
                item.code,
                NUMERIC,
                _joined(qs, partial(_item_label, code=item.code)),
                item=item.code,
                value_labels=labels,
                missing=(dk,),
                measure="ordinal",
            )
            for item in _first(qs).items
        ]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        dk, codes = context
        out = {}
        for r in rows:
            code = codes.get(r.item_id)
            if code is not None:
                out[code] = _ScaleColumns.value(r, dk)
        return out


class PerItemNumberLayout(Layout):
    """One number per item: the rank (ranking) or the points (points allocation)."""

    def __init__(self, measure: str) -> None:
        self.measure = measure

    def context(self, q: QuestionSpec) -> Any:
        return _codes(q)

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        return [
            Column(
                item.code,
                NUMERIC,
                _joined(qs, partial(_item_label, code=item.code)),
                item=item.code,
                measure=self.measure,
            )
            for item in _first(qs).items
        ]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        out = {}
        for r in rows:
            code = context.get(r.item_id)
            if code is not None and r.number is not None:
                out[code] = _number(r.number)
        return out


class NumberLayout(Layout):
    """One number."""

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        return [Column("", NUMERIC, _texts(qs), measure="scale")]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        numbers = [r.number for r in rows if r.number is not None]
        return {"": _number(numbers[0])} if numbers else {}


class TextLayout(Layout):
    """One text."""

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        return [Column("", STRING, _texts(qs))]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        texts = [r.text for r in rows if r.text is not None]
        return {"": texts[0]} if texts else {}


def task_count(q: QuestionSpec) -> int:
    """How many comparisons or sets each response is shown (the same for every seed)."""
    return len(get_type(q.type).tasks(q, 0))


def set_size(q: QuestionSpec) -> int:
    return max((len(t) for t in get_type(q.type).tasks(q, 0)), default=0)


def _task_label(_q: QuestionSpec, make: Callable[[int], str], task: int) -> str:
    return make(task)


class _TaskLayout(Layout):
    """Per comparison or set ``t``: variables ``t<t>_<part>`` (parts from ``parts``)."""

    def parts(self, q: QuestionSpec) -> list[tuple[str, Callable[[int], str], str]]:
        """(part, label maker given the task number, kind) — labels made in each language."""
        raise NotImplementedError

    def columns(self, qs: Mapping[str, QuestionSpec]) -> list[Column]:
        first = _first(qs)
        items = _item_values(qs)
        out = []
        for t in range(1, task_count(first) + 1):
            for part, make, kind in self.parts(first):
                is_item = kind == "item"
                out.append(
                    Column(
                        f"t{t}_{part}",
                        NUMERIC,
                        _joined(qs, partial(_task_label, make=make, task=t)),
                        task=t,
                        part=part,
                        value_labels=items if is_item else self.part_values(qs, part),
                        measure="scale" if kind == "scale" else "nominal",
                    )
                )
        return out

    def part_values(self, qs: Mapping[str, QuestionSpec], part: str) -> tuple[ValueLabel, ...]:
        return ()

    def context(self, q: QuestionSpec) -> Any:
        return _positions(q)


class PairwiseLayout(_TaskLayout):
    """Per comparison: the preferred item, the other item, and whether it was a tie."""

    def parts(self, q: QuestionSpec) -> list[tuple[str, Callable[[int], str], str]]:
        return [
            ("winner", lambda t: _("comparison %(number)s: preferred item", number=t), "item"),
            ("loser", lambda t: _("comparison %(number)s: other item", number=t), "item"),
            ("tie", lambda t: _("comparison %(number)s: can't decide", number=t), "flag"),
        ]

    def part_values(self, qs: Mapping[str, QuestionSpec], part: str) -> tuple[ValueLabel, ...]:
        languages = list(qs)
        return (
            ValueLabel(0, "0", _in_languages(languages, lambda: _("No"))),
            ValueLabel(1, "1", _in_languages(languages, lambda: _("Yes"))),
        )

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        positions = context
        out: dict[str, Any] = {}
        for r in rows:
            if r.task is None:
                continue
            t = r.task + 1
            out[f"t{t}_winner"] = positions.get(r.item_id or 0)
            out[f"t{t}_loser"] = positions.get(r.other_item_id or 0)
            out[f"t{t}_tie"] = 1 if r.flag == "tie" else 0
        return out


class BestWorstLayout(_TaskLayout):
    """Per set: the items shown (in the order stored), the most and the least important."""

    def parts(self, q: QuestionSpec) -> list[tuple[str, Callable[[int], str], str]]:
        shown = [
            (
                f"item{k}",
                lambda t, k=k: _("set %(number)s: item %(position)s shown", number=t, position=k),
                "item",
            )
            for k in range(1, set_size(q) + 1)
        ]
        return [
            *shown,
            ("best", lambda t: _("set %(number)s: most important", number=t), "item"),
            ("worst", lambda t: _("set %(number)s: least important", number=t), "item"),
        ]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        positions = context
        out: dict[str, Any] = {}
        seen: dict[int, int] = {}
        for r in rows:
            if r.task is None:
                continue
            t = r.task + 1
            seen[t] = seen.get(t, 0) + 1
            position = positions.get(r.item_id or 0)
            out[f"t{t}_item{seen[t]}"] = position
            if r.flag in ("best", "worst"):
                out[f"t{t}_{r.flag}"] = position
        return out


class AhpLayout(_TaskLayout):
    """Per comparison: the first item, the second item, the judgement of first over second."""

    def parts(self, q: QuestionSpec) -> list[tuple[str, Callable[[int], str], str]]:
        return [
            ("a", lambda t: _("comparison %(number)s: first item", number=t), "item"),
            ("b", lambda t: _("comparison %(number)s: second item", number=t), "item"),
            (
                "value",
                lambda t: _(
                    "comparison %(number)s: how many times as important the first item is",
                    number=t,
                ),
                "scale",
            ),
        ]

    def values(self, q: QuestionSpec, rows: Sequence[AnswerRow], context: Any) -> dict[str, Any]:
        positions = context
        out: dict[str, Any] = {}
        for r in rows:
            if r.task is None:
                continue
            t = r.task + 1
            out[f"t{t}_a"] = positions.get(r.item_id or 0)
            out[f"t{t}_b"] = positions.get(r.other_item_id or 0)
            out[f"t{t}_value"] = r.number
        return out


LAYOUTS: dict[str, Layout] = {
    "single_choice": SingleChoiceLayout(),
    "multiple_choice": MultipleChoiceLayout(),
    "rating": RatingLayout(),
    "matrix": MatrixLayout(),
    "ranking": PerItemNumberLayout("ordinal"),
    "pairwise": PairwiseLayout(),
    "best_worst": BestWorstLayout(),
    "ahp": AhpLayout(),
    "points": PerItemNumberLayout("scale"),
    "number": NumberLayout(),
    "short_text": TextLayout(),
    "long_text": TextLayout(),
}


@dataclass(frozen=True)
class WideQuestion:
    """A question's wide variables: the layout's column keys → the variables' names."""

    spec: QuestionSpec  # in the export's label language
    layout: Layout
    names: Mapping[str, str]  # column key → variable name
    context: Any = None  # ``layout.context(spec)``


def wide_variables(
    languages: Sequence[str],
    named: bool,
    specs: Mapping[str, Sequence[QuestionSpec]],
    label_language: str,
) -> tuple[list[Variable], list[WideQuestion], list[str]]:
    """The wide export's variables, how to fill them per question, and notes.

    A question whose type has no layout (a type registered later without one) is left out of
    the wide export with a note; the long export still holds its answers.
    """
    registry = NameRegistry()
    variables = [
        _claimed(registry, v) for v in metadata_variables(languages, named)
    ]  # metadata first: question codes never take their names
    wide: list[WideQuestion] = []
    notes: list[str] = []
    per_lang = {lang: list(specs[lang]) for lang in languages}
    for index, q in enumerate(per_lang[label_language]):
        layout = LAYOUTS.get(q.type)
        if layout is None:
            notes.append(f"question {q.code} ({q.type}): in the long export only")
            continue
        qs = {lang: per_lang[lang][index] for lang in languages}
        names = {}
        for column in layout.columns(qs):
            name = registry.claim(f"{q.code}_{column.key}" if column.key else q.code)
            names[column.key] = name
            variables.append(
                Variable(
                    name=name,
                    kind=column.kind,
                    labels=column.labels,
                    question=q.code,
                    question_type=q.type,
                    item=column.item,
                    option=column.option,
                    task=column.task,
                    part=column.part,
                    value_labels=column.value_labels,
                    missing=column.missing,
                    measure=column.measure,
                )
            )
        wide.append(WideQuestion(q, layout, names, layout.context(q)))
    return variables, wide, notes


def _claimed(registry: NameRegistry, variable: Variable) -> Variable:
    registry.claim(variable.name)
    return variable
