"""What every question type is: plain specs in, parsed values and answer rows out.

A type module subclasses ``QuestionType`` and registers an instance with
``consult.questions.register``. The participant flow never knows which type it handles: it asks
the type to ``parse`` a submitted form, to turn the value into long ``AnswerRow``s for storage
(``to_rows``), to rebuild the value from stored rows (``from_rows``), to ``describe`` it on the
review page, and — for priority questions — to turn stored rows into the long-format input of
``analysis`` (``analysis_rows``, of kind ``analysis_kind``).

Form fields are named ``q-<code>`` or ``q-<code>-<suffix>``; ``field_id`` gives the id of the
first control, which the error summary links to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

MAX_TEXT = 10_000  # hard ceiling for any text answer, whatever the settings say


@dataclass(frozen=True)
class OptionSpec:
    """A choice or a labelled scale point, with its label in the participant's language."""

    id: int
    code: str
    label: str
    value: float | None = None


@dataclass(frozen=True)
class ItemSpec:
    """An item asked about, with its label in the participant's language."""

    id: int
    code: str
    label: str


@dataclass(frozen=True)
class QuestionSpec:
    """Plain data describing one question for one participant (no ORM object)."""

    id: int
    code: str
    type: str
    text: str
    required: bool = False
    help: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    options: tuple[OptionSpec, ...] = ()
    items: tuple[ItemSpec, ...] = ()
    display_condition: Mapping[str, Any] | None = None

    @property
    def field(self) -> str:
        """The base form-field name of this question."""
        return f"q-{self.code}"

    def option(self, code: str) -> OptionSpec | None:
        return next((o for o in self.options if o.code == code), None)

    @cached_property
    def _options_by_id(self) -> dict[int, OptionSpec]:
        return {o.id: o for o in self.options}

    @cached_property
    def _items_by_id(self) -> dict[int, ItemSpec]:
        return {i.id: i for i in self.items}

    def option_by_id(self, option_id: int | None) -> OptionSpec | None:
        return None if option_id is None else self._options_by_id.get(option_id)

    def item(self, code: str) -> ItemSpec | None:
        return next((i for i in self.items if i.code == code), None)

    def item_by_id(self, item_id: int | None) -> ItemSpec | None:
        return None if item_id is None else self._items_by_id.get(item_id)


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer value (the typed columns of ``consult.models.Answer``)."""

    item_id: int | None = None
    other_item_id: int | None = None
    option_id: int | None = None
    task: int | None = None
    number: float | None = None
    text: str | None = None
    flag: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "other_item_id": self.other_item_id,
            "option_id": self.option_id,
            "task": self.task,
            "number": self.number,
            "text": self.text,
            "flag": self.flag,
        }


@dataclass(frozen=True)
class FieldError:
    """A validation message for one form control (``field`` is the control's id)."""

    field: str
    message: str


@dataclass
class Parsed:
    """The outcome of parsing one question: a value (None = not answered) and errors."""

    value: Any = None
    errors: list[FieldError] = field(default_factory=list)
    raw: dict[str, list[str]] = field(default_factory=dict)  # what was typed, to show it again


class QuestionType:
    """Base class of the question types; see the module docstring for the contract."""

    name: ClassVar[str]
    analysis_kind: ClassVar[str | None] = None
    template: ClassVar[str]  # the Jinja template rendering this type, under questions/
    needs_design: ClassVar[bool] = False  # pairwise and best-worst draw tasks per response

    # --- form ---------------------------------------------------------------------------
    def row_field(self, q: QuestionSpec, item_code: str) -> str:
        """The form field of one item's row (matrix, ranking, points)."""
        return f"{q.field}-{item_code}"

    def task_field(self, q: QuestionSpec, task: int, part: str | None = None) -> str:
        """The form field of one comparison task (pairwise, best-worst, AHP)."""
        name = f"{q.field}-t{task}"
        return f"{name}-{part}" if part else name

    def field_id(self, q: QuestionSpec) -> str:
        """Id of the first control (the error summary links here)."""
        return q.field

    def parse(self, q: QuestionSpec, form: MultiDict[str, str], seed: int) -> Parsed:
        """Parse and validate the submitted form (``seed`` draws this response's tasks)."""
        raise NotImplementedError

    def is_answered(self, q: QuestionSpec, value: Any) -> bool:
        """Whether ``value`` counts as a complete answer for a required question."""
        return value not in (None, "", [], {})

    def required_errors(self, q: QuestionSpec, value: Any) -> list[FieldError]:
        """Errors for a required question whose answer is missing or incomplete."""
        return [] if self.is_answered(q, value) else [required_error(q, self)]

    # --- storage ------------------------------------------------------------------------
    def to_rows(self, q: QuestionSpec, value: Any, seed: int = 0) -> list[AnswerRow]:
        """Long answer rows for a parsed value."""
        raise NotImplementedError

    def from_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow], seed: int = 0) -> Any:
        """The value that ``to_rows`` stored."""
        raise NotImplementedError

    # --- display ------------------------------------------------------------------------
    def describe(self, q: QuestionSpec, value: Any, seed: int = 0) -> list[str]:
        """Lines for the review page (empty when unanswered)."""
        raise NotImplementedError

    def tasks(self, q: QuestionSpec, seed: int) -> list[tuple[ItemSpec, ...]]:
        """The comparison tasks shown to one response (pairwise, best-worst, AHP)."""
        return []

    # --- analysis -----------------------------------------------------------------------
    def analysis_rows(self, q: QuestionSpec, rows: Sequence[AnswerRow]) -> list[dict[str, Any]]:
        """One respondent's rows in ``analysis`` long format (without respondent/group)."""
        return []


def required_error(q: QuestionSpec, type_: QuestionType) -> FieldError:
    """The message for a required question left unanswered."""
    return FieldError(type_.field_id(q), str(_l("Answer this question to continue.")))


def setting_int(q: QuestionSpec, key: str, default: int) -> int:
    """An integer setting, with a default when absent or malformed."""
    try:
        return int(q.settings.get(key, default))
    except (TypeError, ValueError):
        return default


def parse_number(raw: str) -> float | None:
    """A finite number typed by a person (comma or point decimals, Arabic-Indic digits)."""
    text = raw.strip().translate(_DIGITS).replace("\u066b", ".").replace(",", ".")
    if not text or len(text) > 32:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
